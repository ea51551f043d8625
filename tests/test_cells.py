"""Cells: one step against torch.nn.*Cell, gradcheck, initialisation and argument checks."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from lstmlab.cells import GRUCell, LSTMCell, RNNCell
from lstmlab.errors import ConfigError

PAIRS = [(RNNCell, nn.RNNCell), (LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)]


def _copy_into(cell: nn.Module, theirs: nn.Module) -> None:
    """Copy a torch cell's weights into ours (single bias = bias_ih + bias_hh for RNN/LSTM)."""
    with torch.no_grad():
        cell.weight_ih.copy_(theirs.weight_ih)
        cell.weight_hh.copy_(theirs.weight_hh)
        if isinstance(cell, GRUCell):
            cell.bias_ih.copy_(theirs.bias_ih)
            cell.bias_hh.copy_(theirs.bias_hh)
        else:
            cell.bias.copy_(theirs.bias_ih + theirs.bias_hh)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_one_step_matches_torch_cell(ours, theirs):
    torch.manual_seed(1)
    reference = theirs(3, 5).double()
    cell = ours(3, 5).double()
    _copy_into(cell, reference)
    x = torch.randn(4, 3, dtype=torch.float64)
    state = torch.randn(4, 5, dtype=torch.float64)
    if ours is LSTMCell:
        state = (state, torch.randn(4, 5, dtype=torch.float64))
        for a, b in zip(cell(x, state), reference(x, state), strict=True):
            torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
    else:
        torch.testing.assert_close(cell(x, state), reference(x, state), atol=1e-12, rtol=0)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_missing_state_means_zeros(ours, theirs):
    torch.manual_seed(2)
    cell = ours(2, 3)
    x = torch.randn(4, 2)
    zeros = torch.zeros(4, 3)
    explicit = cell(x, (zeros, zeros)) if ours is LSTMCell else cell(x, zeros)
    implicit = cell(x)
    if ours is LSTMCell:
        torch.testing.assert_close(implicit[0], explicit[0])
        torch.testing.assert_close(implicit[1], explicit[1])
    else:
        torch.testing.assert_close(implicit, explicit)


@pytest.mark.parametrize("ours", [RNNCell, LSTMCell, GRUCell])
def test_gradcheck_float64(ours):
    torch.manual_seed(3)
    cell = ours(2, 3).double()
    names = [name for name, _ in cell.named_parameters()]
    x = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]

    def run(x, h, c, *params):
        weights = dict(zip(names, params, strict=True))
        state = (h, c) if ours is LSTMCell else h
        out = torch.func.functional_call(cell, weights, (x, state))
        return torch.cat(out, dim=1) if ours is LSTMCell else out

    assert torch.autograd.gradcheck(run, (x, h, c, *params))


def test_lstm_forget_bias_defaults_to_one_and_rest_is_uniform():
    cell = LSTMCell(4, 6)
    bound = 1 / math.sqrt(6)
    assert torch.equal(cell.bias[6:12], torch.ones(6))
    others = torch.cat([cell.bias[:6], cell.bias[12:], cell.weight_ih.flatten(),
                        cell.weight_hh.flatten()])
    assert others.abs().max() <= bound
    assert others.std() > bound / 4  # drawn, not left at zero


def test_lstm_forget_bias_is_configurable_and_none_keeps_uniform():
    torch.manual_seed(0)
    assert torch.equal(LSTMCell(2, 5, forget_bias=2.5).bias[5:10], torch.full((5,), 2.5))
    drawn = LSTMCell(2, 5, forget_bias=None).bias[5:10]
    assert drawn.abs().max() <= 1 / math.sqrt(5)
    assert len(set(drawn.tolist())) == 5


def test_parameter_names_follow_pytorch():
    assert [n for n, _ in LSTMCell(2, 3).named_parameters()] == ["weight_ih", "weight_hh", "bias"]
    assert [n for n, _ in RNNCell(2, 3).named_parameters()] == ["weight_ih", "weight_hh", "bias"]
    assert [n for n, _ in GRUCell(2, 3).named_parameters()] == [
        "weight_ih", "weight_hh", "bias_ih", "bias_hh"
    ]
    assert list(LSTMCell(2, 3).state_dict()) == ["weight_ih", "weight_hh", "bias"]
    assert LSTMCell(2, 3).weight_hh.shape == (12, 3)
    assert GRUCell(2, 3).weight_ih.shape == (9, 2)


@pytest.mark.parametrize("ours", [RNNCell, LSTMCell, GRUCell])
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_bad_sizes_raise_config_error_naming_the_value(ours, bad):
    with pytest.raises(ConfigError, match=f"hidden_size must be a whole number >= 1, got {bad!r}"):
        ours(3, bad)
    with pytest.raises(ConfigError, match=f"input_size must be a whole number >= 1, got {bad!r}"):
        ours(bad, 3)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1"])
def test_bad_forget_bias_raises(bad):
    with pytest.raises(ConfigError, match="forget_bias must be a finite number or None"):
        LSTMCell(2, 3, forget_bias=bad)
