"""Turn a raw table of text (or a user's DataFrame) into typed columns: dates and floats.

Headers are matched loosely (``Close/Last``, ``Adj Close``, ``adj_close`` and ``CLOSE`` all
work); numbers may carry a leading ``$`` and thousands separators (``$1,184.76``); dates may be
ISO (``2023-12-29``, with or without a time and offset), ``MM/DD/YYYY`` (Nasdaq.com) or
``DD.MM.YYYY``. Anything else is a :class:`DataError` naming the file, the line and the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmlab.errors import DataError

__all__ = ["COLUMNS", "DATE_NAMES", "PRICE_COLUMNS", "Where", "needed_columns", "parse_table"]

PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")
COLUMNS = ("open", "high", "low", "close", "volume", "adj_close")  # output order
DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
# other spellings -> canonical name; used only when the canonical name itself is absent
_ALIASES = {
    "close_last": "close", "last": "close", "price": "close", "adjclose": "adj_close",
    "adjusted_close": "adj_close", "adj_close_price": "adj_close", "vol": "volume",
}
_MISSING = {"", "na", "n/a", "nan", "null", "none", "-"}
_THOUSANDS = r"-?\d{1,3}(,\d{3})+(\.\d*)?"
_TZ_SUFFIX = r"(?<=\d)(Z|[+-]\d{2}:?\d{2})$"
_DATE_FORMATS = ("ISO8601", "%m/%d/%Y", "%d.%m.%Y")


@dataclass(frozen=True)
class Where:
    """Names a place in the input for error messages: a file's line or a DataFrame's row."""

    name: str
    is_file: bool = True

    def at(self, pos: int, date: pd.Timestamp | None = None) -> str:
        """``line 7 of prices.csv (2020-01-03)`` for raw-table position ``pos`` (0-based)."""
        place = f"line {pos + 2} of {self.name}" if self.is_file else f"row {pos} of {self.name}"
        return place if date is None or pd.isna(date) else f"{place} ({date:%Y-%m-%d})"


def normalize_header(name: object) -> str:
    """``'Close/Last'`` -> ``'close_last'``; ``'Adj Close'`` -> ``'adj_close'``."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def parse_table(raw: pd.DataFrame, where: Where) -> pd.DataFrame:
    """Typed frame with ``date`` (datetime), the price columns found (float) and ``_pos``.

    ``raw`` keeps the input's row positions in its index; they go to ``_pos`` so that later
    checks can name the line even after sorting.
    """
    needed_columns(raw.columns, where)  # a date and a price column, each once
    names = _canonical_names(raw.columns, where)
    date_col = _date_column(raw.columns, names, where)
    found = [c for c in COLUMNS if c in names.values()]
    by_name = {canonical: original for original, canonical in names.items()}
    out = pd.DataFrame({"_pos": raw.index.to_numpy(dtype=np.int64)})
    out["date"] = _parse_dates(raw[date_col].reset_index(drop=True), raw.index, where)
    for column in found:
        values = raw[by_name[column]].reset_index(drop=True)
        out[column] = _parse_numbers(values, column, raw.index, out["date"], where)
    return out


def needed_columns(columns: pd.Index, where: Where) -> tuple[int, list[int]]:
    """Positions of the date column and of every column :func:`parse_table` reads (dates,
    prices, volume), found from the header alone; the same :class:`DataError` as it for a
    header without them."""
    names = _canonical_names(columns, where)
    date_col = _date_column(columns, names, where)
    if not any(c in PRICE_COLUMNS for c in names.values()):
        shown = ", ".join(str(c) for c in columns)
        raise DataError(
            f"no usable price column in {where.name}: found columns [{shown}]; name at least one "
            "of Open, High, Low, Close (or Close/Last), Adj Close"
        )
    wanted = {date_col, *names}
    return (list(columns).index(date_col),
            [i for i, column in enumerate(columns) if column in wanted])


