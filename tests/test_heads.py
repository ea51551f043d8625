"""Distribution heads: shapes, monotone quantiles, finite likelihoods, and what training learns."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from lstmlab.data import prepare
from lstmlab.errors import ConfigError
from lstmlab.heads import GaussianHead, PointHead, QuantileHead, StudentTHead, make_head

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
HEADS = {
    "mse": lambda: PointHead(8, 3),
    "quantile": lambda: QuantileHead(8, 3, LEVELS),
    "gaussian": lambda: GaussianHead(8, 3),
    "student_t": lambda: StudentTHead(8, 3),
}


@pytest.mark.parametrize("loss", list(HEADS))
def test_shapes(loss):
    torch.manual_seed(0)
    head = HEADS[loss]()
    params = head(torch.randn(5, 8))
    assert params.shape == (5, 3, head.n_params)
    assert head.point(params).shape == (5, 3)
    assert head.loss(params, torch.zeros(5, 3)).shape == ()
    if loss != "mse":
        assert head.quantiles(params, [0.1, 0.9]).shape == (5, 3, 2)
        assert head.cdf(params, torch.zeros(5, 3)).shape == (5, 3)
        draws = head.sample(params, 7, torch.Generator().manual_seed(1))
        assert draws.shape == (7, 5, 3)
        again = head.sample(params, 7, torch.Generator().manual_seed(1))
        torch.testing.assert_close(draws, again)  # same seed, same draws


def test_quantiles_never_cross_even_for_extreme_inputs():
    torch.manual_seed(0)
    head = QuantileHead(4, 2, LEVELS)
    with torch.no_grad():
        head.linear.weight.mul_(1e4)  # outputs in the thousands, of both signs
    params = head(torch.randn(2000, 4) * 100)  # (N, 2, 5)
    assert torch.all(params.diff(dim=-1) >= 0)
    interpolated = head.quantiles(params, np.linspace(0.01, 0.99, 50))
    assert np.all(np.diff(interpolated, axis=-1) >= 0)


def _flat_then_jump(n: int = 400) -> pd.DataFrame:
    """Prices that never move, then jump 20% in one day, then stay flat again."""
    close = np.full(n, 50.0)
    close[n - 30:] = 60.0
    dates = pd.bdate_range("2020-01-01", periods=n)
    return pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                         "volume": np.full(n, 1e6)}, index=pd.DatetimeIndex(dates, name="date"))


@pytest.mark.parametrize("loss", ["quantile", "gaussian", "student_t"])
def test_likelihoods_finite_on_zero_returns_and_a_20_percent_jump(loss):
    prepared = prepare(_flat_then_jump(), lookback=20, split=(0.5, 0.2, 0.3))
    flat = prepared.train.y  # every training return is exactly zero
    jump = prepared.test.y  # holds the 20% jump, scaled by the training scaler
    assert torch.all(flat == flat[0]) and jump.abs().max() > 0
    torch.manual_seed(0)
    head = make_head(loss, 8, 1, LEVELS)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    for y in (flat, jump, flat, jump):
        for _ in range(20):  # training on it must stay finite too
            loss_value = head.loss(head(torch.randn(len(y), 8)), y)
            optimizer.zero_grad()
            loss_value.backward()
            assert torch.isfinite(loss_value)
            assert all(torch.isfinite(p.grad).all() for p in head.parameters())
            optimizer.step()


def _fit(head, y: torch.Tensor, steps: int = 600) -> torch.Tensor:
    """Train ``head`` on a constant input to fit the marginal distribution of ``y``."""
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    x = torch.ones(len(y), 8)
    for _ in range(steps):
        loss = head.loss(head(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return head(x[:1]).detach()


def test_pinball_training_learns_the_quantiles():
    torch.manual_seed(0)
    y = torch.randn(4000, 1)
    params = _fit(QuantileHead(8, 1, LEVELS), y)
    expected = np.quantile(y.numpy(), LEVELS)
    np.testing.assert_allclose(params[0, 0].numpy(), expected, atol=0.08)


@pytest.mark.parametrize("head_type", [GaussianHead, StudentTHead])
def test_likelihood_training_learns_location_and_spread(head_type):
    torch.manual_seed(0)
    y = 0.5 + 2.0 * torch.randn(2000, 1)
    head = head_type(8, 1)
    params = _fit(head, y)
    assert float(head.point(params)) == pytest.approx(0.5, abs=0.1)
    q05, q95 = head.quantiles(params, [0.05, 0.95])[0, 0]
    assert q95 - q05 == pytest.approx(2 * 1.645 * 2.0, rel=0.06)


def test_gaussian_quantiles_and_cdf_match_scipy():
    params = torch.tensor([[[0.3, 1.5]], [[-1.0, 0.2]]])  # (2, 1, 2): mu, sigma
    head = GaussianHead(8, 1)
    q = head.quantiles(params, [0.05, 0.5, 0.9])
    expected = stats.norm.ppf([0.05, 0.5, 0.9], loc=[[0.3], [-1.0]], scale=[[1.5], [0.2]])
    np.testing.assert_allclose(q[:, 0, :], expected, rtol=1e-6)
    cdf = head.cdf(params, torch.tensor([[0.3], [-0.8]]))
    np.testing.assert_allclose(cdf[:, 0], [0.5, stats.norm.cdf(1.0)], rtol=1e-6)


def test_student_t_quantiles_and_cdf_are_inverse():
    params = torch.tensor([[[0.1, 0.7, 3.0]]])
    head = StudentTHead(8, 1)
    levels = [0.05, 0.5, 0.95]
    q = head.quantiles(params, levels)  # (1, 1, 3)
    np.testing.assert_allclose(q[0, 0], 0.1 + 0.7 * stats.t.ppf(levels, df=3.0), rtol=1e-6)
    pit = [head.cdf(params, torch.tensor([[value]]))[0, 0] for value in q[0, 0]]
    np.testing.assert_allclose(pit, levels, atol=1e-6)


def test_quantile_head_cdf_inverts_its_quantiles():
    params = torch.tensor([[[-2.0, -0.5, 0.0, 0.4, 1.5]]])
    head = QuantileHead(8, 1, LEVELS)
    pit = [head.cdf(params, torch.tensor([[v]]))[0, 0] for v in params[0, 0].tolist()]
    np.testing.assert_allclose(pit, LEVELS)
    assert float(head.point(params)) == 0.0  # the median


def test_unknown_loss_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown loss 'laplace'"):
        make_head("laplace", 8, 1)
