"""``load_prices``: read a price series from a CSV file, a DataFrame or a ticker symbol.

CSV files may be UTF-8 with or without a byte-order mark and use ``,``, ``;`` or a tab as the
delimiter (guessed from the header line). See :mod:`lstmlab.data.parse` for the accepted headers,
numbers and dates, and :mod:`lstmlab.data.sources` for how a ticker is found.
"""

from __future__ import annotations

import codecs
import csv
import os
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from lstmlab.data.parse import Where, needed_columns, normalize_header, parse_table
from lstmlab.data.sources import resolve_source
from lstmlab.data.validate import validate_table
from lstmlab.errors import DataError
from lstmlab.trading_days import DEFAULT_CALENDAR, missing_sessions

__all__ = ["MAX_CELL_CHARS", "MAX_HEADER_BYTES", "as_prices", "load_prices", "read_table"]

_DELIMITERS = (",", ";", "\t")
MAX_CELL_CHARS = 100  # the longest date or price cell read ("2020-01-02T00:00:00+00:00" is 25)
MAX_HEADER_BYTES = 64 * 1024


def load_prices(
    source: Any, *, data_dir: str | os.PathLike[str] | None = None, fill: str | None = None,
    calendar: str = DEFAULT_CALENDAR,
) -> pd.DataFrame:
    """Load daily prices as a checked, ascending DataFrame.

    Args:
        source: a CSV path, a pandas DataFrame (dates in a column or in the index), or a ticker
            symbol such as ``"TSLA"`` (see :mod:`lstmlab.data.sources` for the search order).
        data_dir: folder searched first for ``<TICKER>.csv`` when ``source`` is a ticker.
        fill: what to do with missing values: ``None`` (an error), ``"ffill"`` (carry the last
            value forward) or ``"drop"`` (drop the rows).
        calendar: the exchange calendar (see :mod:`lstmlab.trading_days`) whose sessions the
            dates are checked against: a session without a row is a note, not an error.

    Returns:
        A DataFrame indexed by a sorted, unique ``DatetimeIndex`` named ``date`` with the float
        columns ``open, high, low, close, volume`` (and ``adj_close``) that the source has.
        ``frame.attrs["source"]`` names the input and ``frame.attrs["notes"]`` lists what was
        done to it (sorting a newest-first file, rows filled or dropped) and the trading days
        missing from it, as plain strings.

    Raises:
        DataError: the source is missing or malformed; the message names the file, line and value.
    """
    resolved = resolve_source(source, data_dir=data_dir)
    if isinstance(resolved, pd.DataFrame):
        where = Where(_frame_name(resolved), is_file=False)
        raw = _table_from_frame(resolved, where)
    else:
        where = Where(str(resolved))
        raw = read_table(resolved)
    frame, notes = validate_table(parse_table(raw, where), where, fill)
    notes += _gap_notes(cast(pd.DatetimeIndex, frame.index), calendar)  # validated: dates
    frame.attrs = {"source": where.name, "notes": list(dict.fromkeys(
        [*_frame_notes(resolved), *notes]))}  # a frame loaded again keeps its notes once
    return frame


def _gap_notes(index: pd.DatetimeIndex, calendar: str) -> list[str]:
    """A note when trading days of ``calendar`` have no row."""
    gaps = missing_sessions(index, calendar)
    if len(gaps) == 0:
        return []
    return [f"{len(gaps)} trading day(s) of the {calendar.upper()} calendar have no row (first "
            f"{gaps[0]:%Y-%m-%d}); the windows treat consecutive rows as consecutive days (choose "
            f"the exchange with --calendar, or 'none' for no calendar)"]


def as_prices(prices: Any, *, caller: str | None = None) -> pd.DataFrame:
    """``prices`` itself when it is already a checked price frame, else :func:`load_prices` of it.

    A checked frame is one that :func:`load_prices` returned, or a slice of one that is still
    sorted by date: using it again costs nothing, so a command loads and checks its prices once,
    at its entry point, and passes the frame down. Any other DataFrame is checked here. With
    ``caller`` (a function of the data pipeline), a path or ticker is still loaded but with a
    ``DeprecationWarning``: those functions take a frame from :func:`load_prices`.
    """
    if isinstance(prices, pd.DataFrame):
        index = prices.index
        checked = ("source" in prices.attrs and isinstance(index, pd.DatetimeIndex)
                   and index.is_monotonic_increasing and index.is_unique)
        return prices if checked else load_prices(prices)
    if caller is not None:
        warnings.warn(f"{caller}() takes the DataFrame that load_prices() returns; passing a "
                      f"path or ticker is deprecated: call load_prices() once and pass the frame",
                      DeprecationWarning, stacklevel=3)
    return load_prices(prices)


def _frame_name(frame: pd.DataFrame) -> str:
    """``the DataFrame``, or ``the DataFrame loaded from <file>`` for a frame we loaded."""
    source = frame.attrs.get("source")
    if not source or str(source).startswith("the DataFrame"):
        return str(source or "the DataFrame")
    return f"the DataFrame loaded from {source}"


