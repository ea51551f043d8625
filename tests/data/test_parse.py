"""Malformed files fail with a DataError naming the file, the line and the value."""

from __future__ import annotations

import pandas as pd
import pytest

from lstmlab.data import load_prices
from lstmlab.data.parse import Where, normalize_header
from lstmlab.errors import DataError


def load_text(tmp_path, text: str, name: str = "p.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_prices(path)
    return str(caught.value), path


def test_empty_file(tmp_path):
    message, path = load_text(tmp_path, "")
    assert message == f"{path} is empty; expected a CSV with a header and one row per date"


def test_header_only(tmp_path):
    message, path = load_text(tmp_path, "Date,Open,High,Low,Close,Volume\n")
    assert message == f"{path} has a header but no data rows; expected one row per date"


def test_no_date_column(tmp_path):
    message, path = load_text(tmp_path, "Day_of_trade,Close\n2020-01-02,1.0\n")
    assert message == (
        f"no date column in {path}: found columns [Day_of_trade, Close]; name the column of "
        "dates 'Date' (or put the dates in the first column)"
    )


def test_no_usable_price_column(tmp_path):
    message, path = load_text(tmp_path, "Date,Volume,Ticker\n2020-01-02,100,TSLA\n")
    assert message == (
        f"no usable price column in {path}: found columns [Date, Volume, Ticker]; name at least "
        "one of Open, High, Low, Close (or Close/Last), Adj Close"
    )


def test_unparseable_date(tmp_path):
    message, path = load_text(tmp_path, "Date,Close\n2020-01-02,1.0\n2020-02-30,1.1\n")
    assert message == (
        f"unparseable date '2020-02-30' at line 3 of {path}; write dates as YYYY-MM-DD "
        "(MM/DD/YYYY and DD.MM.YYYY are also read)"
    )


def test_missing_date(tmp_path):
    message, path = load_text(tmp_path, "Date,Close\n2020-01-02,1.0\n,1.1\n")
    assert message == f"missing date at line 3 of {path}; every row needs a date"


def test_non_numeric_price(tmp_path):
    message, path = load_text(tmp_path, "Date,Close\n2020-01-02,1.0\n2020-01-03,1.1x\n")
    assert message == (
        f"non-numeric close value '1.1x' at line 3 of {path} (2020-01-03); write plain numbers "
        "like 184.76 (a leading $ and thousands separators are fine)"
    )


def test_decimal_comma_is_not_read_as_thousands(tmp_path):
    """``184,76`` in a ;-file is ambiguous: it must fail, not become 18476."""
    message, path = load_text(tmp_path, "Date;Close\n2020-01-02;184,76\n")
    assert message.startswith(f"non-numeric close value '184,76' at line 2 of {path}")


def test_infinite_price_is_non_numeric(tmp_path):
    message, path = load_text(tmp_path, "Date,Close\n2020-01-02,inf\n")
    assert message.startswith(f"non-numeric close value 'inf' at line 2 of {path} (2020-01-02)")


def test_same_column_twice(tmp_path):
    message, path = load_text(tmp_path, "Date,Close,close\n2020-01-02,1,1\n")
    assert message == (
        f"column close appears twice in {path} (headers 'Close' and 'close'); keep one of them"
    )


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("Date,Close\n2020-01-02,1.0 \u20ac\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"latin\.csv is not UTF-8 text .*save it as UTF-8 CSV"):
        load_prices(path)


def test_ragged_csv(tmp_path):
    message, path = load_text(tmp_path, "Date,Close\n2020-01-02,1.0\n2020-01-03,1.1,9,9\n")
    assert message.startswith(f"{path} is not a well-formed CSV: ")


def test_dataframe_errors_name_the_row():
    frame = pd.DataFrame({"Date": ["2020-01-02", "2020-01-03"], "Close": [1.0, "abc"]})
    with pytest.raises(DataError) as caught:
        load_prices(frame)
    assert str(caught.value).startswith(
        "non-numeric close value 'abc' at row 1 of the DataFrame (2020-01-03)")


def test_normalize_header():
    assert normalize_header(" Close/Last ") == "close_last"
    assert normalize_header("Adj Close") == "adj_close"
    assert normalize_header("Unnamed: 0") == "unnamed_0"


def test_where_formats_lines_and_rows():
    assert Where("a.csv").at(0) == "line 2 of a.csv"
    assert Where("a.csv").at(3, pd.Timestamp("2020-01-03")) == "line 5 of a.csv (2020-01-03)"
    assert Where("the DataFrame", is_file=False).at(3) == "row 3 of the DataFrame"


def test_dataframe_with_a_missing_date_in_the_index():
    frame = pd.DataFrame({"Close": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-02", None]))
    with pytest.raises(DataError) as caught:
        load_prices(frame)
    assert str(caught.value) == "missing date at row 1 of the DataFrame; every row needs a date"
