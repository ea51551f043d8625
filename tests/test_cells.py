"""Cells: one step against torch.nn.*Cell, gradcheck, initialisation and argument checks."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats
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


def test_lstm_forget_bias_is_configurable_and_default_init_keeps_uniform():
    torch.manual_seed(0)
    assert torch.equal(LSTMCell(2, 5, forget_bias=2.5).bias[5:10], torch.full((5,), 2.5))
    for cell in (LSTMCell(2, 5, init="default"), LSTMCell(2, 5, init="default", forget_bias=3.0)):
        drawn = cell.bias[5:10]
        assert drawn.abs().max() <= 1 / math.sqrt(5)
        assert len(set(drawn.tolist())) == 5


def test_forget_bias_none_is_the_deprecated_spelling_of_default_init():
    with pytest.warns(DeprecationWarning, match="use init='default'"):
        cell = LSTMCell(2, 5, forget_bias=None)
    assert cell.init == "default"
    assert cell.bias[5:10].abs().max() <= 1 / math.sqrt(5)


def _uniform_pvalue(values: torch.Tensor, low: float, high: float) -> float:
    return float(stats.kstest(values.numpy(), stats.uniform(low, high - low).cdf).pvalue)


def test_lstm_chrono_init_draws_log_uniform_forget_bias_and_opposite_input_bias():
    torch.manual_seed(1)
    hidden, t_max = 2000, 300
    cell = LSTMCell(3, hidden, init="chrono", t_max=t_max)
    b_i, b_f = cell.bias[:hidden].detach(), cell.bias[hidden : 2 * hidden].detach()
    u = b_f.exp()  # exp(b_f) ~ U[1, t_max - 1]
    assert u.min() >= 1 and u.max() <= t_max - 1
    assert _uniform_pvalue(u, 1, t_max - 1) > 0.01
    assert torch.equal(b_i, -b_f)
    bound = 1 / math.sqrt(hidden)
    rest = torch.cat([cell.bias[2 * hidden :], cell.weight_ih.flatten(), cell.weight_hh.flatten()])
    assert rest.abs().max() <= bound  # candidate and output biases, weights: uniform draw
    assert _uniform_pvalue(cell.bias[2 * hidden :].detach(), -bound, bound) > 0.01


def test_gru_update_gate_bias_follows_its_init():
    torch.manual_seed(2)
    hidden, t_max = 2000, 50
    chrono = GRUCell(3, hidden, init="chrono", t_max=t_max)
    b_iz = chrono.bias_ih[hidden : 2 * hidden].detach()
    assert torch.equal(chrono.bias_hh[hidden : 2 * hidden], torch.zeros(hidden))
    assert b_iz.exp().min() >= 1 and b_iz.exp().max() <= t_max - 1
    assert _uniform_pvalue(b_iz.exp(), 1, t_max - 1) > 0.01
    constant = GRUCell(3, 4, init="forget_bias", forget_bias=2.0)
    assert torch.equal(constant.bias_ih[4:8] + constant.bias_hh[4:8], torch.full((4,), 2.0))
    plain = GRUCell(3, 4)
    assert plain.init == "default" and plain.bias_ih.abs().max() <= 0.5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LSTMCell(2, 3, init="chrono"), r"init='chrono' needs t_max.*got t_max=None"),
        (lambda: GRUCell(2, 3, init="chrono", t_max=1), "a number >= 2.*got t_max=1"),
        (lambda: LSTMCell(2, 3, t_max=100), "t_max=100 is only used by init='chrono'"),
        (lambda: LSTMCell(2, 3, init="xavier"), "init='xavier' is not available for the lstm"),
        (lambda: RNNCell(2, 3, init="chrono", t_max=9), "init='chrono' is not available for the "
                                                        "rnn cell; choose one of default"),
    ],
)
def test_bad_init_options_raise_config_error(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


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
    with pytest.raises(ConfigError, match="forget_bias must be a finite number, got"):
        LSTMCell(2, 3, forget_bias=bad)
