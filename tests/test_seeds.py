"""Several seeds: configs, the spread across seeds, the ensemble row, and --seeds end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_price_csv
from fake_run import invoke

from lstmlab import ForecastConfig, load_prices
from lstmlab.jobs import fit_models
from lstmlab.runs import read_run
from lstmlab.seeds import ensemble_name, seed_configs

TINY = dict(hidden_size=4, lookback=10, max_epochs=2)


@pytest.fixture(scope="module")
def prices_csv(tmp_path_factory):
    return synthetic_price_csv(tmp_path_factory.mktemp("data") / "prices.csv", n=360)


def test_seed_configs_count_up_from_the_given_seed():
    seeds = [c.seed for c in seed_configs(ForecastConfig(seed=7), 3)]
    assert seeds == [7, 8, 9]


def test_fit_models_adds_the_spread_and_the_ensemble(prices_csv):
    prices = load_prices(prices_csv)
    (item,) = fit_models(prices, {"lstm": ForecastConfig(**TINY)}, seeds=2)
    metrics = item.evaluation.metrics.reset_index()
    assert ensemble_name("lstm") in set(metrics["model"])
    spread = item.spread
    assert list(spread.columns[:4]) == ["split", "model", "step", "seeds"]
    assert set(spread["seeds"]) == {2}
    # the first seed is the cell's own model: its RMSE is one of the two averaged
    one = fit_models(prices, {"lstm": ForecastConfig(**TINY, seed=1)})[0]
    first = item.evaluation.at_step().loc[("test", "lstm"), "rmse"]
    second = one.evaluation.at_step().loc[("test", "lstm"), "rmse"]
    row = spread.query("split == 'test'").iloc[0]
    assert row["rmse_mean"] == pytest.approx((first + second) / 2, rel=1e-6)
    assert row["rmse_sd"] == pytest.approx(abs(first - second) / np.sqrt(2), rel=1e-5)


def test_compare_with_seeds_writes_seeds_csv_and_prints_the_spread(prices_csv, tmp_path):
    result = invoke("compare", prices_csv, "--cells", "lstm", "--epochs", "2", "--hidden-size",
                    "4", "--lookback", "10", "--seeds", "2", "--out", tmp_path, "--name", "s")
    assert result.exit_code == 0, result.stderr
    run = read_run(tmp_path / "s")
    assert run.manifest["seeds"] == {"lstm": 2}
    assert isinstance(run.table("seeds.csv"), pd.DataFrame)
    assert "lstm_ensemble" in set(run.table("metrics.csv")["model"])
    assert "LSTM over 2 seeds, test RMSE: mean" in result.stdout
