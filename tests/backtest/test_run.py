"""Whole backtests: causal at every step, equal to `compare` with one block, resumable,
the same in a process pool, and fine-tuned blocks chained."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.run import run_backtest
from lstmlab.errors import ConfigError
from lstmlab.forecaster import Forecaster

from .conftest import TINY
from .test_refit import _perturbed_after

FORECASTS = ["lstm", "selected", "naive", "drift", "moving_average", "mean_return"]


def test_no_forecast_reads_a_price_after_its_origin(short_prices):
    config = TINY.replace(horizon=3)
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)
    original = run_backtest(short_prices, {"lstm": config}, settings, jobs=1).predictions
    cut = 310  # an origin inside the second block (refit at row 290)
    changed = run_backtest(_perturbed_after(short_prices, cut + 1), {"lstm": config}, settings,
                           jobs=1).predictions
    known = original["origin"] <= short_prices.index[cut]
    assert known.sum() == 3 * (cut - 249 + 1)  # every step of every origin up to the cut
    pd.testing.assert_frame_equal(original.loc[known, FORECASTS], changed.loc[known, FORECASTS],
                                  check_exact=True)  # bit for bit, every step k = 1..3
    later = ~known & (original["step"] == 1)
    assert not np.allclose(original.loc[later, "lstm"], changed.loc[later, "lstm"])


def test_no_forecast_reads_a_covariate_value_after_its_origin(short_prices, short_covariate):
    config = TINY.replace(horizon=2, covariates={"OTHER": ("log_return",)})
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)

    def predictions(covariate):
        return run_backtest(short_prices, {"lstm": config}, settings, jobs=1,
                            covariates={"OTHER": covariate}).predictions

    original = predictions(short_covariate)
    cut = 310  # an origin inside the second block (refit at row 290)
    changed = predictions(_perturbed_after(short_covariate, cut + 1))
    known = original["origin"] <= short_prices.index[cut]
    pd.testing.assert_frame_equal(original.loc[known, FORECASTS], changed.loc[known, FORECASTS],
                                  check_exact=True)  # bit for bit, both steps
    later = ~known & (original["step"] == 1)
    assert not np.allclose(original.loc[later, "lstm"], changed.loc[later, "lstm"])
    # the baselines read the series alone
    pd.testing.assert_frame_equal(original[FORECASTS[2:]], changed[FORECASTS[2:]])


def test_one_block_reproduces_the_compare_test_forecasts(short_prices):
    compare_config = TINY.replace(split=(str(short_prices.index[280].date()),
                                         str(short_prices.index[340].date())))
    fitted = Forecaster(compare_config).fit(short_prices, verbose=False)
    test = fitted.evaluate(short_prices).predictions.query("split == 'test'")
    train, val = len(fitted.prepared_.train), len(fitted.prepared_.val)
    config = TINY.replace(split=(train / (train + val), val / (train + val), 0.0))
    result = run_backtest(short_prices, {"lstm": config},
                          BacktestSettings(str(short_prices.index[340].date()), refit_every=500),
                          jobs=1)
    assert result.refits["refit"].nunique() == 1
    mine = result.predictions.set_index("target_date")
    assert list(mine.index) == list(test.index)
    np.testing.assert_allclose(mine["lstm"], test["lstm"], rtol=1e-6)
    for baseline in ("naive", "drift", "moving_average", "mean_return"):
        np.testing.assert_allclose(mine[baseline], test[baseline], rtol=1e-12)


def test_a_rerun_resumes_and_a_pool_gives_the_same_forecasts(short_prices, tmp_path):
    settings = BacktestSettings(str(short_prices.index[300].date()), refit_every=50)
    configs = {"rnn": TINY.replace(cell="rnn"), "lstm": TINY}
    first = run_backtest(short_prices, configs, settings, jobs=2, store=tmp_path)
    assert not first.refits["stored"].any() and len(first.refits) == 4
    counts = []
    again = run_backtest(short_prices, configs, settings, jobs=1, store=tmp_path,
                         on_start=lambda total, stored: counts.append((total, stored)))
    assert counts == [(4, 4)] and again.refits["stored"].all()
    in_process = run_backtest(short_prices, configs, settings, jobs=1)
    for name in configs:
        np.testing.assert_allclose(first.predictions[name], in_process.predictions[name],
                                   rtol=1e-6)
        np.testing.assert_array_equal(again.predictions[name], first.predictions[name])


def test_seeds_are_averaged_and_finetuning_chains_the_blocks(short_prices):
    settings = BacktestSettings(str(short_prices.index[300].date()), refit_every=50,
                                refit="finetune")
    result = run_backtest(short_prices, {"lstm": TINY}, settings, seeds=[1, 2], jobs=1)
    table = result.predictions
    assert {"lstm_seed1", "lstm_seed2"} <= set(table.columns)
    np.testing.assert_allclose(table["lstm"], (table["lstm_seed1"] + table["lstm_seed2"]) / 2)
    assert result.refits.groupby("seed")["refit"].nunique().tolist() == [2, 2]
    pooled = result.metrics.query("scope == 'pooled' and step == 1").set_index("model")
    assert pooled.loc["naive", "rmse_ratio"] == 1.0
    assert result.ratio("lstm") == pytest.approx(pooled.loc["lstm", "rmse_ratio"])
    full = run_backtest(short_prices, {"lstm": TINY}, replace(settings, refit="full"),
                        seeds=[1], jobs=1).predictions
    first = table["refit"] == 0  # the first block starts from scratch either way
    np.testing.assert_allclose(full.loc[first, "lstm"], table.loc[first, "lstm_seed1"],
                               rtol=1e-6)
    assert not np.allclose(full.loc[~first, "lstm"], table.loc[~first, "lstm_seed1"])


def test_selected_is_the_candidate_with_the_lowest_validation_rmse_of_each_block(short_prices):
    settings = BacktestSettings(str(short_prices.index[300].date()), refit_every=50)
    result = run_backtest(short_prices, {"rnn": TINY.replace(cell="rnn"), "lstm": TINY},
                          settings, jobs=1)
    selection = result.selection.set_index("refit")
    scores = selection.filter(like="val_rmse_")
    assert list(scores.columns) == [f"val_rmse_{name}" for name in
                                    ("naive", "drift", "moving_average", "mean_return", "rnn",
                                     "lstm")]
    assert (selection["selected"] == scores.idxmin(axis=1).str.removeprefix("val_rmse_")).all()
    table = result.predictions
    for refit, chosen in selection["selected"].items():
        rows = table["refit"] == refit
        np.testing.assert_array_equal(table.loc[rows, "selected"], table.loc[rows, chosen])
    assert "selected" in result.models


def test_forecaster_backtest_is_the_same_backtest(short_prices):
    start = str(short_prices.index[340].date())
    mine = Forecaster(TINY).backtest(short_prices, start=start, refit_every=30, jobs=1)
    direct = run_backtest(short_prices, {"lstm": TINY}, BacktestSettings(start, refit_every=30),
                          jobs=1)
    pd.testing.assert_frame_equal(mine.predictions, direct.predictions)
    assert mine.settings == direct.settings


def test_no_config_is_an_error(short_prices):
    with pytest.raises(ConfigError, match="at least one model config"):
        run_backtest(short_prices, {}, BacktestSettings("2013-12-02"))


def test_a_known_table_is_read_whole_but_no_forecast_reads_past_its_horizon(short_prices):
    days = pd.bdate_range(short_prices.index[0], periods=len(short_prices) + 10)
    table = pd.DataFrame({"earnings": (np.arange(len(days)) % 21 == 0).astype(float)},
                         index=days)
    config = TINY.replace(horizon=2, known={"earn.csv": ["earnings"]}, calendar="none")
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)

    def predictions(known):
        return run_backtest(short_prices, {"lstm": config}, settings, jobs=1,
                            covariates={"earn.csv": known}).predictions

    original = predictions(table)
    cut = 310  # an origin inside the second block (refit at row 290)
    changed = table.copy()
    changed.iloc[cut + 3 :, 0] += 5.0  # read first by the origin after the cut (t + 2)
    again = predictions(changed)
    known = original["origin"] <= short_prices.index[cut]
    pd.testing.assert_frame_equal(original.loc[known, FORECASTS], again.loc[known, FORECASTS],
                                  check_exact=True)
    later = ~known & (original["step"] == 1)
    assert not np.allclose(original.loc[later, "lstm"], again.loc[later, "lstm"])
