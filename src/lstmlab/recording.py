"""Record every gate of every lstmlab recurrent layer during a block of forwards.

Usage::

    with record_gates(model) as trace:
        model(x)
    trace.layers[0]["f_t"]  # (B, T, H) forget gate of the first stacked layer

While the block runs, the recurrent layers inside ``model`` use their equation loop (the fused
kernel cannot expose gates) and hand the gates of each step to the trace. Outside the block a
layer's only recording cost is one ``is None`` check in its ``forward``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import Tensor, nn

from lstmlab.errors import ConfigError
from lstmlab.layers import RecurrentLayer

__all__ = ["GateTrace", "record_gates"]


class GateTrace:
    """Gates recorded inside :func:`record_gates`, detached from the autograd graph.

    ``calls`` holds one entry per recorded forward of a recurrent layer, in call order; each entry
    is a list with one ``dict[str, Tensor]`` per stacked layer, every tensor ``(B, T, H)``:
    LSTM ``f_t, i_t, o_t, c_tilde, c_t, h_t``; GRU ``z_t, r_t, n_t, h_t``; RNN ``h_t``.
    """

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Tensor]]] = []

    def add(self, layers: list[dict[str, Tensor]]) -> None:
        """Append the gates of one forward of one recurrent layer (called by the layer)."""
        self.calls.append(layers)

    @property
    def layers(self) -> list[dict[str, Tensor]]:
        """One dict per stacked layer, in order, over all recorded forwards (in call order).

        After a single forward of a model with one recurrent layer this has ``num_layers``
        entries; use :attr:`calls` to tell several forwards or several recurrent layers apart.
        """
        return [layer for call in self.calls for layer in call]


@contextmanager
def record_gates(module: nn.Module) -> Iterator[GateTrace]:
    """Record the gates of every lstmlab recurrent layer inside ``module`` (itself included).

    Raises :class:`ConfigError` if ``module`` holds no lstmlab layer or is already recording.
    """
    layers = [m for m in module.modules() if isinstance(m, RecurrentLayer)]
    if not layers:
        raise ConfigError(
            f"record_gates found no lstmlab RNN/LSTM/GRU layer inside {type(module).__name__}; "
            "build the model with lstmlab.LSTM/GRU/RNN (or convert with lstmlab.from_torch)"
        )
    if any(layer._trace is not None for layer in layers):
        raise ConfigError("record_gates is already active on this module; do not nest it")
    trace = GateTrace()
    for layer in layers:
        layer._trace = trace
    try:
        yield trace
    finally:
        for layer in layers:
            layer._trace = None
