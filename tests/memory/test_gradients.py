"""Hidden-state gradient norms: checked against a hand-written backward pass of the tanh RNN."""

import numpy as np
import pytest
import torch

from lstmlab.errors import ConfigError
from lstmlab.memory.gradients import hidden_gradient_norms, vanishing_ratio
from lstmlab.memory.tasks import AddingTask, TaskBatch
from lstmlab.memory.train import MemoryConfig, build_model
from lstmlab.model import SequenceRegressor

ADDING = AddingTask()


def _data(length: int, batch: int = 4):
    return AddingTask().batch(batch, length, torch.Generator().manual_seed(5))


def _manual_rnn_norms(model: SequenceRegressor, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """dL/dh_t by the chain rule: g_T from the head, g_t = (g_{t+1} * (1 - h_{t+1}^2)) W_hh."""
    cell = model.rnn.cells[0]
    with torch.no_grad():
        h, hs = torch.zeros(x.shape[0], cell.hidden_size), []
        for x_t in x.unbind(1):
            h = torch.tanh(x_t @ cell.weight_ih.T + h @ cell.weight_hh.T + cell.bias)
            hs.append(h)
        prediction = model.head(h)  # (B, 1)
        g = 2 * (prediction - y) / y.numel() @ model.head.weight  # (B, H): dL/dh_T for the MSE
        grads = [g]
        for h_next in reversed(hs[1:]):
            g = (g * (1 - h_next**2)) @ cell.weight_hh
            grads.append(g)
    return np.array([g.norm(dim=-1).mean().item() for g in reversed(grads)])


def test_rnn_norms_match_the_hand_written_backward_pass():
    model = build_model(MemoryConfig(cell="rnn", hidden_size=5, seed=2))
    x, y = _data(7)
    norms = hidden_gradient_norms(model, TaskBatch(x, y), ADDING)
    np.testing.assert_allclose(norms, _manual_rnn_norms(model, x, y), rtol=1e-4)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_step_gets_a_finite_positive_norm(cell):
    norms = hidden_gradient_norms(build_model(MemoryConfig(cell=cell, hidden_size=6)), _data(9),
                                  ADDING)
    assert norms.shape == (9,) and np.isfinite(norms).all() and (norms > 0).all()


def test_untrained_rnn_gradient_vanishes_faster_than_the_lstm_one():
    data = _data(30, batch=8)
    ratios = {
        cell: vanishing_ratio(hidden_gradient_norms(build_model(MemoryConfig(cell=cell)), data,
                                                     ADDING))
        for cell in ("rnn", "lstm")
    }
    assert ratios["rnn"] < 1e-4 < ratios["lstm"] < 1


def test_vanishing_ratio_is_first_over_last():
    assert vanishing_ratio(np.array([1e-6, 0.5, 2.0])) == pytest.approx(5e-7)


def test_stacked_layers_are_refused():
    model = build_model(MemoryConfig(cell="rnn", hidden_size=4))
    model.rnn = torch.nn.Module()
    model.rnn.num_layers = 2
    with pytest.raises(ConfigError, match="needs a single-layer model, got num_layers=2"):
        hidden_gradient_norms(model, _data(3), ADDING)


def test_long_rnn_norms_are_measured_below_float32_range():
    model = build_model(MemoryConfig(cell="rnn", hidden_size=8))
    ratio = vanishing_ratio(hidden_gradient_norms(model, _data(250, batch=2), ADDING))
    assert 0 < ratio < 1e-45  # would be exactly 0 in float32
    assert model.rnn.cells[0].weight_hh.dtype == torch.float32
