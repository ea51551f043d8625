"""Every accepted input format loads to the same canonical frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TICKERS

from lstmlab.data import load_prices

YAHOO = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2020-01-02,28.3,28.7,28.1,28.68,28.68,142981500\n"
    "2020-01-03,29.37,30.27,29.13,29.53,29.53,266677500\n"
    "2020-01-06,29.36,30.1,29.33,30.1,30.1,151995000\n"
)
DATES = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"], name="date")
CLOSE = [28.68, 29.53, 30.1]


def write(folder, name: str, text: str, encoding: str = "utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def check_canonical(frame: pd.DataFrame, columns: list[str]) -> None:
    assert list(frame.columns) == columns
    assert frame.index.equals(DATES)
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    np.testing.assert_allclose(frame["close"], CLOSE)


def test_yahoo_with_adj_close(tmp_path):
    frame = load_prices(write(tmp_path, "y.csv", YAHOO))
    check_canonical(frame, ["open", "high", "low", "close", "volume", "adj_close"])
    assert frame["volume"].iloc[1] == 266677500.0
    assert frame.attrs == {"source": str(tmp_path / "y.csv"), "notes": []}


def test_snake_case_headers(tmp_path):
    text = YAHOO.replace("Date,Open,High,Low,Close,Adj Close,Volume",
                         "date,open,high,low,close,adj_close,volume")
    check_canonical(load_prices(write(tmp_path, "s.csv", text)),
                    ["open", "high", "low", "close", "volume", "adj_close"])


def test_upper_case_headers_without_adj_close(tmp_path):
    text = "DATE,OPEN,HIGH,LOW,CLOSE,VOLUME\n" + "\n".join(
        ",".join(row.split(",")[:5] + row.split(",")[6:]) for row in YAHOO.splitlines()[1:])
    check_canonical(load_prices(write(tmp_path, "u.csv", text)),
                    ["open", "high", "low", "close", "volume"])


def test_nasdaq_export_generated_from_a_series(tmp_path, tsla):
    """Nasdaq.com: Close/Last, MM/DD/YYYY dates, newest first, $-prices; sorted and noted."""
    part = tsla.iloc[-300:]
    export = pd.DataFrame({
        "Date": part.index.strftime("%m/%d/%Y"),
        "Close/Last": [f"${v:,.2f}" for v in part["close"]],
        "Volume": part["volume"].astype("int64"),
        "Open": [f"${v:,.2f}" for v in part["open"]],
        "High": [f"${v:,.2f}" for v in part["high"]],
        "Low": [f"${v:,.2f}" for v in part["low"]],
    }).iloc[::-1]
    path = tmp_path / "HistoricalData_TSLA.csv"
    export.to_csv(path, index=False)
    frame = load_prices(path)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.equals(part.index)
    np.testing.assert_allclose(frame["close"], part["close"].round(2), atol=1e-9)
    assert frame.attrs["notes"] == [
        f"{path} lists the newest date first; sorted 300 rows into ascending date order"]


def test_thousands_separators_and_dollar_signs(tmp_path):
    text = ('Date,Close,Volume\n2020-01-02,"$1,028.68","142,981,500"\n'
            '2020-01-03,"1,029.53",266677500\n2020-01-06,1030.10,"1,000"\n')
    frame = load_prices(write(tmp_path, "t.csv", text))
    np.testing.assert_allclose(frame["close"], [1028.68, 1029.53, 1030.10])
    np.testing.assert_allclose(frame["volume"], [142981500, 266677500, 1000])


def test_utf8_byte_order_mark(tmp_path):
    check_canonical(load_prices(write(tmp_path, "b.csv", "\ufeff" + YAHOO)),
                    ["open", "high", "low", "close", "volume", "adj_close"])


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(tmp_path, delimiter):
    text = YAHOO.replace(",", delimiter)
    check_canonical(load_prices(write(tmp_path, "d.csv", text)),
                    ["open", "high", "low", "close", "volume", "adj_close"])


def test_date_column_that_was_an_unnamed_index(tmp_path):
    frame = pd.DataFrame({"Close": CLOSE}, index=DATES.rename(None))
    path = tmp_path / "i.csv"
    frame.to_csv(path)  # first header cell is empty
    check_canonical(load_prices(path), ["close"])


def test_dataframe_with_dates_in_the_index():
    frame = pd.DataFrame({"Close": CLOSE, "Volume": [1, 2, 3]}, index=DATES.rename("Date"))
    loaded = load_prices(frame)
    check_canonical(loaded, ["close", "volume"])
    assert loaded.attrs["source"] == "the DataFrame"


def test_dataframe_with_a_date_column_of_text():
    frame = pd.DataFrame({"Date": ["2020-01-02", "2020-01-03", "2020-01-06"], "Close": CLOSE})
    check_canonical(load_prices(frame), ["close"])


def test_dates_with_time_and_utc_offset(tmp_path):
    text = ("Date,Close\n2020-01-02 00:00:00-05:00,28.68\n2020-01-03 00:00:00-05:00,29.53\n"
            "2020-01-06 00:00:00-05:00,30.1\n")
    check_canonical(load_prices(write(tmp_path, "z.csv", text)), ["close"])


def test_blank_lines_are_skipped_but_counted(tmp_path):
    text = "Date,Close\n2020-01-02,28.68\n\n2020-01-03,29.53\n2020-01-06,30.1\n\n"
    check_canonical(load_prices(write(tmp_path, "g.csv", text)), ["close"])


def test_loading_a_loaded_frame_changes_nothing(tsla):
    again = load_prices(tsla)
    pd.testing.assert_frame_equal(again, tsla)


@pytest.mark.parametrize("ticker", TICKERS)
def test_real_or_synthetic_fixture_files_load(price_dir, ticker):
    frame = load_prices(price_dir / f"{ticker}.csv")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert len(frame) == 2768
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.index.name == "date"
    assert (frame[["open", "high", "low", "close"]] > 0).all().all()
    assert frame.attrs["notes"] == []


def test_yfinance_history_frame_with_time_zone_and_extra_columns():
    index = DATES.tz_localize("America/New_York").rename("Date")
    frame = pd.DataFrame({"Close": CLOSE, "Volume": [1, 2, 3], "Dividends": 0.0,
                          "Stock Splits": 0.0}, index=index)
    check_canonical(load_prices(frame), ["close", "volume"])
