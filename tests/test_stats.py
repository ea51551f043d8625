"""Forecast tests: hand-computed values, reference implementations, and size under the null."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lstmlab.errors import DataError
from lstmlab.stats import (
    Significance,
    clark_west,
    diebold_mariano,
    diebold_mariano_losses,
    diebold_mariano_mean,
    diebold_mariano_steps,
    long_run_variance,
    pesaran_timmermann,
)

ROOT = Path(__file__).resolve().parents[1]

# actual, predicted and previous (naive) prices on five points
ACTUAL = np.array([10.0, 11.0, 12.0, 11.0, 13.0])
PREDICTED = np.array([10.5, 11.5, 11.0, 12.0, 12.5])
PREVIOUS = np.array([9.0, 10.0, 11.0, 12.0, 11.0])


def _dm_size_benchmark():
    """The simulation of ``benchmarks/dm_size.py``, imported so that the test runs the same one."""
    spec = importlib.util.spec_from_file_location("dm_size", ROOT / "benchmarks" / "dm_size.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------- Diebold-Mariano
def test_dm_statistic_matches_direct_computation():
    stat, p = diebold_mariano(ACTUAL - PREDICTED, ACTUAL - PREVIOUS)
    # d = [-0.75, -0.75, 0, 0, -3.75], mean -1.05, gamma_0 = 9.675 / 5
    dm = -1.05 / math.sqrt(9.675 / 5 / 5)
    expected = dm * math.sqrt((5 + 1 - 2) / 5)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=4))


def test_dm_one_step_equals_one_sample_t_test_of_loss_differential():
    # for h = 1 the HLN factor turns the 1/T variance into the 1/(T-1) one of a t-test
    rng = np.random.default_rng(0)
    e_a, e_b = rng.normal(0, 1, 30), rng.normal(0, 1.3, 30)
    stat, p = diebold_mariano(e_a, e_b)
    reference = stats.ttest_1samp(e_a**2 - e_b**2, 0.0)
    assert stat == pytest.approx(reference.statistic)
    assert p == pytest.approx(reference.pvalue)


def test_dm_multi_step_uses_autocovariances():
    rng = np.random.default_rng(1)
    e_a, e_b = rng.normal(0, 1, 12), rng.normal(0, 1, 12)
    d = e_a**2 - e_b**2
    n, h, mean = 12, 3, d.mean()
    gamma = [sum((d[t] - mean) * (d[t - k] - mean) for t in range(k, n)) / n for k in range(h)]
    assert gamma[0] + 2 * (gamma[1] + gamma[2]) > 0  # the rectangular estimate is used
    dm = mean / math.sqrt((gamma[0] + 2 * (gamma[1] + gamma[2])) / n)
    expected = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat, p = diebold_mariano(e_a, e_b, horizon=3)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=n - 1))


def test_long_run_variance_falls_back_to_bartlett_weights_when_not_positive():
    d = np.array([1.0, -1.0] * 5)  # gamma_0 = 1, gamma_1 = -9/10: rectangular 1 - 1.8 < 0
    assert long_run_variance(d, 0) == pytest.approx(1.0)
    assert long_run_variance(d, 1) == pytest.approx(1.0 - 2 * 0.5 * 0.9)  # weight 1 - 1/2


def test_dm_sign_and_degenerate_cases():
    e = np.array([1.0, -2.0, 0.5, 1.5])
    assert diebold_mariano(e * 2, e).statistic > 0  # a worse than b
    assert all(math.isnan(v) for v in diebold_mariano(e, -e))  # equal squared errors
    assert diebold_mariano(np.ones(4), np.full(4, 2.0)) == (-math.inf, 0.0)
    assert diebold_mariano(np.ones(4), np.full(4, 2.0)).significant()
    assert not Significance(math.nan, math.nan).significant()


def test_dm_per_step_uses_k_minus_one_lags_and_the_mean_test_averages_the_steps():
    rng = np.random.default_rng(2)
    e_a, e_b = rng.normal(0, 1, (40, 3)), rng.normal(0, 1.2, (40, 3))
    for k, result in enumerate(diebold_mariano_steps(e_a, e_b), start=1):
        assert result == diebold_mariano(e_a[:, k - 1], e_b[:, k - 1], horizon=k)
    d = (e_a**2 - e_b**2).mean(axis=1)
    n, h = 40, 3
    variance = long_run_variance(d, h - 1)
    expected = d.mean() / math.sqrt(variance / n) * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat, p = diebold_mariano_mean(e_a, e_b)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=n - 1))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: diebold_mariano([1.0, 2.0], [2.0, 1.0], horizon=0),
         "horizon must be a whole number >= 1, got 0"),
        (lambda: diebold_mariano([1.0, 2.0], [2.0, 1.0], horizon=2),
         "more points than the horizon, got 2 point"),
        (lambda: diebold_mariano_mean(np.ones(3), np.ones(3)),
         r"errors_a must be a 2-D array, got shape \(3,\)"),
        (lambda: diebold_mariano_steps(np.ones((3, 2)), np.ones((3, 3))),
         r"equal shapes, got errors_a=\(3, 2\), errors_b=\(3, 3\)"),
        (lambda: clark_west([1.0, np.nan], [0.0, 0.0], [1.0, 1.0]),
         "actual has 1 non-finite value"),
        (lambda: pesaran_timmermann([], []), "cannot score empty arrays"),
    ],
)
def test_bad_inputs_raise_data_error_naming_the_problem(call, message):
    with pytest.raises(DataError, match=message):
        call()


# ---------------------------------------------------------------------- Pesaran-Timmermann
def test_pesaran_timmermann_by_hand():
    actual = np.array([1, 1, 1, 1, 1, 1, -1, -1, -1, -1.0])  # p_y = 0.6
    predicted = np.array([1, 1, 1, 1, 1, -1, -1, -1, -1, 1.0])  # p_x = 0.6, 8 hits of 10
    # P* = 0.36 + 0.16 = 0.52; V(P) = 0.52 * 0.48 / 10 = 0.02496
    # V(P*) = 2 * (0.2^2 * 0.24) / 10 + 4 * 0.36 * 0.16 / 100 = 0.004224
    expected = (0.8 - 0.52) / math.sqrt(0.02496 - 0.004224)  # 0.28 / 0.144
    stat, p = pesaran_timmermann(actual, predicted)
    assert stat == pytest.approx(expected) == pytest.approx(1.9444444)
    assert p == pytest.approx(stats.norm.sf(expected))


def test_pesaran_timmermann_squared_is_the_contingency_chi_square_in_large_samples():
    # Pesaran & Timmermann (1992): asymptotically equivalent to the 2x2 test of independence
    rng = np.random.default_rng(5)
    actual = rng.normal(0.1, 1, 4000)
    predicted = 0.3 * actual + rng.normal(0.2, 1, 4000)
    up_a, up_p = actual > 0, predicted > 0
    table = [[np.sum(up_a & up_p), np.sum(up_a & ~up_p)], [np.sum(~up_a & up_p),
                                                           np.sum(~up_a & ~up_p)]]
    chi_square = stats.chi2_contingency(table, correction=False).statistic
    assert pesaran_timmermann(actual, predicted).statistic ** 2 == pytest.approx(chi_square,
                                                                                 rel=1e-3)


def test_pesaran_timmermann_gives_always_up_no_credit():
    actual = np.array([1.0, 2.0, -1.0, 3.0, 0.5, -0.2])  # up 4 days in 6
    assert all(math.isnan(v) for v in pesaran_timmermann(actual, np.ones(6)))
    assert all(math.isnan(v) for v in pesaran_timmermann(actual, np.zeros(6)))  # never moves


# ---------------------------------------------------------------------------- Clark-West
def test_clark_west_by_hand():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    naive = np.zeros(4)
    model = np.array([0.5, 1.0, 1.0, 2.0])
    # f = (y - r)^2 - [(y - u)^2 - (r - u)^2] = [1, 4, 6, 16]: mean 6.75,
    # variance (0 lags) = (5.75^2 + 2.75^2 + 0.75^2 + 9.25^2) / 4 = 31.6875
    expected = 6.75 / math.sqrt(31.6875 / 4)
    stat, p = clark_west(actual, naive, model)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(stats.norm.sf(expected))
    assert all(math.isnan(v) for v in clark_west(actual, naive, naive))


def test_clark_west_multi_step_uses_the_long_run_variance():
    rng = np.random.default_rng(4)
    actual, model = rng.normal(0, 1, 30), rng.normal(0, 0.3, 30)
    f = 2 * actual * model  # (y - r)(u - r) doubled, with r = 0
    expected = f.mean() / math.sqrt(long_run_variance(f, 2) / 30)
    assert clark_west(actual, np.zeros(30), model, horizon=3).statistic == pytest.approx(expected)


# ----------------------------------------------------------------------- size under the null
@pytest.mark.parametrize("horizon", [1, 2, 5])
def test_size_under_the_null_is_near_five_percent(horizon):
    rates = _dm_size_benchmark().rejection_rates(horizon, reps=300, seed=1)
    # 300 replications: Monte Carlo standard error 1.3 points around 5%
    assert 0.015 <= rates["averaged"] <= 0.095
    assert 0.015 <= rates["step h"] <= 0.095
    assert rates["Clark-West"] <= 0.095
    assert rates["Pesaran-Timmermann"] <= 0.095
    if horizon == 5:  # the pooled test this replaces rejects far too often
        assert rates["pooled (before)"] > 0.12


def test_dm_and_clark_west_reject_a_clearly_worse_forecast():
    rng = np.random.default_rng(6)
    changes = rng.normal(0, 1, 250)
    signal = changes + rng.normal(0, 1, 250)  # a forecast that knows half the next change
    assert diebold_mariano(changes - 0.5 * signal, changes).p_value < 0.01
    assert clark_west(changes, np.zeros(250), 0.5 * signal).p_value < 0.01
    assert pesaran_timmermann(changes, signal).p_value < 0.01


# ------------------------------------------------------------------ DM on any per-point losses
def test_dm_on_losses_is_dm_on_squared_errors_when_the_losses_are_squares():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 80), rng.normal(0, 1.2, 80)
    for horizon in (1, 3):
        mine = diebold_mariano_losses(a**2, b**2, horizon=horizon)
        assert mine.statistic == pytest.approx(diebold_mariano(a, b, horizon=horizon).statistic)
    with pytest.raises(DataError, match="equal lengths"):
        diebold_mariano_losses(a, b[:-1])


def test_dm_on_interval_scores_keeps_its_size_under_the_null():
    """Two 90% bands of the same width around noisy forecasts of one series: equal expected
    interval scores (skewed, heavy-tailed losses), so rejections at 5% should be about 5%."""
    from lstmlab.interval_metrics import interval_scores

    rng = np.random.default_rng(11)
    rejections = []
    for _ in range(400):
        y = rng.standard_t(5, 250)
        centre_a, centre_b = rng.normal(0, 0.5, (2, 250))  # equally good, independent errors
        score_a = interval_scores(y, centre_a - 2.0, centre_a + 2.0, 0.1)
        score_b = interval_scores(y, centre_b - 2.0, centre_b + 2.0, 0.1)
        rejections.append(diebold_mariano_losses(score_a, score_b).p_value < 0.05)
    # 400 replications: Monte Carlo standard error 1.1 points around 5%
    assert 0.02 <= np.mean(rejections) <= 0.085
