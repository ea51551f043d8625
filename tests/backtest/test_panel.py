"""Global backtests: one model per refit over several series, causal, scored per series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.run import run_backtest
from lstmlab.data.covariates import market_proxy
from lstmlab.errors import ConfigError, DataError
from lstmlab.panel import GlobalForecaster

from .conftest import TINY
from .test_refit import _perturbed_after

FORECASTS = ["lstm", "selected", "naive", "drift", "moving_average", "mean_return"]
SETTINGS = dict(refit_every=40)


@pytest.fixture(scope="module")
def pair(short_prices, short_covariate):
    return {"A": short_prices, "B": short_covariate}


def _settings(prices, row=250):
    return BacktestSettings(str(prices.index[row].date()), **SETTINGS)


def test_each_series_is_scored_against_its_own_baselines(pair, tmp_path):
    settings = _settings(pair["A"])
    result = GlobalForecaster(TINY, series_id=True).backtest(
        pair, start=settings.start, refit_every=40, jobs=2, store=tmp_path)  # a process pool
    assert list(result.per_series) == ["A", "B"]
    assert result.refits["refit"].tolist() == [0, 1, 2, 3]  # one global fit per refit date
    for name, prices in pair.items():
        alone = run_backtest(prices, {"lstm": TINY}, settings, jobs=1).predictions
        mine = result.per_series[name].predictions
        pd.testing.assert_frame_equal(mine[["origin", "actual", *FORECASTS[2:]]],
                                      alone[["origin", "actual", *FORECASTS[2:]]])
        assert not np.allclose(mine["lstm"], alone["lstm"])  # a different (global) model
        bands = result.per_series[name].bands.query("model == 'lstm'")  # its own calibration
        assert {"adaptive", "split", "residual"} <= set(bands["method"])
        assert (bands["lower"] <= bands["upper"]).all()
    pooled = result.pooled()
    assert list(pooled.index) == [(s, m) for s in ("A", "B") for m in ("lstm", "selected")]
    assert np.isfinite(pooled["rmse_ratio"]).all() and pooled["dm_p_value"].between(0, 1).all()
    assert result.fit_seconds == pytest.approx(result.refits["fit_seconds"].sum())
    again = GlobalForecaster(TINY, series_id=True).backtest(
        pair, start=settings.start, refit_every=40, jobs=1, store=tmp_path)
    assert again.refits["stored"].all()
    for name in pair:
        np.testing.assert_array_equal(again.per_series[name].predictions["lstm"],
                                      result.per_series[name].predictions["lstm"])


def test_no_forecast_of_any_series_reads_a_value_after_its_origin(pair):
    config = TINY.replace(covariates={"M": ("log_return",)})
    proxy = market_proxy(pair)
    settings = _settings(pair["A"])
    cut = 310  # an origin inside the second block

    def predictions(series, covariate):
        result = GlobalForecaster(config).backtest(series, start=settings.start, refit_every=40,
                                                   jobs=1, covariates={"M": covariate})
        return {name: b.predictions for name, b in result.per_series.items()}

    original = predictions(pair, proxy)
    later_b = {"A": pair["A"], "B": _perturbed_after(pair["B"], cut + 1)}
    for changed in (predictions(later_b, proxy),
                    predictions(pair, _perturbed_after(proxy, cut + 1))):
        for name in pair:
            known = original[name]["origin"] <= pair["A"].index[cut]
            pd.testing.assert_frame_equal(original[name].loc[known, FORECASTS[:2]],
                                          changed[name].loc[known, FORECASTS[:2]],
                                          check_exact=True)  # bit for bit
        later = original["A"]["origin"] > pair["A"].index[cut]
        # series A's own prices did not change, yet its later forecasts did: one shared model
        assert not np.allclose(original["A"].loc[later, "lstm"], changed["A"].loc[later, "lstm"])


def test_finetuning_chains_the_global_fits(pair):
    settings = _settings(pair["A"], 300)
    finetuned = GlobalForecaster(TINY).backtest(pair, start=settings.start, refit_every=50,
                                                refit="finetune", jobs=1)
    full = GlobalForecaster(TINY).backtest(pair, start=settings.start, refit_every=50, jobs=1)
    a, b = finetuned.per_series["A"].predictions, full.per_series["A"].predictions
    first = a["refit"] == 0
    np.testing.assert_allclose(a.loc[first, "lstm"], b.loc[first, "lstm"], rtol=1e-6)
    assert not np.allclose(a.loc[~first, "lstm"], b.loc[~first, "lstm"])


def test_bad_global_backtests_are_refused_before_any_training(pair):
    start = str(pair["A"].index[250].date())
    with pytest.raises(ConfigError, match="at least two series, got 1"):
        GlobalForecaster(TINY).backtest({"A": pair["A"]}, start=start)
    holed = {"A": pair["A"], "B": pair["B"].drop(pair["B"].index[300])}
    day = pair["B"].index[300].date()
    with pytest.raises(DataError, match=f"B lacks {day}, a refit or origin day of A"):
        GlobalForecaster(TINY).backtest(holed, start=start)
    itself = TINY.replace(covariates={"B": ("log_return",)})
    with pytest.raises(ConfigError, match="covariate B is the series B itself"):
        GlobalForecaster(itself).backtest(pair, start=start, covariates={"B": pair["B"]})
