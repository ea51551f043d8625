"""Source resolution: paths, tickers in the data folders, and the yfinance download (offline)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmlab.data import load_prices
from lstmlab.data.sources import data_dirs, resolve_source
from lstmlab.errors import DataError

CSV = "Date,Close\n2020-01-02,1.0\n2020-01-03,2.0\n"


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """Isolated argument, environment and cache folders (the real user cache is never read)."""
    made = {name: tmp_path / name for name in ("arg", "env", "xdg")}
    for folder in made.values():
        folder.mkdir()
    monkeypatch.setenv("LSTMLAB_DATA_DIR", str(made["env"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(made["xdg"]))
    monkeypatch.chdir(tmp_path)
    return made


def fake_yfinance(history: pd.DataFrame | None = None, error: Exception | None = None):
    """A stand-in for the yfinance module recording the tickers it was asked for."""
    module = types.ModuleType("yfinance")
    module.asked = []

    class Ticker:
        def __init__(self, symbol):
            module.asked.append(symbol)

        def history(self, period, auto_adjust):
            assert (period, auto_adjust) == ("max", False)
            if error is not None:
                raise error
            return history

    module.Ticker = Ticker
    return module


def yahoo_history() -> pd.DataFrame:
    index = pd.DatetimeIndex(["2020-01-02", "2020-01-03"], tz="America/New_York", name="Date")
    return pd.DataFrame({
        "Open": [1.0, 2.0], "High": [1.5, 2.5], "Low": [0.5, 1.5], "Close": [1.2, 2.2],
        "Adj Close": [1.1, 2.1], "Volume": [100, 200], "Dividends": [0.0, 0.0],
        "Stock Splits": [0.0, 0.0]}, index=index)


def test_search_order(folders):
    assert data_dirs(folders["arg"]) == [folders["arg"], folders["env"], folders["xdg"] / "lstmlab"]


def test_cache_defaults_to_home_when_no_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LSTMLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dirs() == [tmp_path / ".cache" / "lstmlab"]


def test_existing_path_wins_over_ticker(folders):
    Path("TSLA").write_text(CSV)
    (folders["arg"] / "TSLA.csv").write_text(CSV.replace("2.0", "3.0"))
    assert resolve_source("TSLA", data_dir=folders["arg"]) == Path("TSLA")


@pytest.mark.parametrize("holder", ["arg", "env", "xdg"])
def test_ticker_found_in_each_folder(folders, holder):
    folder = folders[holder] / "lstmlab" if holder == "xdg" else folders[holder]
    folder.mkdir(exist_ok=True)
    (folder / "TSLA.csv").write_text(CSV)
    found = resolve_source("tsla", data_dir=folders["arg"])
    assert found == folder / "TSLA.csv"
    assert list(load_prices("tsla", data_dir=folders["arg"])["close"]) == [1.0, 2.0]


def test_argument_folder_comes_before_environment(folders):
    (folders["arg"] / "TSLA.csv").write_text(CSV)
    (folders["env"] / "TSLA.csv").write_text(CSV)
    assert resolve_source("TSLA", data_dir=folders["arg"]) == folders["arg"] / "TSLA.csv"


def test_missing_file(folders):
    with pytest.raises(DataError) as caught:
        load_prices("prices/none.csv")
    assert str(caught.value) == (
        f"price file not found: prices/none.csv (working directory {Path.cwd()}); check the "
        "path, or pass a ticker symbol such as 'TSLA'"
    )


def test_missing_path_object_is_never_a_ticker(folders):
    with pytest.raises(DataError, match=r"^price file not found: TSLA "):
        load_prices(Path("TSLA"))


def test_unsupported_source_type():
    with pytest.raises(DataError, match=r"^cannot load prices from a int: pass a CSV path"):
        load_prices(42)


def test_no_yfinance_and_no_cached_file(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import yfinance now fails
    with pytest.raises(DataError) as caught:
        load_prices("TSLA")
    env, cache = folders["env"], folders["xdg"] / "lstmlab"
    assert str(caught.value) == (
        f"no price file for ticker TSLA: looked for TSLA.csv in {env}, {cache}, and yfinance is "
        "not installed to download it; install the extra (pip install 'lstmlab[yahoo]') or put "
        f"TSLA.csv in {env} (or in the folder named by $LSTMLAB_DATA_DIR)"
    )


def test_download_is_cached_then_read_offline(folders, monkeypatch):
    fake = fake_yfinance(yahoo_history())
    monkeypatch.setitem(sys.modules, "yfinance", fake)
    frame = load_prices("aapl", data_dir=folders["arg"])
    cached = folders["arg"] / "AAPL.csv"
    assert cached.read_text().splitlines()[:2] == [
        "Date,Open,High,Low,Close,Adj Close,Volume", "2020-01-02,1.0,1.5,0.5,1.2,1.1,100"]
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "adj_close"]
    np.testing.assert_allclose(frame["adj_close"], [1.1, 2.1])
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]
    load_prices("AAPL", data_dir=folders["arg"])  # second call: from the cache
    assert fake.asked == ["AAPL"]
    assert not list(folders["arg"].glob(".*.tmp"))  # the atomic write left no temporary file


def test_download_goes_to_the_environment_folder_without_argument(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", fake_yfinance(yahoo_history()))
    load_prices("MSFT")
    assert (folders["env"] / "MSFT.csv").is_file()


def test_download_of_unknown_ticker(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", fake_yfinance(yahoo_history().iloc[:0]))
    with pytest.raises(DataError) as caught:
        load_prices("NOPE", data_dir=folders["arg"])
    assert str(caught.value) == (
        "yfinance returned no prices for ticker NOPE; check the symbol (Yahoo spelling, e.g. "
        f"BRK-B), or put NOPE.csv in {folders['arg']}"
    )
    assert not (folders["arg"] / "NOPE.csv").exists()


def test_download_failure_names_the_cause(folders, monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", fake_yfinance(error=OSError("no route")))
    with pytest.raises(DataError, match=r"^downloading TSLA with yfinance failed \(OSError: "
                       r"no route\); check the symbol and the network"):
        load_prices("TSLA", data_dir=folders["arg"])
