"""Price frames shared by the data tests: the real TSLA series and a synthetic one."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import synthetic_price_csv  # the suite's generator of Yahoo-style CSVs

from lstmlab.data import load_prices


@pytest.fixture(scope="session")
def tsla(tsla_csv) -> pd.DataFrame:
    """TSLA daily prices, real when ../shared/data is present."""
    return load_prices(tsla_csv)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory) -> pd.DataFrame:
    """A synthetic geometric random walk (always synthetic, whatever the machine has)."""
    path = synthetic_price_csv(tmp_path_factory.mktemp("synthetic") / "SYN.csv", seed=7)
    return load_prices(path)


@pytest.fixture(params=["real", "synthetic"])
def series(request, tsla, synthetic) -> pd.DataFrame:
    """Each of the two series in turn, for tests that must hold on real and synthetic data."""
    return tsla if request.param == "real" else synthetic
