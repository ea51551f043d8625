"""Checks on a parsed price table: date order, duplicates, missing values, positive prices.

Nothing is fixed silently. A newest-first (or otherwise unsorted) table is sorted and a note is
added; missing values are an error unless ``fill="ffill"`` or ``fill="drop"`` is asked for, and
then the number of touched rows is noted. Notes are plain strings that :func:`load_prices`
stores in ``frame.attrs["notes"]`` for the CLI to show.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from lstmlab.data.parse import COLUMNS, PRICE_COLUMNS, Where
from lstmlab.errors import ConfigError, DataError

__all__ = ["FILLS", "MAX_PRICE", "validate_table"]

FILLS = (None, "ffill", "drop")


def validate_table(
    table: pd.DataFrame, where: Where, fill: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Return the checked frame (``date`` index, float columns, ascending) and the notes."""
    if fill not in FILLS:
        raise ConfigError(f"fill must be None, 'ffill' or 'drop', got {fill!r}")
    notes: list[str] = []
    table = _sort_by_date(table, where, notes)
    _check_duplicates(table, where)
    table = _handle_missing(table, where, fill, notes)
    _check_positive(table, where)
    frame = table.set_index(pd.DatetimeIndex(table["date"], name="date"))
    frame = frame[[c for c in COLUMNS if c in frame.columns]].astype("float64")
    return frame, notes


def _sort_by_date(table: pd.DataFrame, where: Where, notes: list[str]) -> pd.DataFrame:
    dates = table["date"]
    if dates.is_monotonic_increasing:
        return table
    if dates.is_monotonic_decreasing:
        notes.append(f"{where.name} lists the newest date first; sorted {len(table)} rows "
                     "into ascending date order")
        return table.iloc[::-1].reset_index(drop=True)
    notes.append(f"the rows of {where.name} were not in date order; sorted {len(table)} rows "
                 "into ascending date order")
    return table.sort_values("date", kind="stable").reset_index(drop=True)


def _check_duplicates(table: pd.DataFrame, where: Where) -> None:
    repeated = table["date"].duplicated(keep="first").to_numpy()
    if repeated.any():
        i = int(np.argmax(repeated))  # the earlier copy sits just before it after sorting
        date = table["date"].iloc[i]
        first, second = table["_pos"].iloc[i - 1], table["_pos"].iloc[i]
        raise DataError(
            f"duplicate date {date:%Y-%m-%d} in {where.name}: {where.at(first)} and "
            f"{where.at(second)}; keep one row per date"
        )


def _handle_missing(
    table: pd.DataFrame, where: Where, fill: str | None, notes: list[str]
) -> pd.DataFrame:
    values = [c for c in COLUMNS if c in table.columns]
    holes = table[values].isna().to_numpy()
    rows = cast(np.ndarray, holes.any(axis=1))  # (n,): numpy's stubs allow a scalar too
    if not rows.any():
        return table
    i = int(np.argmax(rows))
    column = values[int(np.argmax(holes[i]))]
    place = where.at(table["_pos"].iloc[i], table["date"].iloc[i])
    if fill is None:
        raise DataError(
            f"missing {column} value at {place} ({int(holes.sum())} empty cells in "
            f"{int(rows.sum())} rows); fix the file, or pass fill='ffill' (carry the last value "
            "forward) or fill='drop' (drop those rows)"
        )
    if fill == "drop":
        if rows.all():
            raise DataError(f"every row of {where.name} has a missing value; nothing is left "
                            "after fill='drop'")
        notes.append(f"dropped {int(rows.sum())} rows of {where.name} with missing values "
                     "(fill='drop')")
        return table.loc[~rows].reset_index(drop=True)
    if rows[0]:
        raise DataError(
            f"cannot forward-fill {column} at {place}: it is the first row, with no earlier "
            "value; use fill='drop' or fix the file"
        )
    notes.append(f"forward-filled missing values in {int(rows.sum())} rows of {where.name} "
                 "(fill='ffill')")
    return table.assign(**{c: table[c].ffill() for c in values})


# sqrt of the largest float64 is 1.3e154; below 1e150 a sum of squared errors stays finite
MAX_PRICE = 1e150


def _check_positive(table: pd.DataFrame, where: Where) -> None:
    for column in table.columns:
        if column not in COLUMNS:
            continue
        is_price = column in PRICE_COLUMNS
        values = table[column]
        limit_ok = (values > 0) & (values < MAX_PRICE) if is_price else values >= 0
        bad = ~limit_ok.to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            rule = ("volume cannot be negative" if not is_price else "prices must be positive"
                    if values.iloc[i] <= 0 else f"prices must be below {MAX_PRICE:g} (squared "
                    f"errors of larger ones overflow floating point)")
            raise DataError(
                f"{column} is {table[column].iloc[i]:g} at "
                f"{where.at(table['_pos'].iloc[i], table['date'].iloc[i])}: {rule}; "
                "fix or remove that row"
            )
