"""Scoring pooled forecasts: per step, per block, the tests of lstmlab.stats, the chart series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lstmlab import stats
from lstmlab.backtest.scoring import (
    ALL_STEPS,
    cumulative_difference,
    rolling_ratio,
    score_backtest,
    score_bands,
)
from lstmlab.interval_metrics import interval_metrics, interval_scores


def _table(n=120, h=2, seed=0):
    """A random-walk table in the layout of Backtest.predictions, two refit blocks."""
    rng = np.random.default_rng(seed)
    price = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n + h + 1)))
    dates = pd.bdate_range("2020-01-01", periods=n + h + 1)
    rows = []
    for t in range(n):
        for k in range(1, h + 1):
            rows.append({"origin": dates[t], "step": k, "target_date": dates[t + k],
                         "refit": int(t >= n // 2), "actual": price[t + k],
                         "naive": price[t], "model": price[t] * (1 + rng.normal(0, 0.002))})
    return pd.DataFrame(rows)


def test_pooled_and_block_scores_use_the_stats_tests_per_step():
    table = _table()
    metrics = score_backtest(table, ["model"], ["naive"])
    assert set(metrics["scope"]) == {"pooled", "block"}
    assert sorted(metrics.query("scope == 'block'")["refit"].unique()) == [0, 1]
    for step in (1, 2):
        part = table[table["step"] == step]
        row = metrics.query("scope == 'pooled' and step == @step and model == 'model'").iloc[0]
        error, naive = part["actual"] - part["model"], part["actual"] - part["naive"]
        assert row["n"] == len(part)
        assert row["rmse_ratio"] == pytest.approx(np.sqrt((error**2).mean() / (naive**2).mean()))
        assert row["dm_p_value"] == pytest.approx(
            stats.diebold_mariano(error, naive, horizon=step).p_value)
        assert row["cw_p_value"] == pytest.approx(stats.clark_west(
            part["actual"], part["naive"], part["model"], horizon=step).p_value)
    naive_row = metrics.query("scope == 'pooled' and step == 1 and model == 'naive'").iloc[0]
    assert naive_row["rmse_ratio"] == 1.0 and math.isnan(naive_row["dm_p_value"])


def test_all_steps_rows_test_the_mean_loss_per_origin():
    table = _table(h=3)
    metrics = score_backtest(table, ["model"], ["naive"])
    row = metrics.query("scope == 'pooled' and step == @ALL_STEPS and model == 'model'").iloc[0]
    wide = table.pivot(index="origin", columns="step", values=["actual", "model", "naive"])
    expected = stats.diebold_mariano_mean((wide["actual"] - wide["model"]).to_numpy(),
                                          (wide["actual"] - wide["naive"]).to_numpy())
    assert row["dm_p_value"] == pytest.approx(expected.p_value)
    naive = metrics.query("scope == 'pooled' and step == @ALL_STEPS and model == 'naive'")
    assert naive["n"].iloc[0] == len(table)  # every (origin, step) once
    assert not (score_backtest(_table(h=1), ["model"], ["naive"])["step"] == ALL_STEPS).any()


def test_chart_series_by_hand():
    table = pd.DataFrame({"step": 1, "target_date": pd.bdate_range("2021-01-04", periods=4),
                          "actual": [10.0, 10, 10, 10], "naive": [11.0, 12, 11, 12],
                          "model": [10.0, 11, 13, 10]})
    diff = cumulative_difference(table, ["model"])["model"].tolist()
    assert diff == [-1.0, -4.0, 4.0, 0.0]  # falls where the model wins, rises where it loses
    ratio = rolling_ratio(table, ["model"], window=2)["model"].tolist()
    assert math.isnan(ratio[0])
    assert ratio[1:] == pytest.approx([np.sqrt(1 / 5), np.sqrt(10 / 5), np.sqrt(9 / 5)])


def _bands(table):
    """The band table of ``_table``'s forecasts: a +-1% band around the model, and the naive
    forecast's +-1.5% band as the interval baseline."""
    model = table.assign(model="model", method="adaptive", point=table["model"],
                         lower=table["model"] * 0.99, upper=table["model"] * 1.01)
    naive = table.assign(model="naive", method="volatility", point=table["naive"],
                         lower=table["naive"] * 0.985, upper=table["naive"] * 1.015)
    return pd.concat([model, naive], ignore_index=True)


def test_band_scores_by_hand_per_step_and_block_with_dm_against_the_naive_band():
    bands = _bands(_table(h=2))
    scores = score_bands(bands, alpha=0.1)
    assert len(scores) == 3 * 2 * 2  # (pooled, block 0, block 1) x steps x bands
    for step in (1, 2):
        mine = bands.query("step == @step and model == 'model'")
        naive = bands.query("step == @step and model == 'naive'")
        row = scores.query("scope == 'pooled' and step == @step and model == 'model'").iloc[0]
        expected = interval_metrics(mine["actual"], mine["lower"], mine["upper"], mine["point"],
                                    0.1)
        assert {k: row[k] for k in expected} == pytest.approx(expected)
        dm = stats.diebold_mariano_losses(
            interval_scores(mine["actual"], mine["lower"], mine["upper"], 0.1),
            interval_scores(naive["actual"], naive["lower"], naive["upper"], 0.1), step)
        assert row["interval_dm_p_value"] == pytest.approx(dm.p_value)
    block = scores.query("scope == 'block' and refit == 1 and step == 1 and model == 'model'")
    assert block["n"].iloc[0] == 60
    reference = scores.query("model == 'naive'")
    assert reference["interval_dm_p_value"].isna().all() and reference["coverage"].notna().all()
