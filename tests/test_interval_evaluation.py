"""Scoring bands on test: a point model's CRPS is its MAE; the naive row is the volatility band."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.baselines import volatility_band
from lstmlab.interval_evaluation import score_bands
from lstmlab.interval_metrics import coverage


@pytest.fixture(scope="module")
def prices(tsla_csv):
    return load_prices(tsla_csv).iloc[-400:]


def test_point_model_scores(prices):
    forecaster = Forecaster(ForecastConfig(hidden_size=8, lookback=10, max_epochs=2)).fit(
        prices, verbose=False)
    test = forecaster.prepared_.test
    series = prices["close"].to_numpy()
    scores = score_bands(forecaster.model_, forecaster.spec_, test, forecaster.calibration_,
                         series, 0.1, "lstm")
    mae = forecaster.evaluate(prices).metrics.loc[("test", "lstm"), "mae"]
    assert scores.metrics["lstm"]["crps"] == pytest.approx(mae)  # all mass on the forecast
    assert scores.pit is None
    low, high = volatility_band(series, test.origin, 1, 0.1)
    assert scores.metrics["naive"]["coverage"] == pytest.approx(coverage(test.actual, low, high))
    hits = scores.covered["adaptive conformal"]
    assert scores.metrics["lstm"]["coverage"] == pytest.approx(hits.mean())
    assert scores.bands.index.equals(test.dates)
    assert np.all(scores.bands["lower_50"] >= scores.bands["lower_90"])