def _frame_notes(resolved: Path | pd.DataFrame) -> list[str]:
    """Notes already attached to a DataFrame source (kept when it is loaded again)."""
    if isinstance(resolved, pd.DataFrame):
        return list(resolved.attrs.get("notes", []))
    return []


def read_table(path: Path) -> pd.DataFrame:
    """The columns of the CSV at ``path`` that loading needs; the index is the data row's
    position.

    pandas' C parser reads the file: price columns straight into numbers (text only where a
    value is not a plain number), dates as text, and every other column as a category, so a
    wide file or a huge cell in an unused column costs little memory. The header is read
    alone, line by line. Blank lines are dropped but still counted, so positions map to line
    numbers (line = position + 2, the header being line 1; blank lines above it not counted).
    """
    skipped, header = _read_header(path)
    delimiter = max(_DELIMITERS, key=header.count)
    names = next(csv.reader([header], delimiter=delimiter))
    where = Where(str(path))
    date, used = needed_columns(pd.Index(names), where)
    kinds: dict[int, Any] = {i: "category" for i in range(len(names)) if i not in used}
    kinds[date] = str
    try:
        table = pd.read_csv(path, sep=delimiter, header=0, names=range(len(names)), dtype=kinds,
                            keep_default_na=False, na_values=[""], skip_blank_lines=False,
                            skiprows=skipped, encoding="utf-8-sig", engine="c")
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path} is not a well-formed CSV: {_first_line(exc)}") from None
    blank = pd.concat([_blank(table[c]) for c in table.columns], axis=1).all(axis=1)
    raw = table.loc[~blank, used]
    raw.columns = [names[i] for i in used]
    if raw.empty:
        raise DataError(f"{path} has a header but no data rows; expected one row per date")
    _check_cell_lengths(raw, where)
    return raw


def _blank(column: pd.Series) -> pd.Series:
    """Cells that are empty or only spaces."""
    if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
        return column.isna() | column.astype("string").str.strip().eq("")
    return column.isna()


def _read_header(path: Path) -> tuple[int, str]:
    """The number of blank lines before the header, and the header line (without BOM)."""
    skipped = 0
    with open(path, "rb") as handle:
        while line := handle.readline(MAX_HEADER_BYTES + 1):
            if len(line) > MAX_HEADER_BYTES:
                raise DataError(f"the header line of {path} is longer than {MAX_HEADER_BYTES:,} "
                                f"bytes; is it a price CSV?")
            try:
                text = line.decode("utf-8-sig" if skipped == 0 else "utf-8")
            except UnicodeDecodeError:
                raise _not_utf8(path) from None
            if text.strip():
                return skipped, text.rstrip("\r\n")
            skipped += 1
    raise DataError(f"{path} is empty; expected a CSV with a header and one row per date")


def _not_utf8(path: Path) -> DataError:
    """The error for a file that is not UTF-8, naming the first bad byte (found in chunks)."""
    decoder, offset = codecs.getincrementaldecoder("utf-8")(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return DataError(f"{path} is not UTF-8 text ({exc.reason} at byte "
                                 f"{offset + exc.start}); save it as UTF-8 CSV")
            offset += len(chunk)
    return DataError(f"{path} is not UTF-8 text; save it as UTF-8 CSV")


def _check_cell_lengths(raw: pd.DataFrame, where: Where) -> None:
    """Refuse a date or price cell longer than :data:`MAX_CELL_CHARS` (no real one is)."""
    for column in raw.columns:
        if pd.api.types.is_numeric_dtype(raw[column]):
            continue  # read as numbers: nothing long was kept
        lengths = raw[column].astype("string").str.len().fillna(0).to_numpy()
        if len(lengths) and lengths.max() > MAX_CELL_CHARS:
            i = int(np.argmax(lengths > MAX_CELL_CHARS))
            raise DataError(f"the {column!r} cell at {where.at(raw.index[i])} is "
                            f"{int(lengths[i]):,} characters long; date and price cells are "
                            f"at most {MAX_CELL_CHARS} characters: check the file")


def _first_line(exc: Exception) -> str:
    return next(iter(str(exc).strip().splitlines()), type(exc).__name__)


def _table_from_frame(frame: pd.DataFrame, where: Where) -> pd.DataFrame:
    """The user's frame with dates as a column and positions 0..n-1 as the index."""
    if frame.empty:
        raise DataError("the DataFrame has no rows; expected one row per date")
    index_is_date = isinstance(frame.index, pd.DatetimeIndex) or normalize_header(
        frame.index.name or "") in ("date", "datetime", "timestamp")
    has_date_column = any(normalize_header(c) == "date" for c in frame.columns)
    table = frame.copy()
    if index_is_date and not has_date_column:
        table.insert(0, "date", frame.index.to_numpy())
    table.columns = [str(c) for c in table.columns]
    return table.reset_index(drop=True)
