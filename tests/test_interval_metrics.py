"""Interval and probabilistic scores: hand-checked values and reference implementations."""

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from lstmlab.interval_metrics import (
    INTERVAL_METRIC_NAMES,
    coverage,
    crps_gaussian,
    crps_samples,
    interval_metrics,
    interval_score,
    pinball,
    pit_histogram,
)


def test_pinball_is_the_max_form_on_numpy_and_torch():
    y = np.array([1.0, -2.0, 0.5, 3.0])
    q = np.array([0.0, 0.0, 0.5, 4.0])
    for tau in (0.05, 0.5, 0.9):
        d = y - q
        expected = np.maximum(tau * d, (tau - 1) * d)
        np.testing.assert_allclose(pinball(y, q, tau), expected)
        tensor = pinball(torch.tensor(y), torch.tensor(q), torch.tensor(tau, dtype=torch.float64))
        np.testing.assert_allclose(tensor.numpy(), expected)


def test_coverage_and_interval_score_by_hand():
    actual = np.array([1.0, 5.0, -1.0, 2.0])
    lower, upper = np.zeros(4), np.full(4, 2.0)
    assert coverage(actual, lower, upper) == 0.5  # 1 and 2 (an end counts as covered)
    # widths 2 each; misses: 3 above, 1 below, each charged 2 / alpha = 20 per unit
    assert interval_score(actual, lower, upper, 0.1) == pytest.approx((8 + 20 * 3 + 20 * 1) / 4)
    metrics = interval_metrics(actual, lower, upper, np.full(4, 1.0), 0.1)
    assert tuple(metrics) == INTERVAL_METRIC_NAMES
    assert metrics["width"] == 2.0 and metrics["width_pct"] == 200.0


def test_crps_gaussian_matches_numerical_integration():
    for y, mu, sigma in [(0.3, 0.0, 1.0), (-2.0, 0.5, 0.4), (10.0, 9.0, 3.0)]:
        def squared_gap(x, y=y, mu=mu, sigma=sigma):
            return (stats.norm.cdf(x, mu, sigma) - (x >= y)) ** 2

        below, _ = integrate.quad(squared_gap, mu - 40 * sigma, y)
        above, _ = integrate.quad(squared_gap, y, mu + 40 * sigma)
        assert crps_gaussian([y], [mu], [sigma])[0] == pytest.approx(below + above, rel=1e-6)


def test_crps_samples_equals_the_pairwise_definition_and_converges():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    y = rng.normal(size=4)
    pairwise = (np.abs(x - y).mean(axis=0)
                - 0.5 * np.abs(x[:, None, :] - x[None, :, :]).mean(axis=(0, 1)))
    np.testing.assert_allclose(crps_samples(y, x), pairwise)
    many = rng.normal(1.0, 2.0, size=(20000, 3))
    exact = crps_gaussian([0.0, 1.0, 4.0], [1.0] * 3, [2.0] * 3)
    np.testing.assert_allclose(crps_samples([0.0, 1.0, 4.0], many), exact, rtol=0.03)


def test_pit_histogram_flat_when_calibrated_u_shaped_when_too_narrow():
    rng = np.random.default_rng(0)
    y = rng.normal(size=20000)
    calibrated = pit_histogram(stats.norm.cdf(y))
    assert calibrated.shape == (10,)
    assert calibrated.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(calibrated, 1.0, atol=0.1)
    narrow = pit_histogram(stats.norm.cdf(y / 0.5))  # forecast sigma half the truth
    assert narrow[0] > 2 and narrow[-1] > 2 and narrow[4] < 0.6


def test_mismatched_or_empty_inputs_raise():
    with pytest.raises(ValueError, match="equal shapes"):
        coverage([1.0, 2.0], [0.0], [3.0, 3.0])
    with pytest.raises(ValueError, match="empty"):
        coverage([], [], [])
    with pytest.raises(ValueError, match="alpha must be in"):
        interval_score([1.0], [0.0], [2.0], 1.0)
