"""Recursive point paths and sampled paths of a distribution head."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.paths import extend_frame, point_path, sample_paths

SMALL = dict(hidden_size=8, lookback=10, max_epochs=2, batch_size=64)


@pytest.fixture(scope="module")
def prices(tsla_csv):
    return load_prices(tsla_csv).iloc[-300:]


@pytest.fixture(scope="module")
def gaussian(prices) -> Forecaster:
    return Forecaster(ForecastConfig(loss="gaussian", **SMALL)).fit(prices, verbose=False)


def test_extend_frame_appends_business_days(prices):
    dates = pd.bdate_range(prices.index[-1], periods=3)[1:]
    longer = extend_frame(prices, np.array([1.0, 2.0]), dates)
    assert len(longer) == len(prices) + 2
    assert longer["close"].iloc[-1] == 2.0 and longer["open"].iloc[-1] == 2.0
    assert longer["volume"].iloc[-1] == prices["volume"].iloc[-1]
    assert longer.index[-1].day_of_week < 5


def test_sample_paths_are_reproducible_and_spread_out(gaussian, prices):
    dates = pd.bdate_range(prices.index[-1], periods=5)[1:]
    paths = sample_paths(gaussian.model_, gaussian.spec_, prices, dates, 30, seed=0)
    assert paths.shape == (30, 4) and np.isfinite(paths).all()
    again = sample_paths(gaussian.model_, gaussian.spec_, prices, dates, 30, seed=0)
    np.testing.assert_array_equal(paths, again)
    spread = np.log(paths).std(axis=0)
    assert spread[-1] > spread[0]  # uncertainty compounds along the path


def test_point_path_first_step_is_the_direct_forecast(gaussian, prices):
    dates = pd.bdate_range(prices.index[-1], periods=4)[1:]
    path = point_path(gaussian.model_, gaussian.spec_, prices, dates)
    assert path.shape == (3,)
    assert path[0] == pytest.approx(gaussian.forecast(prices, 1)["prediction"].iloc[0])


def test_point_model_cannot_sample(prices):
    point = Forecaster(ForecastConfig(**SMALL)).fit(prices, verbose=False)
    with pytest.raises(ValueError, match="need a distribution head"):
        sample_paths(point.model_, point.spec_, prices, prices.index[-2:], 5, seed=0)


@pytest.mark.parametrize("inputs", ["returns", "every feature and the calendar"])
def test_path_windows_match_windows_of_extended_frames(gaussian, prices, inputs):
    from lstmlab.data import latest_window
    from lstmlab.paths import _TAIL, _path_windows

    spec = gaussian.spec_
    if inputs != "returns":
        config = ForecastConfig(loss="gaussian", features=("log_return", "range", "volume_z"),
                                calendar_features=True, **{**SMALL, "max_epochs": 1})
        spec = Forecaster(config).fit(prices).spec_
    tail = prices.iloc[-(spec.lookback + _TAIL):]
    paths = np.array([[100.0, 101.0, 99.0], [50.0, 60.0, 70.0]])
    dates = pd.bdate_range(prices.index[-1], periods=4)[1:]
    together = _path_windows(tail, paths, spec, dates)
    for i, path in enumerate(paths):
        alone = latest_window(extend_frame(prices, path, dates), spec)[0]
        np.testing.assert_allclose(together[i].numpy(), alone.numpy(), rtol=1e-6)
