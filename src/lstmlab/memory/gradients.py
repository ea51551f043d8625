"""Measure the vanishing gradient: how much of the loss's gradient reaches each hidden state.

For a sequence ``x_1 .. x_T`` and a loss read at the end, ``dL/dh_t`` is the sensitivity of the
loss to the hidden state at step ``t``, ``T - t`` steps before the end (for the LSTM, to the
whole recurrent state ``(h_t, c_t)``). In a simple tanh RNN it is a product of ``T - t``
Jacobians ``diag(1 - h^2) W_hh`` and shrinks geometrically with the distance from the end
(Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013); the LSTM's additive cell
state ``c_t = f_t * c_{t-1} + ...`` lets it pass back nearly unchanged while ``f_t`` is near 1.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import Tensor

from lstmlab.errors import ConfigError
from lstmlab.memory.tasks import Task, TaskBatch
from lstmlab.model import SequenceRegressor

__all__ = ["hidden_gradient_norms", "vanishing_ratio"]


def _run_stepwise(model: SequenceRegressor, x: Tensor) -> tuple[Tensor, list[list[Tensor]]]:
    """Run the layer one step at a time, keeping each step's state tensors in the graph.

    The next step starts from ``h_t`` taken from the step's output, so the whole gradient that
    reaches step ``t`` (through the head and through later steps) lands in that one tensor; an
    LSTM's ``c_t`` is kept as well, since its memory lives there.
    """
    layer = model.rnn
    if layer.num_layers != 1:
        raise ConfigError(
            f"gradient measurement needs a single-layer model, got num_layers={layer.num_layers}"
        )
    state = None
    states = []
    for x_t in x.split(1, dim=1):  # each (B, 1, I)
        out, final = layer(x_t, state)  # out (B, 1, H)
        h_t = out.transpose(0, 1)  # (1, B, H), equal to final h_t
        state = (h_t, final[1]) if isinstance(final, tuple) else h_t
        parts = list(state) if isinstance(state, tuple) else [state]
        for part in parts:
            part.retain_grad()
        states.append(parts)
    output = torch.cat([parts[0].transpose(0, 1) for parts in states], dim=1)  # (B, T, H)
    return output, states


def _norm(parts: list[Tensor]) -> float:
    """Mean over the batch of the norm of the gradient reaching (h_t) or (h_t, c_t)."""
    grads = [p.grad[0] for p in parts if p.grad is not None]  # each (B, H)
    norm: float = torch.cat(grads, dim=-1).norm(dim=-1).mean().item()
    return norm


def hidden_gradient_norms(model: SequenceRegressor, data: TaskBatch, task: Task) -> np.ndarray:
    """``||dL/ds_t||`` for t = 1 .. T, ``s_t`` the recurrent state: ``h_t``, or ``(h_t, c_t)``.

    Each entry is the mean over the batch of the per-sequence norm; entry ``-1`` is the last
    step, entry ``0`` the first. The LSTM's final ``c_T`` reaches the loss only through ``h_T``,
    so its own gradient is empty and the last entry is ``||dL/dh_T||``, as for the other cells.
    The measurement runs on a float64 copy of the model: a simple RNN's norms fall below
    float32's smallest number (about 1e-45) within a few hundred steps. ``model`` is untouched;
    ``task`` gives the loss.
    """
    twin = copy.deepcopy(model).double().eval()
    x = data.x.double()  # (B, T, I)
    y = data.y.double() if data.y.is_floating_point() else data.y  # copy task: class indices
    output, states = _run_stepwise(twin, x)
    task.loss(twin.read(output), y).backward()
    return np.asarray([_norm(parts) for parts in states])


def vanishing_ratio(norms: np.ndarray) -> float:
    """``||dL/ds_1|| / ||dL/ds_T||``: the share of the end's gradient reaching the first step."""
    return float(norms[0] / norms[-1])
