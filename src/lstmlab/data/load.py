"""``load_prices``: read a price series from a CSV file, a DataFrame or a ticker symbol.

CSV files may be UTF-8 with or without a byte-order mark and use ``,``, ``;`` or a tab as the
delimiter (guessed from the header line). See :mod:`lstmlab.data.parse` for the accepted headers,
numbers and dates, and :mod:`lstmlab.data.sources` for how a ticker is found.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmlab.data.parse import Where, normalize_header, parse_table
from lstmlab.data.sources import resolve_source
from lstmlab.data.validate import validate_table
from lstmlab.errors import DataError

__all__ = ["as_prices", "load_prices", "read_table"]

_DELIMITERS = (",", ";", "\t")


def load_prices(
    source: Any, *, data_dir: str | os.PathLike[str] | None = None, fill: str | None = None
) -> pd.DataFrame:
    """Load daily prices as a checked, ascending DataFrame.

    Args:
        source: a CSV path, a pandas DataFrame (dates in a column or in the index), or a ticker
            symbol such as ``"TSLA"`` (see :mod:`lstmlab.data.sources` for the search order).
        data_dir: folder searched first for ``<TICKER>.csv`` when ``source`` is a ticker.
        fill: what to do with missing values: ``None`` (an error), ``"ffill"`` (carry the last
            value forward) or ``"drop"`` (drop the rows).

    Returns:
        A DataFrame indexed by a sorted, unique ``DatetimeIndex`` named ``date`` with the float
        columns ``open, high, low, close, volume`` (and ``adj_close``) that the source has.
        ``frame.attrs["source"]`` names the input and ``frame.attrs["notes"]`` lists what was
        done to it (sorting a newest-first file, rows filled or dropped), as plain strings.

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
    frame.attrs = {"source": where.name, "notes": [*_frame_notes(resolved), *notes]}
    return frame


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
    """Every cell of the CSV at ``path`` as text; the index is the data row's position.

    Blank lines are dropped but still counted, so positions map to line numbers (line =
    position + 2, the header being line 1).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig strips a byte-order mark
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                        "save it as UTF-8 CSV") from None
    if not text.strip():
        raise DataError(f"{path} is empty; expected a CSV with a header and one row per date")
    header = text.lstrip().splitlines()[0]
    delimiter = max(_DELIMITERS, key=header.count)
    try:
        raw = pd.read_csv(io.StringIO(text.lstrip()), sep=delimiter, dtype=str,
                          keep_default_na=False, skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path} is not a well-formed CSV: {exc}") from None
    cells = raw.fillna("").to_numpy(dtype=str)
    raw = raw.loc[~(np.char.strip(cells) == "").all(axis=1)]  # blank lines
    if raw.empty:
        raise DataError(f"{path} has a header but no data rows; expected one row per date")
    return raw


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
