"""Stacked, batch-first RNN, LSTM and GRU layers built from the cells in :mod:`lstmlab.cells`.

Each layer runs one of two paths that compute the same model:

* the **fast path** (``fast=True`` and no gate recording active) hands the cells' own parameters,
  in PyTorch's layout, to the fused ATen kernel that ``torch.nn.LSTM/RNN/GRU`` call
  (``torch._VF.lstm / rnn_tanh / gru``): no copy, the same speed as PyTorch;
* the **equation loop** (``fast=False``, or inside :func:`lstmlab.record_gates`) projects the
  inputs of all time steps with one matmul, then calls the cell's :meth:`step` per time step,
  which reads like the gate equations and can hand every gate to a recorder.

Dropout (probability ``dropout``) is applied to the outputs of every layer but the last, in
training mode only, as in PyTorch. See ``docs/layers.md`` for the weight layout.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lstmlab.cells import GRUCell, LSTMCell, RNNCell, _Cell
from lstmlab.errors import ConfigError, DataError
from lstmlab.validation import require_int
from lstmlab.vocabulary import CELLS

__all__ = ["GRU", "LSTM", "RNN", "RecurrentLayer", "layer_class", "make_layer"]

State = tuple[Tensor, ...]  # (h,) or (h, c), each (num_layers, B, H)


class RecurrentLayer(nn.Module):
    """Base of :class:`RNN`, :class:`LSTM` and :class:`GRU`: a stack of ``num_layers`` cells.

    Subclasses set ``cell_class``, the fused kernel ``_fused_op`` and ``state_count`` (2 for
    LSTM's ``(h, c)``, else 1). ``_trace`` is set by :func:`lstmlab.record_gates` while recording.
    """

    cell_class: ClassVar[type[_Cell]]
    state_count: ClassVar[int] = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        *,
        fast: bool = True,
        **cell_options: Any,
    ) -> None:
        super().__init__()
        self.input_size = require_int("input_size", input_size)
        self.hidden_size = require_int("hidden_size", hidden_size)
        self.num_layers = require_int("num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
            0.0 <= dropout < 1.0
        ):
            raise ConfigError(
                f"dropout must be a number in [0, 1), got {dropout!r}; use 0 for no dropout"
            )
        self.dropout = float(dropout)
        self.fast = bool(fast)
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.cells = nn.ModuleList(
            self.cell_class(size, hidden_size, **cell_options) for size in sizes
        )
        self._trace: Any = None  # a GateTrace while inside record_gates(...)

    @staticmethod
    def _fused_op(*args: Any) -> tuple[Tensor, ...]:
        raise NotImplementedError

    @property
    def stacked_cells(self) -> list[_Cell]:
        """The cells of ``self.cells``, first layer first, typed as cells."""
        return [cast(_Cell, cell) for cell in self.cells]

    def forward(self, x: Tensor, state: Tensor | State | None = None) -> tuple[Tensor, Any]:
        """Run the stack over ``x (B, T, input_size)``.

        ``state`` is the initial state as in PyTorch (``(h_0, c_0)`` for LSTM, ``h_0`` otherwise,
        each ``(num_layers, B, hidden_size)``); zeros when omitted. Returns ``(output, state)``:
        ``output (B, T, hidden_size)`` from the last layer, and the final state in the same form.
        """
        self._check_input(x)
        states = self._initial_states(x, state)
        if self._trace is None and self.fast:
            output, final = self._run_fused(x, states)
        else:
            output, final = self._run_loop(x, states)
        return output, final if self.state_count == 2 else final[0]

    def _run_fused(self, x: Tensor, states: State) -> tuple[Tensor, State]:
        weights = [w for cell in self.stacked_cells for w in cell.fused_weights()]
        hx = states if self.state_count == 2 else states[0]
        # PyTorch's fused kernel: (input, hx, weights, has_biases, num_layers, dropout, train,
        # bidirectional, batch_first).
        output, *final = self._fused_op(
            x, hx, weights, True, self.num_layers, self.dropout, self.training, False, True
        )
        return output, tuple(final)

    def _run_loop(self, x: Tensor, states: State) -> tuple[Tensor, State]:
        layer_input = x
        finals, records = [], []
        for index, cell in enumerate(self.stacked_cells):
            if index > 0 and self.dropout > 0 and self.training:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
            initial = tuple(s[index] for s in states)  # each (B, H)
            layer_input, final, gates = self._run_cell(cell, layer_input, initial)
            finals.append(final)
            records.append(gates)
        if self._trace is not None:
            self._trace.add(records)
        stacked = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))  # each (L, B, H)
        return layer_input, stacked

    def _run_cell(
        self, cell: _Cell, x: Tensor, state: State
    ) -> tuple[Tensor, State, dict[str, Tensor]]:
        """One layer over time: ``(B, T, I) -> (B, T, H)``, final state, recorded gates."""
        gx = cell.input_projection(x)  # (B, T, G*H), all time steps in one matmul
        outputs, steps = [], []
        for gx_t in gx.unbind(1):
            state, gates = cell.step(gx_t, state)
            outputs.append(state[0])
            if self._trace is not None:
                steps.append(gates)
        recorded = {
            name: torch.stack([g[name].detach() for g in steps], dim=1)  # (B, T, H)
            for name in (steps[0] if steps else ())
        }
        return torch.stack(outputs, dim=1), state, recorded

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or x.dim() != 3 or x.shape[2] != self.input_size:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise DataError(
                f"{type(self).__name__} expects input of shape (batch, time, "
                f"{self.input_size}), got {shape}; batch first, one row per time step"
            )
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise DataError(f"input of shape {tuple(x.shape)} has no batch rows or no time steps")

    def _initial_states(self, x: Tensor, state: Tensor | State | None) -> State:
        expected = (self.num_layers, x.shape[0], self.hidden_size)
        if state is None:
            zeros = x.new_zeros(expected)
            return (zeros,) * self.state_count
        states = (state,) if isinstance(state, Tensor) else tuple(state)
        shapes = [tuple(s.shape) for s in states]
        if len(states) != self.state_count or any(s != expected for s in shapes):
            form = "(h_0, c_0)" if self.state_count == 2 else "h_0"
            raise DataError(
                f"{type(self).__name__} initial state must be {form} with each of shape "
                f"{expected} (num_layers, batch, hidden_size), got shapes {shapes}"
            )
        return states

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"dropout={self.dropout}, fast={self.fast}"
        )


class RNN(RecurrentLayer):
    """Stacked Elman RNN (tanh), batch first; each layer an :class:`lstmlab.RNNCell`.

    ``RNN(input_size, hidden_size, num_layers=1, dropout=0.0, *, fast=True, init=None)``. Input
    ``(B, T, input_size)``; returns ``output (B, T, hidden_size)`` and ``h_n (num_layers, B, H)``.
    Same model as ``torch.nn.RNN(nonlinearity="tanh", batch_first=True)``; ``init`` accepts only
    ``"default"`` (no gate to bias).
    """

    cell_class = RNNCell
    _fused_op = staticmethod(torch._VF.rnn_tanh)


class LSTM(RecurrentLayer):
    """Stacked LSTM, batch first; each layer an :class:`lstmlab.LSTMCell`.

    ``LSTM(input_size, hidden_size, num_layers=1, dropout=0.0, *, init=None, forget_bias=1.0,
    t_max=None, fast=True)``. Input ``(B, T, input_size)``; returns ``output (B, T, hidden_size)``
    and ``(h_n, c_n)``, each ``(num_layers, B, H)``. Same model as
    ``torch.nn.LSTM(batch_first=True)``. ``init`` (``"forget_bias"`` when None, ``"default"`` or
    ``"chrono"`` with ``t_max``) initialises every layer's gate biases, see
    :class:`lstmlab.LSTMCell`.
    """

    cell_class = LSTMCell
    state_count = 2
    _fused_op = staticmethod(torch._VF.lstm)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        *,
        init: str | None = None,
        forget_bias: float | None = 1.0,
        t_max: float | None = None,
        fast: bool = True,
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, dropout, fast=fast, init=init,
                         forget_bias=forget_bias, t_max=t_max)


class GRU(RecurrentLayer):
    """Stacked GRU (PyTorch's formulation), batch first; each layer an :class:`lstmlab.GRUCell`.

    ``GRU(input_size, hidden_size, num_layers=1, dropout=0.0, *, init=None, forget_bias=1.0,
    t_max=None, fast=True)``. Input ``(B, T, input_size)``; returns ``output (B, T, hidden_size)``
    and ``h_n (num_layers, B, H)``. Same model as ``torch.nn.GRU(batch_first=True)``. ``init``
    (``"default"`` when None, ``"forget_bias"`` or ``"chrono"`` with ``t_max``) initialises the
    update-gate bias of every layer, see :class:`lstmlab.GRUCell`.
    """

    cell_class = GRUCell
    _fused_op = staticmethod(torch._VF.gru)


_CLASSES: tuple[type[RecurrentLayer], ...] = (RNN, LSTM, GRU)  # in the order of CELLS
_LAYERS: dict[str, type[RecurrentLayer]] = dict(zip(CELLS, _CLASSES, strict=True))


def layer_class(cell: str) -> type[RecurrentLayer]:
    """The layer class named by ``cell`` (``"rnn"``, ``"lstm"`` or ``"gru"``, any case)."""
    found = _LAYERS.get(cell.lower()) if isinstance(cell, str) else None
    if found is None:
        raise ConfigError(f"unknown cell {cell!r}; choose one of {sorted(_LAYERS)}")
    return found


def make_layer(
    cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
    **cell_options: Any,
) -> RecurrentLayer:
    """Build the layer named by ``cell`` (``"rnn"``, ``"lstm"`` or ``"gru"``, any case).

    ``cell_options`` are the layer's keyword options (``fast``, and the initialisation options).
    """
    return layer_class(cell)(input_size, hidden_size, num_layers, dropout, **cell_options)
