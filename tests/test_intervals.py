"""Bands from a fitted model: base bands, the calibration split, and conformal calibration."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import torch

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.data import prepare
from lstmlab.errors import DataError
from lstmlab.intervals import (
    BandCalibration,
    band_columns,
    band_levels,
    base_band,
    calibration_split,
    head_of,
    model_outputs,
    point_prices,
    quantile_prices,
)

SMALL = dict(hidden_size=8, lookback=10, max_epochs=2, batch_size=64)


@pytest.fixture(scope="module")
def prices(tsla_csv):
    return load_prices(tsla_csv).iloc[-400:]


@pytest.fixture(scope="module", params=["quantile", "gaussian"])
def fitted(request, prices) -> Forecaster:
    config = ForecastConfig(loss=request.param, horizon=2, **SMALL)
    return Forecaster(config).fit(prices, verbose=False)


def test_band_names_and_levels():
    assert band_columns(0.9) == ("lower_90", "upper_90")
    assert band_columns(0.975) == ("lower_97_5", "upper_97_5")
    assert band_levels(0.1) == (0.5, 0.8, 0.9)
    assert band_levels(0.05) == (0.5, 0.8, 0.9, 0.95)


def test_calibration_split_keeps_early_stopping_and_calibration_targets_apart(prices):
    val = prepare(prices, lookback=10, horizon=3).val
    stopping, calibration = calibration_split(val, 0.5, horizon=3)
    assert len(calibration) == round(len(val) * 0.5)
    assert len(stopping) + len(calibration) + 2 == len(val)  # h - 1 windows dropped between
    last_stop_target = stopping.origin[-1] + 3
    assert last_stop_target < calibration.origin[0] + 1  # no shared target row
    with pytest.raises(DataError, match="too few to keep"):
        calibration_split(val.rows(slice(0, 3)), 0.5, horizon=3)


def test_base_bands_nest_and_contain_the_point(fitted, prices):
    windows = fitted.prepared_.test
    outputs = model_outputs(fitted.model_, windows.x)
    point = point_prices(fitted.model_, outputs, fitted.spec_, windows.last_price)
    bands = [base_band(fitted.model_, outputs, fitted.spec_, windows.last_price, level)
             for level in (0.5, 0.8, 0.9)]
    for (low, high), (wider_low, wider_high) in itertools.pairwise(bands):
        assert np.all(wider_low <= low) and np.all(high <= wider_high)
    assert np.all(bands[0][0] <= point) and np.all(point <= bands[0][1])
    q = quantile_prices(fitted.model_, outputs, fitted.spec_, windows.last_price, [0.1, 0.9])
    assert q.shape == (len(windows), 2, 2)


def test_point_model_has_a_zero_width_base_band(prices):
    forecaster = Forecaster(ForecastConfig(**SMALL)).fit(prices, verbose=False)
    windows = forecaster.prepared_.test
    outputs = model_outputs(forecaster.model_, windows.x)
    assert head_of(forecaster.model_) is None
    low, high = base_band(forecaster.model_, outputs, forecaster.spec_, windows.last_price, 0.9)
    np.testing.assert_array_equal(low, high)
    with pytest.raises(ValueError, match="no quantiles"):
        quantile_prices(forecaster.model_, outputs, forecaster.spec_, windows.last_price, [0.5])


def _bands(rng, n, h=1, width=0.01):
    centre = 100 * np.exp(rng.normal(0, 0.01, size=(n, h)))
    return {0.9: (centre * np.exp(-width), centre * np.exp(width))}, centre


def test_calibration_widens_to_nominal_coverage_on_exchangeable_prices():
    rng = np.random.default_rng(0)
    bands, centre = _bands(rng, 500)
    actual = centre * np.exp(rng.normal(0, 0.02, size=centre.shape))  # band too narrow
    calibration = BandCalibration.fit(bands, actual)
    test_bands, test_centre = _bands(rng, 4000)
    test_actual = test_centre * np.exp(rng.normal(0, 0.02, size=test_centre.shape))
    for method in ("split", "adaptive"):
        low, high = calibration.apply(0.9, *test_bands[0.9], method)
        covered = np.mean((low <= test_actual) & (test_actual <= high))
        assert covered == pytest.approx(0.9, abs=0.03)


def test_update_issues_each_radius_before_seeing_its_outcome_and_round_trips():
    rng = np.random.default_rng(1)
    bands, centre = _bands(rng, 300, h=2)
    calibration = BandCalibration.fit(bands, centre * np.exp(rng.normal(0, 0.02, (300, 2))))
    saved = BandCalibration.from_dict(calibration.to_dict())
    new_bands, new_centre = _bands(rng, 200, h=2)
    wild = new_centre * np.exp(rng.normal(0, 0.08, (200, 2)))  # volatility quadruples
    before = copy.deepcopy(calibration)
    radii = calibration.update(new_bands, wild)[0.9]  # (200, 2)
    assert radii.shape == (200, 2)
    np.testing.assert_allclose(radii[0], before.levels[0.9].radius("adaptive"))
    assert radii[-1, 0] > 2 * radii[0, 0]  # adaptive conformal followed the new regime
    np.testing.assert_allclose(saved.update(new_bands, wild)[0.9], radii)  # same state
    assert "adaptive coverage on 200 newer windows" in calibration.summary(0.9)


def test_model_outputs_are_chunked_without_changing_values(fitted):
    x = fitted.prepared_.test.x
    whole = model_outputs(fitted.model_, x)
    halves = torch.cat([model_outputs(fitted.model_, part) for part in x.split(7)])
    torch.testing.assert_close(whole, halves)
