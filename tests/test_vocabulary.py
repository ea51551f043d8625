"""The one vocabulary: every module's names come from it, and the metrics table is complete."""

from __future__ import annotations

import math

import numpy as np

from lstmlab import vocabulary as v
from lstmlab.baselines import baseline_forecasts
from lstmlab.config import ForecastConfig
from lstmlab.data.scale import fit_scaler
from lstmlab.metrics import forecast_metrics


def test_metrics_table_matches_what_forecast_metrics_returns():
    rng = np.random.default_rng(0)
    actual = 100 + rng.normal(size=50).cumsum()
    scores = forecast_metrics(actual[1:], actual[:-1] + 0.1, actual[:-1])
    assert tuple(scores) == v.METRIC_NAMES
    assert set(v.BRIEF_METRICS) <= set(v.METRIC_NAMES)
    assert all(m.better in (-1, 0, 1) for m in v.METRICS.values())


def test_baselines_return_the_vocabulary_names_in_order():
    out = baseline_forecasts(np.arange(1.0, 30.0), np.array([25, 28]), 2, mean_return=0.0)
    assert tuple(out) == v.BASELINES


def test_every_scaler_is_accepted_by_the_config_and_the_data_module():
    for kind in v.SCALERS:
        assert ForecastConfig(scaler=kind).scaler == kind  # "none" was refused before
        fit_scaler(kind, np.ones((3, 1)))


def test_display_names_and_metric_formats():
    assert v.display_name("gru") == "GRU" and v.display_name("ets") == "Ets"
    assert v.METRICS["directional_accuracy"].show(0.5) == "50.0%"
    assert v.METRICS["rmse"].show(math.nan) == "–" and v.format_metric(None, "{}") == "–"
    assert v.SPLIT_LABELS["val"] == "Validation"
