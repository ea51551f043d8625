"""One time step of an Elman RNN, an LSTM and a GRU, written as the textbook equations.

Each cell stores its gate weights stacked in PyTorch's row order (LSTM ``i, f, c̃, o``; GRU
``r, z, n``), so that a layer can hand them to PyTorch's fused kernel without copying (see
``docs/layers.md``). The layers in :mod:`lstmlab.layers` run a cell over a sequence in two steps:
:meth:`input_projection` for all time steps at once, then :meth:`step` once per time step, which
does the recurrent matmul and the gate arithmetic. ``forward`` chains the two for a single step.

Initialisation (``init``): every cell first draws all parameters from uniform(-1/sqrt(H),
1/sqrt(H)) as PyTorch does (``"default"``); the gated cells can then set the bias of the gate that
keeps the memory: ``"forget_bias"`` sets it to a constant (1.0 by default), ``"chrono"`` draws it
per unit so that the units' memory time scales spread from 1 to ``t_max`` steps.

References: Elman 1990 (simple RNN); Hochreiter & Schmidhuber 1997 and Gers et al. 2000 (LSTM
with forget gate); Cho et al. 2014 (GRU); Jozefowicz et al. 2015 (forget-gate bias of 1); Tallec &
Ollivier 2018, "Can recurrent neural networks warp time?" (chrono initialisation).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lstmlab.errors import ConfigError
from lstmlab.validation import require_int
from lstmlab.vocabulary import CELL_INITS

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "chrono_bias"]

Gates = dict[str, Tensor]


def chrono_bias(hidden_size: int, t_max: float) -> Tensor:
    """``log(u)``, ``u ~ U[1, t_max - 1]``, one value per unit (Tallec & Ollivier 2018).

    As the bias of a keep gate (LSTM forget gate, GRU update gate) it makes a fresh unit keep
    ``σ(log u) = u / (1 + u)`` of its state per step, so its memory lasts about ``u + 1`` steps:
    time scales spread uniformly between 2 and ``t_max``. Drawn from PyTorch's global generator,
    like the uniform initialisation.
    """
    return torch.empty(hidden_size).uniform_(1.0, t_max - 1.0).log_()  # (H,)


class _Cell(nn.Module):
    """Shared parts: sizes, stacked weights, uniform initialisation, fused-kernel layout."""

    gate_count: int  # gate blocks stacked in weight_ih / weight_hh
    default_init: ClassVar[str] = "default"  # what init=None means for this cell
    inits: ClassVar[tuple[str, ...]]  # the initialisations this cell offers

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = require_int("input_size", input_size)
        self.hidden_size = require_int("hidden_size", hidden_size)
        rows = self.gate_count * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))  # (G*H, I)
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))  # (G*H, H)

    @classmethod
    def check_init(cls, init: str | None, t_max: float | None = None,
                   forget_bias: float | None = 1.0) -> str:
        """The initialisation to use (``init``, or the cell's default when None), checked.

        Raises :class:`ConfigError` for an init the cell does not offer, a missing or bad
        ``t_max`` with ``"chrono"``, a ``t_max`` given to another init, or a bad
        ``forget_bias`` with ``"forget_bias"``. Draws nothing.
        """
        name = cls.__name__.removesuffix("Cell").lower()
        init = cls.default_init if init is None else init
        if init not in cls.inits:
            raise ConfigError(f"init={init!r} is not available for the {name} cell; choose one "
                              f"of {', '.join(cls.inits)}")
        if init == "chrono" and (
            isinstance(t_max, bool) or not isinstance(t_max, (int, float))
            or not (math.isfinite(t_max) and t_max >= 2)
        ):
            raise ConfigError(
                f"init='chrono' needs t_max, the longest dependency in steps (a number >= 2, "
                f"for example the sequence length), got t_max={t_max!r}"
            )
        if init != "chrono" and t_max is not None:
            raise ConfigError(f"t_max={t_max!r} is only used by init='chrono', not init={init!r}")
        if init == "forget_bias" and (
            isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float))
            or not math.isfinite(forget_bias)
        ):
            raise ConfigError(f"forget_bias must be a finite number, got {forget_bias!r}")
        return init

    def reset_parameters(self) -> None:
        """Draw every parameter from uniform(-1/sqrt(H), 1/sqrt(H)), as PyTorch does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            nn.init.uniform_(param, -bound, bound)

    def input_projection(self, x: Tensor) -> Tensor:
        """``W_ih x + b`` for one step ``(B, I)`` or a whole sequence ``(B, T, I)`` at once."""
        return F.linear(x, self.weight_ih, self._input_bias())  # (..., G*H)

    def step(self, gx_t: Tensor, state: Any) -> tuple[tuple[Tensor, ...], Gates]:
        """One time step from the projected input ``gx_t (B, G*H)`` and the previous state,
        ``(h,)`` or ``(h, c)`` (typed by each cell): the new state and the gates."""
        raise NotImplementedError

    def fused_weights(self) -> list[Tensor]:
        """The four tensors PyTorch's fused kernel expects: ``w_ih, w_hh, b_ih, b_hh``."""
        raise NotImplementedError

    def _input_bias(self) -> Tensor:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class _SingleBiasCell(_Cell):
    """A cell with the textbook single bias ``b`` (RNN, LSTM).

    PyTorch keeps two biases ``b_ih`` and ``b_hh`` that are only ever added together, so
    ``b = b_ih + b_hh``. The fused kernel gets ``b`` as ``b_ih`` and a zero buffer as ``b_hh``.
    """

    _zero_bias: Tensor  # a buffer (registered in __init__), typed for mypy

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        rows = self.gate_count * hidden_size
        self.bias = nn.Parameter(torch.empty(rows))  # (G*H,)
        # Not a parameter and not saved: it only fills the fused kernel's b_hh slot.
        self.register_buffer("_zero_bias", torch.zeros(rows), persistent=False)

    def fused_weights(self) -> list[Tensor]:
        return [self.weight_ih, self.weight_hh, self.bias, self._zero_bias]

    def _input_bias(self) -> Tensor:
        return self.bias


class RNNCell(_SingleBiasCell):
    """Elman RNN cell with tanh: ``h_t = tanh(W·[h_{t-1}, x_t] + b)``.

    ``W·[h_{t-1}, x_t]`` is split as ``weight_hh @ h_{t-1} + weight_ih @ x_t``.

    Shapes: ``x_t (B, I)``, ``h_{t-1}, h_t (B, H)``; ``weight_ih (H, I)``, ``weight_hh (H, H)``,
    ``bias (H,)``. Initialisation: uniform(-1/sqrt(H), 1/sqrt(H)) for all parameters (the only
    ``init``, ``"default"``: the cell has no gate to bias). PyTorch's ``nn.RNN`` (tanh) is the
    same model with ``bias = bias_ih + bias_hh``.
    """

    gate_count = 1
    inits = CELL_INITS["rnn"]

    def __init__(self, input_size: int, hidden_size: int, *, init: str | None = None,
                 t_max: float | None = None) -> None:
        super().__init__(input_size, hidden_size)
        self.init = self.check_init(init, t_max)
        self.reset_parameters()

    def step(self, gx_t: Tensor, state: tuple[Tensor]) -> tuple[tuple[Tensor], Gates]:
        """One step from the projected input ``gx_t = W_ih x_t + b`` (B, H); state ``(h,)``."""
        (h_prev,) = state
        h_t = torch.tanh(torch.addmm(gx_t, h_prev, self.weight_hh.t()))  # (B, H)
        return (h_t,), {"h_t": h_t}

    def forward(self, x_t: Tensor, h_prev: Tensor | None = None) -> Tensor:
        """``h_t`` from ``x_t (B, I)`` and ``h_prev (B, H)`` (zeros when omitted)."""
        if h_prev is None:
            h_prev = x_t.new_zeros(x_t.shape[0], self.hidden_size)
        (h_t,), _ = self.step(self.input_projection(x_t), (h_prev,))
        return h_t


class LSTMCell(_SingleBiasCell):
    """LSTM cell with forget gate (Gers et al. 2000), as in the textbook::

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)          forget gate
        i_t = σ(W_i·[h_{t-1}, x_t] + b_i)          input gate
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)          output gate
        c̃_t = tanh(W_c·[h_{t-1}, x_t] + b_c)       candidate cell
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        h_t = o_t ⊙ tanh(c_t)

    Layout: the four gate blocks are stacked in PyTorch's order ``i, f, c̃, o`` (PyTorch calls the
    candidate ``g``): ``weight_ih (4H, I)`` holds ``[W_i; W_f; W_c; W_o]`` for ``x_t``,
    ``weight_hh (4H, H)`` the same for ``h_{t-1}``, and ``bias (4H,)`` holds
    ``[b_i; b_f; b_c; b_o]``, which equals PyTorch's ``bias_ih + bias_hh``.

    Initialisation (``init``): uniform(-1/sqrt(H), 1/sqrt(H)) for all parameters, then

    * ``"forget_bias"`` (the default): ``b_f = forget_bias`` (1.0 by default), so that the cell
      remembers from the start (Gers et al. 2000, Jozefowicz et al. 2015);
    * ``"chrono"``: ``b_f ~ log(U[1, t_max - 1])`` per unit and ``b_i = -b_f`` (Tallec & Ollivier
      2018), memory time scales spread up to ``t_max`` steps (see :func:`chrono_bias`);
    * ``"default"``: nothing more, as ``torch.nn.LSTM``.

    ``forget_bias=None`` is the older spelling of ``init="default"`` (deprecated).

    Shapes: ``x_t (B, I)``; ``h_t, c_t (B, H)``.
    """

    gate_count = 4
    inits = CELL_INITS["lstm"]
    default_init = "forget_bias"

    def __init__(
        self, input_size: int, hidden_size: int, *, init: str | None = None,
        forget_bias: float | None = 1.0, t_max: float | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size)
        if forget_bias is None and init is None:
            warnings.warn("LSTMCell(forget_bias=None) is deprecated: use init='default'",
                          DeprecationWarning, stacklevel=2)
            init = "default"
        self.init = self.check_init(init, t_max, forget_bias)
        self.forget_bias, self.t_max = forget_bias, t_max
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform(-1/sqrt(H), 1/sqrt(H)) everywhere, then the gate biases of ``init``."""
        super().reset_parameters()
        hidden = self.hidden_size
        b_i, b_f = self.bias[:hidden], self.bias[hidden : 2 * hidden]  # views, each (H,)
        with torch.no_grad():
            if self.init == "forget_bias":
                assert self.forget_bias is not None  # check_init made sure it is a number
                b_f.fill_(self.forget_bias)
            elif self.init == "chrono":
                assert self.t_max is not None  # check_init made sure it is a number
                b_f.copy_(chrono_bias(hidden, self.t_max))
                b_i.copy_(-b_f)

    def step(
        self, gx_t: Tensor, state: tuple[Tensor, Tensor]
    ) -> tuple[tuple[Tensor, Tensor], Gates]:
        """One step from the projected input ``gx_t = W_ih x_t + b`` (B, 4H); state ``(h, c)``."""
        h_prev, c_prev = state
        z_t = torch.addmm(gx_t, h_prev, self.weight_hh.t())  # (B, 4H) pre-activations
        z_i, z_f, z_c, z_o = z_t.chunk(4, dim=1)  # each (B, H)
        i_t = torch.sigmoid(z_i)
        f_t = torch.sigmoid(z_f)
        o_t = torch.sigmoid(z_o)
        c_tilde = torch.tanh(z_c)
        c_t = f_t * c_prev + i_t * c_tilde
        h_t = o_t * torch.tanh(c_t)
        gates = {"f_t": f_t, "i_t": i_t, "o_t": o_t, "c_tilde": c_tilde, "c_t": c_t, "h_t": h_t}
        return (h_t, c_t), gates

    def forward(
        self, x_t: Tensor, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        """``(h_t, c_t)`` from ``x_t (B, I)`` and ``state = (h_prev, c_prev)`` (zeros if None)."""
        if state is None:
            zeros = x_t.new_zeros(x_t.shape[0], self.hidden_size)
            state = (zeros, zeros)
        new_state, _ = self.step(self.input_projection(x_t), state)
        return new_state

    def extra_repr(self) -> str:
        extra = {"forget_bias": f"forget_bias={self.forget_bias}", "chrono": f"t_max={self.t_max}"}
        return ", ".join([super().extra_repr(), f"init={self.init!r}", extra.get(self.init, "")]
                         ).rstrip(", ")


class GRUCell(_Cell):
    """GRU cell in PyTorch's formulation::

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Cho et al. 2014 apply the reset gate before the matmul, ``W_hn (r_t ⊙ h_{t-1})``, and blend
    with ``z_t`` on the candidate side (``h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ h̃_t`` in some texts,
    the reverse in others). Resetting after the matmul (as cuDNN and PyTorch do) lets all three
    recurrent matmuls run as one, and needs the two biases: ``b_hn`` sits inside ``r_t ⊙ (...)``
    so it cannot be merged with ``b_in``. We follow PyTorch so that weights convert exactly.

    Layout: blocks stacked as ``r, z, n``: ``weight_ih (3H, I)``, ``weight_hh (3H, H)``,
    ``bias_ih (3H,)``, ``bias_hh (3H,)``, named and ordered as in ``torch.nn.GRU``.

    Initialisation (``init``): uniform(-1/sqrt(H), 1/sqrt(H)) for all parameters (``"default"``,
    as ``torch.nn.GRU``). Here the update gate ``z_t`` is the keep gate (it weighs ``h_{t-1}``),
    so the LSTM's forget-gate options act on its bias ``b_z = b_iz + b_hz``: ``"forget_bias"``
    sets ``b_iz = forget_bias`` (1.0 by default), ``"chrono"`` draws ``b_iz ~ log(U[1, t_max -
    1])`` (Tallec & Ollivier 2018); both set ``b_hz = 0``. Shapes: ``x_t (B, I)``, ``h_t (B, H)``.
    """

    gate_count = 3
    inits = CELL_INITS["gru"]

    def __init__(
        self, input_size: int, hidden_size: int, *, init: str | None = None,
        forget_bias: float = 1.0, t_max: float | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size)
        self.init = self.check_init(init, t_max, forget_bias)
        self.forget_bias, self.t_max = forget_bias, t_max
        rows = self.gate_count * hidden_size
        self.bias_ih = nn.Parameter(torch.empty(rows))  # (3H,)
        self.bias_hh = nn.Parameter(torch.empty(rows))  # (3H,)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform(-1/sqrt(H), 1/sqrt(H)) everywhere, then the update-gate bias of ``init``."""
        super().reset_parameters()
        if self.init == "default":
            return
        hidden = self.hidden_size
        b_iz, b_hz = self.bias_ih[hidden : 2 * hidden], self.bias_hh[hidden : 2 * hidden]
        with torch.no_grad():
            if self.init == "forget_bias":
                b_iz.fill_(self.forget_bias)
            else:
                assert self.t_max is not None  # check_init made sure it is a number
                b_iz.copy_(chrono_bias(hidden, self.t_max))
            b_hz.zero_()

    def fused_weights(self) -> list[Tensor]:
        return [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]

    def _input_bias(self) -> Tensor:
        return self.bias_ih

    def step(self, gx_t: Tensor, state: tuple[Tensor]) -> tuple[tuple[Tensor], Gates]:
        """One step from the projected input ``gx_t = W_ih x_t + b_ih`` (B, 3H); state ``(h,)``."""
        (h_prev,) = state
        gh_t = torch.addmm(self.bias_hh, h_prev, self.weight_hh.t())  # (B, 3H)
        x_r, x_z, x_n = gx_t.chunk(3, dim=1)  # each (B, H)
        h_r, h_z, h_n = gh_t.chunk(3, dim=1)
        r_t = torch.sigmoid(x_r + h_r)
        z_t = torch.sigmoid(x_z + h_z)
        n_t = torch.tanh(x_n + r_t * h_n)
        h_t = (1 - z_t) * n_t + z_t * h_prev
        return (h_t,), {"z_t": z_t, "r_t": r_t, "n_t": n_t, "h_t": h_t}

    def forward(self, x_t: Tensor, h_prev: Tensor | None = None) -> Tensor:
        """``h_t`` from ``x_t (B, I)`` and ``h_prev (B, H)`` (zeros when omitted)."""
        if h_prev is None:
            h_prev = x_t.new_zeros(x_t.shape[0], self.hidden_size)
        (h_t,), _ = self.step(self.input_projection(x_t), (h_prev,))
        return h_t