def _canonical_names(columns: pd.Index, where: Where) -> dict[object, str]:
    """Map each original header to its canonical name (exact names first, then aliases)."""
    normal = {c: normalize_header(c) for c in columns}
    names: dict[object, str] = {}
    for original, norm in normal.items():
        if norm in COLUMNS:
            if norm in names.values():
                first = next(o for o, n in names.items() if n == norm)
                raise DataError(
                    f"column {norm} appears twice in {where.name} (headers {first!r} and "
                    f"{original!r}); keep one of them"
                )
            names[original] = norm
    for original, norm in normal.items():
        alias = _ALIASES.get(norm)
        if alias and alias not in names.values():
            names[original] = alias
    return names


def _date_column(columns: pd.Index, names: dict[object, str], where: Where) -> object:
    for column in columns:
        if normalize_header(column) in DATE_NAMES:
            return column
    first = normalize_header(columns[0]) if len(columns) else "missing"
    if first == "" or first.startswith("unnamed"):  # a DataFrame index written without a name
        return columns[0]
    shown = ", ".join(str(c) for c in columns)
    raise DataError(
        f"no date column in {where.name}: found columns [{shown}]; name the column of dates "
        "'Date' (or put the dates in the first column)"
    )


def _parse_dates(values: pd.Series, pos: pd.Index, where: Where) -> pd.Series:
    is_datetime = pd.api.types.is_datetime64_any_dtype(values)
    text = values.astype("string").str.strip()
    blank = (values.isna() if is_datetime else text.isna() | (text == "")).to_numpy()
    if blank.any():
        i = int(np.argmax(blank))
        raise DataError(f"missing date at {where.at(pos[i])}; every row needs a date")
    if is_datetime:
        dates = values
    else:
        dates = _best_date_parse(text.str.replace(_TZ_SUFFIX, "", regex=True), pos, where)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)  # keep wall-clock dates of the exchange
    return dates.astype("datetime64[ns]")


def _best_date_parse(text: pd.Series, pos: pd.Index, where: Where) -> pd.Series:
    """Parse with the first format that reads every value; else name the first bad value."""
    best, best_bad = None, None
    for fmt in _DATE_FORMATS:
        dates = pd.to_datetime(text, format=fmt, errors="coerce")
        bad = dates.isna().to_numpy()
        if not bad.any():
            return dates
        if best_bad is None or bad.sum() < best_bad.sum():
            best, best_bad = dates, bad
    assert best is not None and best_bad is not None
    i = int(np.argmax(best_bad))
    raise DataError(
        f"unparseable date {text.iloc[i]!r} at {where.at(pos[i])}; write dates as "
        "YYYY-MM-DD (MM/DD/YYYY and DD.MM.YYYY are also read)"
    )


def _parse_numbers(
    values: pd.Series, column: str, pos: pd.Index, dates: pd.Series, where: Where
) -> pd.Series:
    """Floats from numbers or text like ``$1,184.76``; missing cells become NaN."""
    text = values.astype("string").str.strip()
    if pd.api.types.is_numeric_dtype(values):
        array = values.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = values.isna().to_numpy()
    else:
        array, missing = _numbers_from_text(text)
    bad = ~missing & ~np.isfinite(array)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"non-numeric {column} value {text.iloc[i]!r} at {where.at(pos[i], dates.iloc[i])}; "
            "write plain numbers like 184.76 (a leading $ and thousands separators are fine)"
        )
    return pd.Series(array, dtype="float64")


def _numbers_from_text(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float array (NaN where unreadable or missing) and the mask of missing cells."""
    missing = (text.isna() | text.str.lower().isin(_MISSING)).to_numpy()
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")  # plain numbers, fast
    array = numbers.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)  # written below
    unread = np.isnan(array) & ~missing
    if unread.any():  # only those cells pay for the cleaning below
        cleaned = text[unread].str.replace(r"^(-?)\$", r"\1", regex=True)
        # only 1,234,567.89-shaped commas are thousands separators; 184,76 stays unreadable
        grouped = cleaned.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
        cleaned = cleaned.where(~grouped, cleaned.str.replace(",", "", regex=False))
        retry = pd.to_numeric(cleaned, errors="coerce")
        array[unread] = retry.to_numpy(dtype=np.float64, na_value=np.nan)
    return array, missing
