"""Shared fixtures: real price files when ../shared/data is present, synthetic ones otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TICKERS = ("TSLA", "AAPL", "AMZN", "GOOGL", "MSFT")


def synthetic_price_csv(path: Path, n: int = 2768, seed: int = 0) -> Path:
    """Write a Yahoo-style CSV of a geometric random walk over business days."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2013-01-02", periods=n)
    close = 20.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    volume = rng.integers(1_000_000, 5_000_000, n)
    frame = pd.DataFrame(
        {"Date": dates.strftime("%Y-%m-%d"), "Open": open_, "High": high, "Low": low,
         "Close": close, "Volume": volume}
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def price_dir(tmp_path_factory) -> Path:
    """A folder holding `<TICKER>.csv` for the five tickers: the real files, or synthetic ones."""
    if all((SHARED_DATA / f"{t}.csv").exists() for t in TICKERS):
        return SHARED_DATA
    folder = tmp_path_factory.mktemp("prices")
    for i, ticker in enumerate(TICKERS):
        synthetic_price_csv(folder / f"{ticker}.csv", seed=i)
    return folder


@pytest.fixture(scope="session")
def tsla_csv(price_dir) -> Path:
    """Path of TSLA daily prices (real when available)."""
    return price_dir / "TSLA.csv"
