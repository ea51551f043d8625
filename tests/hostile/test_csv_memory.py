"""A small CSV must not need huge memory: only the needed columns are parsed, a long date or
price cell is refused, and the header is read alone."""

from __future__ import annotations

import tracemalloc

import pytest

from lstmlab.data import load_prices
from lstmlab.data.load import MAX_CELL_CHARS, MAX_HEADER_BYTES
from lstmlab.errors import DataError


def _unique_dates(n: int) -> list[str]:
    import pandas as pd

    return list(pd.bdate_range("2020-01-01", periods=n).strftime("%Y-%m-%d"))


def test_a_long_cell_in_an_unused_column_costs_little_memory(tmp_path):
    path = tmp_path / "note.csv"
    lines = [f"{d},{10 + i},{'x' * 10_000 if i == 5 else ''}"
             for i, d in enumerate(_unique_dates(300))]
    path.write_text("Date,Close,Note\n" + "\n".join(lines) + "\n", encoding="utf-8")
    tracemalloc.start()
    try:
        frame = load_prices(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(frame) == 300
    assert peak < 20e6, f"loading a {path.stat().st_size:,}-byte file traced {peak:,} bytes"


def test_a_long_price_cell_is_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("Date,Close\n2020-01-02,1\n2020-01-03," + "1" * 5000 + "x\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_prices(path)
    assert str(caught.value) == (
        f"the 'Close' cell at line 3 of {path} is 5,001 characters long; date and price cells "
        f"are at most {MAX_CELL_CHARS} characters: check the file")


def test_a_huge_header_line_is_refused_without_reading_the_file(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("Date," + "x" * (MAX_HEADER_BYTES + 10) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"the header line of .*wide\.csv is longer than 65,536 "
                                         r"bytes; is it a price CSV\?"):
        load_prices(path)


def test_blank_lines_before_the_header_and_a_bom_are_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf\n\nDate,Close,Note\n2020-01-02,1,a\n\n2020-01-03,x,b\n")
    with pytest.raises(DataError, match=r"non-numeric close value 'x' at line 4 of "):
        load_prices(path)


def test_a_ragged_line_in_an_unused_column_is_still_refused(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Date,Close,Note\n2020-01-02,1,a\n2020-01-03,1,234,b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"is not a well-formed CSV: Error tokenizing data\. C "
                                         r"error: Expected 3 fields in line 3, saw 4$"):
        load_prices(path)
