"""Shared pieces of the backtest tests: a short synthetic series and a tiny, fast config."""

from __future__ import annotations

import pytest
from conftest import synthetic_price_csv

from lstmlab.config import ForecastConfig
from lstmlab.data import load_prices

# tiny and fast: a refit trains in well under a second
TINY = ForecastConfig(cell="lstm", hidden_size=4, lookback=10, max_epochs=2, batch_size=32,
                      patience=0, split=(0.7, 0.15, 0.15), seed=3)


@pytest.fixture(scope="session")
def short_prices(tmp_path_factory):
    """400 business days of a synthetic random walk, loaded."""
    folder = tmp_path_factory.mktemp("backtest")
    return load_prices(synthetic_price_csv(folder / "SHORT.csv", n=400, seed=7))


@pytest.fixture(scope="session")
def short_covariate(tmp_path_factory):
    """Another 400 business days on the same dates: a past covariate of ``short_prices``."""
    folder = tmp_path_factory.mktemp("covariate")
    return load_prices(synthetic_price_csv(folder / "OTHER.csv", n=400, seed=8))
