"""Forecast metrics checked against values worked out by hand on tiny arrays."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmlab.errors import DataError
from lstmlab.metrics import (
    METRIC_NAMES,
    directional_accuracy,
    forecast_metrics,
    lag_check,
    mase,
    metrics_table,
    oos_r2,
    step_metrics,
)
from lstmlab.stats import clark_west, diebold_mariano, diebold_mariano_mean, pesaran_timmermann
from lstmlab.vocabulary import MEAN_STEP

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
    assert m["rel_mae"] == pytest.approx(0.7 / 1.2)  # naive MAE on these points = 6 / 5
    assert math.isnan(m["mase"])  # no training scale given
    assert forecast_metrics(ACTUAL, PREDICTED, PREVIOUS, naive_scale=2.0)["mase"] == 0.35


def test_return_space_r2_by_hand():
    m = forecast_metrics(ACTUAL, PREDICTED, PREVIOUS, mean_return=0.01)
    realised, forecast = np.log(ACTUAL / PREVIOUS), np.log(PREDICTED / PREVIOUS)
    sse = np.sum((realised - forecast) ** 2)
    assert m["r2_oos"] == pytest.approx(1 - sse / np.sum(realised**2))
    assert m["r2_oos_mean"] == pytest.approx(1 - sse / np.sum((realised - 0.01) ** 2))
    naive = forecast_metrics(ACTUAL, PREVIOUS, PREVIOUS)
    assert naive["r2_oos"] == 0.0


def test_keys_are_the_metric_names_in_order():
    assert tuple(forecast_metrics(ACTUAL, PREDICTED, PREVIOUS)) == METRIC_NAMES


def test_naive_forecast_scores_rel_mae_one_and_has_no_direction_or_tests():
    m = forecast_metrics(ACTUAL, PREVIOUS, PREVIOUS)
    assert m["rel_mae"] == 1.0
    for key in ("directional_accuracy", "pt_p_value", "dm_stat", "dm_p_value", "cw_p_value"):
        assert math.isnan(m[key]), key
    assert m["lag_corr"] == pytest.approx(1.0)  # it is yesterday's price, shifted


def test_perfect_forecast():
    m = forecast_metrics(ACTUAL, ACTUAL, PREVIOUS)
    assert (m["rmse"], m["mae"], m["mape"], m["smape"], m["rel_mae"], m["r2_oos"]) == (
        0, 0, 0, 0, 0, 1)
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


def test_tests_per_step_use_the_step_as_horizon():
    rng = np.random.default_rng(3)
    previous = rng.uniform(90, 110, 40)
    actual = previous + rng.normal(0, 1, 40)
    predicted = previous + 0.5 * (actual - previous) + rng.normal(0, 0.5, 40)
    m = forecast_metrics(actual, predicted, previous, step=3)
    dm = diebold_mariano(actual - predicted, actual - previous, horizon=3)
    assert (m["dm_stat"], m["dm_p_value"]) == tuple(dm)
    assert m["cw_p_value"] == clark_west(actual, previous, predicted, horizon=3).p_value
    assert m["pt_p_value"] == pesaran_timmermann(actual - previous, predicted - previous).p_value
    assert math.isnan(m["lag_corr"])  # the lag check is for one-step forecasts


def test_step_metrics_scores_each_step_and_the_mean_over_steps():
    rng = np.random.default_rng(8)
    last = 100 + np.cumsum(rng.normal(0, 1, 60))
    actual = last[:, None] + np.cumsum(rng.normal(0, 1, (60, 3)), axis=1)  # (60, 3)
    predicted = last[:, None] + rng.normal(0, 0.5, (60, 3))
    rows = step_metrics(actual, predicted, last, naive_scale=1.0, mean_return=0.001)
    assert list(rows) == ["1", "2", "3", MEAN_STEP]
    for k in (1, 2, 3):
        expected = forecast_metrics(actual[:, k - 1], predicted[:, k - 1], last, step=k,
                                    naive_scale=1.0, mean_return=0.001)
        assert rows[str(k)] == pytest.approx(expected, nan_ok=True)
    mean = rows[MEAN_STEP]
    assert mean["rmse"] == pytest.approx(np.mean([rows[k]["rmse"] for k in "123"]))
    dm = diebold_mariano_mean(actual - predicted, actual - last[:, None])
    assert (mean["dm_stat"], mean["dm_p_value"]) == tuple(dm)
    assert math.isnan(mean["cw_p_value"]) and mean["lag_corr"] == rows["1"]["lag_corr"]
    assert list(step_metrics(actual[:, :1], predicted[:, :1], last)) == ["1"]


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


def test_undefined_ratios_are_nan():
    m = forecast_metrics([0.0, 2.0, 2.0], [1.0, 2.0, 2.0], [0.0, 2.0, 2.0])
    assert math.isnan(m["mape"])  # an actual price of zero
    assert math.isnan(m["rel_mae"])  # the naive forecast is exact everywhere
    assert math.isnan(m["r2_oos"])  # a price of zero has no log return


def test_metrics_table_is_indexed_by_split_model_and_step():
    rows = {
        ("val", "lstm", "1"): forecast_metrics(ACTUAL, PREDICTED, PREVIOUS),
        ("val", "naive", "1"): forecast_metrics(ACTUAL, PREVIOUS, PREVIOUS),
        ("test", "lstm"): {"rmse": 1.5, "coverage": 0.9},  # a pair means step 1
    }
    table = metrics_table(rows)
    assert table.index.names == ["split", "model", "step"]
    assert list(table.index) == [("val", "lstm", "1"), ("val", "naive", "1"),
                                 ("test", "lstm", "1")]
    assert list(table.columns) == [*METRIC_NAMES, "coverage"]
    assert table.loc[("val", "naive", "1"), "rel_mae"] == 1.0
    assert table.loc[("test", "lstm", "1"), "rmse"] == 1.5
    assert math.isnan(table.loc[("test", "lstm", "1"), "mae"])


def test_metrics_table_rejects_keys_that_are_not_pairs():
    with pytest.raises(DataError, match=r"\(split, model, step\) triples, got 'lstm'"):
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
    assert forecast_metrics(actual, previous, previous)["rel_mae"] == 1.0


def test_mase_scales_by_the_in_sample_one_step_naive_error():
    # training moves |12-10|, |11-12|, |15-11|: in-sample naive MAE 7 / 3 (Hyndman & Koehler)
    train = np.array([10.0, 12.0, 11.0, 15.0])
    assert mase(ACTUAL, PREDICTED, train) == pytest.approx(0.7 / (7 / 3))
    assert math.isnan(mase(ACTUAL, PREDICTED, np.full(4, 3.0)))  # training never moves
    with pytest.raises(DataError, match="at least 2 training prices"):
        mase(ACTUAL, PREDICTED, [1.0])


def test_oos_r2_against_zero_and_mean_return_benchmarks():
    returns = np.array([0.01, -0.02, 0.03, 0.0])
    predicted = np.array([0.005, -0.01, 0.01, 0.005])
    # SSE = 0.005^2 + 0.01^2 + 0.02^2 + 0.005^2 = 0.00055; against zero: 0.0014
    assert oos_r2(returns, predicted, 0.0) == pytest.approx(1 - 0.00055 / 0.0014)
    # against a training mean of 0.01: 0 + 0.03^2 + 0.02^2 + 0.01^2 = 0.0014 as well
    assert oos_r2(returns, predicted, 0.01) == pytest.approx(1 - 0.00055 / 0.0014)
    assert oos_r2(returns, np.zeros(4), 0.0) == 0.0  # the benchmark itself scores 0
    assert math.isnan(oos_r2(returns, predicted, returns))  # an exact benchmark


def test_lag_check_flags_the_naive_forecast_and_not_a_perfect_one():
    rng = np.random.default_rng(7)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 200)))
    naive = lag_check(prices[1:], prices[:-1])  # yesterday's price as today's forecast
    assert naive.previous == pytest.approx(1.0)
    assert naive.verdict == "this forecast mostly repeats yesterday's move"
    perfect = lag_check(prices, prices)
    assert perfect.same == pytest.approx(1.0)
    assert perfect.verdict == "this forecast's changes mostly follow the same day's move"
    noise = lag_check(prices, prices[0] + rng.normal(0, 1, 200))
    assert noise.verdict == "this forecast does not mostly repeat yesterday's move"
    flat = lag_check(prices, np.full(200, 5.0))
    assert math.isnan(flat.previous)
    assert flat.verdict.endswith("there is no lag to check")
    with pytest.raises(DataError, match="at least 4 consecutive days, got 3"):
        lag_check(prices[:3], prices[:3])
