"""Conformal intervals: the finite-sample quantile, split-conformal coverage within its bounds on
exchangeable data, and the long-run coverage of adaptive conformal inference under regime shifts."""

import math

import numpy as np
import pytest

from lstmlab.conformal import (
    AdaptiveConformal,
    SplitConformal,
    conformal_quantile,
    nonconformity,
)
from lstmlab.errors import ConfigError


def test_conformal_quantile_by_hand():
    scores = np.arange(10.0, 0.0, -1.0)  # 10 scores, unsorted
    assert conformal_quantile(scores, 0.1) == 10.0  # rank ceil(11 * 0.9) = 10
    assert conformal_quantile(scores, 0.2) == 9.0  # rank ceil(11 * 0.8) = 9
    assert conformal_quantile(scores, 0.5) == 6.0  # rank ceil(5.5) = 6
    assert conformal_quantile(scores[:5], 0.1) == math.inf  # rank 6 > 5: cannot certify 90%


def test_nonconformity_is_signed_distance_outside_the_band():
    np.testing.assert_allclose(nonconformity([0, 0, 0], [1, 1, 1], [-0.5, 0.25, 3]),
                               [0.5, -0.25, 2])


def test_split_conformal_coverage_within_finite_sample_bounds():
    """R independent calibration sets of n exchangeable points, m test points each.

    Marginal coverage is in [1 - alpha, 1 - alpha + 1/(n + 1)] for continuous scores.
    """
    rng = np.random.default_rng(0)
    n, m, trials, alpha = 49, 40, 3000, 0.1
    # a biased, heavy-tailed point forecast: conformal must not care
    calib_error = rng.standard_t(3, size=(n, trials)) + 0.3  # (n, R): one "step" per trial
    test_error = rng.standard_t(3, size=(m, trials)) + 0.3
    zero_c, zero_t = np.zeros((n, trials)), np.zeros((m, trials))
    conformal = SplitConformal.fit(zero_c, zero_c, calib_error, alpha)
    low, high = conformal.apply(zero_t, zero_t)
    covered = np.mean((low <= test_error) & (test_error <= high))
    standard_error = math.sqrt(alpha * (1 - alpha) / (n + 2) / trials)  # spread across trials
    assert 1 - alpha - 4 * standard_error <= covered <= 1 - alpha + 1 / (n + 1) + 4 * standard_error
    assert conformal.n == n and len(conformal.radius) == trials
    assert min(conformal.calibration_coverage) >= 1 - alpha


def test_split_conformal_widens_a_quantile_band_per_step():
    lower = np.zeros((19, 2))
    upper = np.ones((19, 2))
    actual = np.c_[np.linspace(-1.0, 1.0, 19), np.full(19, 0.5)]  # step 2 always inside
    conformal = SplitConformal.fit(lower, upper, actual, 0.05)
    # rank ceil(20 * 0.95) = 19 of 19: the largest miss, -1 below the band's 0
    assert conformal.radius[0] == pytest.approx(1.0)
    assert conformal.radius[1] == pytest.approx(-0.5)  # inside by 0.5: the band may shrink
    low, high = conformal.apply(np.zeros((1, 2)), np.ones((1, 2)))
    np.testing.assert_allclose(low, [[-1.0, 0.5]])
    np.testing.assert_allclose(high, [[2.0, 0.5]])


def test_split_conformal_round_trips_through_a_dict():
    conformal = SplitConformal.fit(np.zeros((5, 2)), np.zeros((5, 2)),
                                   np.arange(10.0).reshape(5, 2), 0.3)
    assert SplitConformal.from_dict(conformal.to_dict()) == conformal
    tiny = SplitConformal.fit(np.zeros(3), np.zeros(3), np.ones(3), 0.1)
    assert tiny.radius == (math.inf,)
    assert SplitConformal.from_dict(tiny.to_dict()) == tiny


def _regime_errors(rng: np.random.Generator, length: int) -> np.ndarray:
    """Errors whose volatility jumps between calm and wild regimes of 500 points."""
    sigma = np.where((np.arange(length) // 500) % 2 == 0, 1.0, 5.0)
    return np.abs(rng.normal(0.0, sigma))


@pytest.mark.parametrize("delay", [1, 5])
def test_adaptive_conformal_long_run_coverage_under_regime_shifts(delay):
    rng = np.random.default_rng(1)
    alpha, gamma, length = 0.1, 0.05, 6000
    calibration = np.abs(rng.normal(size=200))  # calm regime only
    stream = _regime_errors(rng, length)
    aci = AdaptiveConformal(calibration, alpha, gamma=gamma, window=100, delay=delay)
    radii, misses = aci.run(stream)
    bound = (max(alpha, 1 - alpha) + gamma) / (gamma * length)  # Gibbs & Candes, Prop. 4.1
    # with a delay the recursion lags by delay - 1 updates, each moving alpha_t by <= gamma
    assert abs(misses.mean() - alpha) <= bound * delay
    # a fixed split-conformal radius from the calm regime misses far more often
    fixed = conformal_quantile(calibration, alpha)
    assert np.mean(stream > fixed) > alpha + 0.2
    # and the band follows the regime: wider in wild stretches than in calm ones
    wild = (np.arange(length) // 500) % 2 == 1
    assert radii[wild].mean() > 2 * radii[~wild].mean()


def test_adaptive_conformal_on_exchangeable_data_stays_near_nominal():
    rng = np.random.default_rng(2)
    aci = AdaptiveConformal(np.abs(rng.normal(size=250)), 0.1, gamma=0.005)
    _, misses = aci.run(np.abs(rng.normal(size=5000)))
    assert misses.mean() == pytest.approx(0.1, abs=0.015)


def test_adaptive_conformal_state_round_trip_continues_identically():
    rng = np.random.default_rng(3)
    first = AdaptiveConformal(rng.random(50), 0.2, gamma=0.01, window=40)
    first.run(rng.random(30))
    copy = AdaptiveConformal.from_state(first.state())
    tail = rng.random(20)
    np.testing.assert_allclose(first.run(tail)[0], copy.run(tail)[0])


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, True, "0.1"])
def test_bad_alpha_is_a_config_error(alpha):
    with pytest.raises(ConfigError, match=f"alpha must be in \\(0, 1\\).*got {alpha!r}"):
        SplitConformal.fit(np.zeros(3), np.zeros(3), np.ones(3), alpha)
    with pytest.raises(ConfigError, match="alpha must be in"):
        AdaptiveConformal(np.ones(3), alpha)
