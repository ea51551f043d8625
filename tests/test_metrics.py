"""Forecast metrics checked against values worked out by hand on tiny arrays."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lstmlab.errors import ConfigError, DataError
from lstmlab.metrics import (
    METRIC_NAMES,
    diebold_mariano,
    directional_accuracy,
    forecast_metrics,
    metrics_table,
)

# actual, predicted and previous (naive) prices on five points
ACTUAL = np.array([10.0, 11.0, 12.0, 11.0, 13.0])
PREDICTED = np.array([10.5, 11.5, 11.0, 12.0, 12.5])
PREVIOUS = np.array([9.0, 10.0, 11.0, 12.0, 11.0])
# errors actual - predicted: -0.5, -0.5, 1, -1, 0.5; naive errors: 1, 1, 1, -1, 2


def test_error_sizes_match_hand_computation():
    m = forecast_metrics(ACTUAL, PREDICTED, PREVIOUS)
    assert m["rmse"] == pytest.approx(math.sqrt(2.75 / 5))
    assert m["mae"] == pytest.approx(3.5 / 5)
    assert m["mape"] == pytest.approx(100 * (0.5 / 10 + 0.5 / 11 + 1 / 12 + 1 / 11 + 0.5 / 13) / 5)
    smape = 2 * (0.5 / 20.5 + 0.5 / 22.5 + 1 / 23 + 1 / 23 + 0.5 / 25.5) / 5
    assert m["smape"] == pytest.approx(100 * smape)
    assert m["mase"] == pytest.approx(0.7 / 1.2)  # naive MAE = 6 / 5
    assert m["r2"] == pytest.approx(1 - 2.75 / 5.2)  # SS_tot around the mean 11.4 is 5.2


def test_keys_are_the_metric_names_in_order():
    assert tuple(forecast_metrics(ACTUAL, PREDICTED, PREVIOUS)) == METRIC_NAMES


def test_naive_forecast_scores_mase_one_and_has_no_direction_or_dm():
    m = forecast_metrics(ACTUAL, PREVIOUS, PREVIOUS)
    assert m["mase"] == 1.0
    for key in ("directional_accuracy", "direction_p_value", "dm_stat", "dm_p_value"):
        assert math.isnan(m[key]), key


def test_perfect_forecast():
    m = forecast_metrics(ACTUAL, ACTUAL, PREVIOUS)
    assert (m["rmse"], m["mae"], m["mape"], m["smape"], m["mase"], m["r2"]) == (0, 0, 0, 0, 0, 1)
    assert m["directional_accuracy"] == 1.0
    assert m["dm_stat"] < 0  # the model's loss is smaller than the naive one's


def test_directional_accuracy_counts_flat_prediction_as_miss():
    # predicted changes +, +, 0, 0, + against actual +, +, +, -, +: 3 hits of 5
    assert directional_accuracy(ACTUAL, PREDICTED, PREVIOUS) == pytest.approx(0.6)


def test_directional_accuracy_leaves_out_points_without_actual_change():
    actual = np.array([11.0, 10.0, 5.0, 7.0])
    previous = np.array([10.0, 10.0, 6.0, 6.0])
    predicted = np.array([12.0, 9.0, 5.5, 5.0])  # +hit, (no move), -hit, -miss
    assert directional_accuracy(actual, predicted, previous) == pytest.approx(2 / 3)


def test_direction_p_value_is_the_exact_binomial_test():
    rng = np.random.default_rng(3)
    previous = rng.uniform(90, 110, 40)
    actual = previous + rng.normal(0, 1, 40)
    predicted = previous + np.where(np.arange(40) < 29, actual - previous, previous - actual)
    m = forecast_metrics(actual, predicted, previous)
    assert m["directional_accuracy"] == pytest.approx(29 / 40)
    assert m["direction_p_value"] == pytest.approx(stats.binomtest(29, 40, 0.5).pvalue)
    assert m["direction_p_value"] < 0.01


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
    dm = mean / math.sqrt((gamma[0] + 2 * (gamma[1] + gamma[2])) / n)
    expected = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat, p = diebold_mariano(e_a, e_b, horizon=3)
    assert stat == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected), df=n - 1))


def test_dm_sign_and_degenerate_cases():
    e = np.array([1.0, -2.0, 0.5, 1.5])
    assert diebold_mariano(e * 2, e)[0] > 0  # a worse than b
    assert all(math.isnan(v) for v in diebold_mariano(e, -e))  # equal squared errors
    assert diebold_mariano(np.ones(4), np.full(4, 2.0)) == (-math.inf, 0.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 2.0], [1.0], [1.0, 2.0]), r"equal lengths, got actual=2, predicted=1, previous=2"),
        (([1.0, np.nan], [1.0, 2.0], [1.0, 2.0]), r"actual has 1 non-finite .* position 1"),
        (([1.0, 2.0], [1.0, np.inf], [1.0, 2.0]), r"predicted has 1 non-finite"),
        (([[1.0, 2.0]], [[1.0, 2.0]], [[1.0, 2.0]]), r"actual must be a 1-D array, got shape"),
        (([], [], []), r"cannot score empty arrays"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_problem(args, message):
    with pytest.raises(DataError, match=message):
        forecast_metrics(*args)


def test_dm_rejects_bad_horizon():
    with pytest.raises(ConfigError, match="horizon must be a whole number >= 1, got 0"):
        diebold_mariano([1.0, 2.0], [2.0, 1.0], horizon=0)
    with pytest.raises(DataError, match="more points than the horizon, got 2 point"):
        diebold_mariano([1.0, 2.0], [2.0, 1.0], horizon=2)


def test_undefined_ratios_are_nan():
    m = forecast_metrics([0.0, 2.0, 2.0], [1.0, 2.0, 2.0], [0.0, 2.0, 2.0])
    assert math.isnan(m["mape"])  # an actual price of zero
    assert math.isnan(m["mase"])  # the naive forecast is exact everywhere
    flat = forecast_metrics([5.0, 5.0], [4.0, 6.0], [4.0, 6.0])
    assert math.isnan(flat["r2"])  # constant actual


def test_metrics_table_is_indexed_by_split_and_model():
    rows = {
        ("val", "lstm"): forecast_metrics(ACTUAL, PREDICTED, PREVIOUS),
        ("val", "naive"): forecast_metrics(ACTUAL, PREVIOUS, PREVIOUS),
        ("test", "lstm"): {"rmse": 1.5, "coverage": 0.9},
    }
    table = metrics_table(rows)
    assert table.index.names == ["split", "model"]
    assert list(table.index) == list(rows)
    assert list(table.columns) == [*METRIC_NAMES, "coverage"]
    assert table.loc[("val", "naive"), "mase"] == 1.0
    assert table.loc[("test", "lstm"), "rmse"] == 1.5
    assert math.isnan(table.loc[("test", "lstm"), "mae"])


def test_metrics_table_rejects_keys_that_are_not_pairs():
    with pytest.raises(DataError, match=r"\(split, model\) pairs, got 'lstm'"):
        metrics_table({"lstm": {"rmse": 1.0}})


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 100.0))
def test_scaling_prices_scales_only_the_errors_in_price_units(seed, scale):
    rng = np.random.default_rng(seed)
    previous = rng.uniform(10, 100, 30)
    actual = previous * np.exp(rng.normal(0, 0.03, 30))
    predicted = previous * np.exp(rng.normal(0, 0.03, 30))
    base = forecast_metrics(actual, predicted, previous)
    scaled = forecast_metrics(actual * scale, predicted * scale, previous * scale)
    for key in METRIC_NAMES:
        expected = base[key] * scale if key in ("rmse", "mae") else base[key]
        assert scaled[key] == pytest.approx(expected, rel=1e-7, nan_ok=True), key
    assert forecast_metrics(actual, previous, previous)["mase"] == 1.0
