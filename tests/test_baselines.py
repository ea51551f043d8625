"""Baseline forecasts: hand-checked values and causality (no look at prices after the origin)."""

import numpy as np
import pandas as pd
import pytest

from lstmlab.baselines import BASELINE_NAMES, baseline_forecasts, mean_log_return
from lstmlab.errors import ConfigError, DataError

PRICES = np.array([10.0, 12.0, 11.0, 15.0, 14.0, 18.0, 20.0])
MU = 0.01  # a training mean log return


def test_values_by_hand():
    out = baseline_forecasts(PRICES, np.array([0, 2, 4]), horizon=2, ma_window=3,
                             mean_return=MU)
    assert tuple(out) == BASELINE_NAMES
    np.testing.assert_allclose(out["naive"], [[10, 10], [11, 11], [14, 14]])
    # drift slope from the first price: (11 - 10) / 2 = 0.5 and (14 - 10) / 4 = 1; none at row 0
    np.testing.assert_allclose(out["drift"], [[10, 10], [11.5, 12], [15, 16]])
    # moving average of up to 3 prices ending at the origin
    expected_ma = [10.0, (10 + 12 + 11) / 3, (11 + 15 + 14) / 3]
    np.testing.assert_allclose(out["moving_average"], np.repeat(np.c_[expected_ma], 2, axis=1))
    # origin price grown at the mean log return: 10 * e^0.01, 10 * e^0.02, ...
    growth = np.exp([0.01, 0.02])
    np.testing.assert_allclose(out["mean_return"], np.outer([10.0, 11.0, 14.0], growth))


def test_mean_log_return_of_the_training_part():
    # log returns of 10, 12, 11: log 1.2 and log(11/12); the mean is log(1.1) / 2
    assert mean_log_return(PRICES, 2) == pytest.approx(np.log(1.1) / 2)
    with pytest.raises(DataError, match=r"needs positive prices; row 1 is 0\.0"):
        mean_log_return(np.array([1.0, 0.0, 2.0]), 2)


def test_shapes_and_dtype():
    out = baseline_forecasts(PRICES, np.arange(7), horizon=3, mean_return=MU)
    for forecast in out.values():
        assert forecast.shape == (7, 3)
        assert forecast.dtype == np.float64


def test_moving_average_matches_pandas_rolling(tsla_csv):
    close = pd.read_csv(tsla_csv)["Close"].to_numpy()[:400]
    origins = np.arange(30, 400, 7)
    out = baseline_forecasts(close, origins, horizon=1, ma_window=20, mean_return=MU)
    rolling = pd.Series(close).rolling(20).mean().to_numpy()
    # prefix sums against pandas' rolling sums: two summation orders, so not bit for bit
    np.testing.assert_allclose(out["moving_average"][:, 0], rolling[origins], rtol=1e-9)


def test_forecasts_use_only_prices_up_to_the_origin():
    rng = np.random.default_rng(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300)))
    origins = np.arange(5, 200, 3)
    before = baseline_forecasts(prices, origins, horizon=5, ma_window=10, mean_return=MU)
    perturbed = prices.copy()
    perturbed[origins.max() + 1:] = rng.uniform(1, 1000, 300 - origins.max() - 1)
    perturbed[-1] = np.nan  # never read
    after = baseline_forecasts(perturbed, origins, horizon=5, ma_window=10, mean_return=MU)
    for name in BASELINE_NAMES:
        np.testing.assert_array_equal(before[name], after[name])


def test_each_forecast_depends_only_on_its_own_past():
    # changing the price right after one origin must not move that origin's forecasts
    origins = np.array([2, 4])
    changed = PRICES.copy()
    changed[3] = 1000.0
    before = baseline_forecasts(PRICES, origins, horizon=2, ma_window=2, mean_return=MU)
    after = baseline_forecasts(changed, origins, horizon=2, ma_window=2, mean_return=MU)
    for name in BASELINE_NAMES:
        np.testing.assert_array_equal(before[name][0], after[name][0])


def test_empty_origins_give_empty_forecasts():
    out = baseline_forecasts(PRICES, np.array([], dtype=int), horizon=2, mean_return=MU)
    assert all(forecast.shape == (0, 2) for forecast in out.values())


@pytest.mark.parametrize(
    ("prices", "origins", "horizon", "ma_window", "error", "message"),
    [
        (PRICES, [2], 0, 20, ConfigError, r"horizon must be a whole number >= 1, got 0"),
        (PRICES, [2], 1, 2.5, ConfigError, r"ma_window must be a whole number >= 1, got 2.5"),
        (PRICES, [7], 1, 20, DataError, r"origin 7 is outside the price series of 7 rows"),
        (PRICES, [1.0], 1, 20, DataError, r"origins must be a 1-D integer array"),
        ([[1.0, 2.0]], [0], 1, 20, DataError, r"prices must be a 1-D array"),
        ([1.0, np.nan, 2.0], [2], 1, 20, DataError, r"non-finite value at row 1"),
    ],
)
def test_bad_arguments(prices, origins, horizon, ma_window, error, message):
    with pytest.raises(error, match=message):
        baseline_forecasts(np.array(prices), np.array(origins), horizon, ma_window=ma_window,
                           mean_return=MU)


def test_volatility_band_by_hand():
    from scipy import stats

    from lstmlab.baselines import volatility_band

    prices = np.array([10.0, 11.0, 10.5, 12.0, 11.0, 11.5])
    returns = np.diff(np.log(prices))
    lower, upper = volatility_band(prices, np.array([1, 3, 5]), horizon=2, alpha=0.1, window=3)
    assert np.isnan(lower[0]).all()  # one return before row 1: no spread to estimate
    z = stats.norm.ppf(0.95)
    for row, origin in ((1, 3), (2, 5)):
        sigma = np.std(returns[origin - 3 : origin], ddof=1)  # the 3 returns ending at origin
        expected = prices[origin] * np.exp(z * sigma * np.sqrt([1.0, 2.0]))
        np.testing.assert_allclose(upper[row], expected)
        np.testing.assert_allclose(lower[row] * upper[row], prices[origin] ** 2)


def test_volatility_band_never_reads_after_the_origin_and_covers_a_random_walk():
    from lstmlab.baselines import volatility_band

    rng = np.random.default_rng(0)
    prices = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, 6000)))
    origins = np.arange(100, 5998)
    lower, upper = volatility_band(prices, origins, horizon=2, alpha=0.1)
    changed = prices.copy()
    changed[3001:] *= 2.0
    low2, _ = volatility_band(changed, origins[origins <= 3000], horizon=2, alpha=0.1)
    np.testing.assert_allclose(low2, lower[origins <= 3000])
    actual = prices[origins[:, None] + np.array([1, 2])]
    covered = (lower <= actual) & (actual <= upper)
    # a 60-day volatility estimate is noisy, so coverage sits slightly under the nominal 90%
    np.testing.assert_allclose(covered.mean(axis=0), 0.9, atol=0.02)
