"""Chronological train / validation / test split of the target rows.

The rows that can be a target (all rows after the warm-up and the first window) are cut into
three consecutive blocks, by fractions of their number or at two dates ``(val_start,
test_start)``. A test fraction of 0 leaves no test part (every target row goes to training or
validation), as when a model is refitted on all the past before forecasting beyond it.

A sample belongs to a split when *all* its ``h`` target rows lie in that split's block. Its
lookback window may reach back into the previous block: that context precedes the split's first
target and was known at that time, so it is not leakage. Samples whose targets
straddle a boundary (``h - 1`` per boundary when ``h > 1``) belong to no split, so no price is a
target in two splits.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lstmlab.errors import ConfigError, DataError
from lstmlab.vocabulary import SPLITS

__all__ = ["SPLITS", "plan_split", "split_origins"]

_TOLERANCE = 1e-6


def split_origins(first: int, b1: int, b2: int, n: int, horizon: int) -> dict[str, range]:
    """Origins (rows of each window's last step) per split, for target blocks
    ``[first, b1)``, ``[b1, b2)``, ``[b2, n)``: origin ``t`` needs ``start <= t+1`` and
    ``t+h <= end-1``."""
    blocks = {"train": (first, b1), "val": (b1, b2), "test": (b2, n)}
    return {name: range(start - 1, max(start - 1, end - horizon)) for name, (start, end) in
            blocks.items()}


def plan_split(
    index: pd.DatetimeIndex, split: Sequence[float] | Sequence[object], *,
    first_target: int, horizon: int, context: str,
) -> dict[str, range]:
    """Origins per split; ``first_target`` is the first row that can be a target.

    ``context`` describes the setting (source, lookback, horizon, warm-up) for error messages.
    Raises ConfigError for a malformed ``split`` and DataError when a split gets no sample.
    """
    n = len(index)
    if len(split) == 3:
        fractions = _check_fractions(split)
        b1, b2 = _fraction_bounds(n, first_target, fractions)
    elif len(split) == 2:
        b1, b2 = _date_bounds(index, split)
    else:
        raise ConfigError(f"split must be three fractions (train, val, test) or two dates "
                          f"(val_start, test_start), got {split!r}")
    origins = split_origins(first_target, b1, b2, n, horizon)
    wanted = SPLITS if len(split) == 2 or fractions[2] > 0 else SPLITS[:2]
    empty = [name for name in wanted if len(origins[name]) == 0]
    if empty:
        need = _rows_needed(n, first_target, fractions, horizon) if len(split) == 3 else None
        hint = f"need at least {need} rows" if need else "move the split dates"
        raise DataError(
            f"series too short: {n} rows with {context} and split {tuple(split)} leave "
            f"{', '.join(empty)} without samples (a split needs {horizon} target row(s)); "
            f"{hint}, or use a shorter lookback/horizon or more data"
        )
    return origins


def _check_fractions(split: Sequence[object]) -> tuple[float, float, float]:
    try:
        fractions = tuple(float(f) for f in split)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"split fractions must be numbers, got {split!r}") from None
    if min(fractions[:2]) <= 0 or fractions[2] < 0 or abs(sum(fractions) - 1.0) > _TOLERANCE:
        raise ConfigError(f"split fractions must be positive (the test one may be 0) and sum "
                          f"to 1, got {split!r} (e.g. (0.7, 0.15, 0.15))")
    return fractions  # type: ignore[return-value]


def _fraction_bounds(n: int, first: int, fractions: tuple[float, float, float]) -> tuple[int, int]:
    count = max(n - first, 0)  # rows that can be a target
    b1 = first + round(count * fractions[0])
    b2 = b1 + round(count * fractions[1]) if fractions[2] > 0 else n  # no test part: all to val
    return b1, min(b2, n)


def _date_bounds(index: pd.DatetimeIndex, split: Sequence[object]) -> tuple[int, int]:
    try:
        if not all(isinstance(d, (str, datetime.date, np.datetime64)) for d in split):
            raise TypeError("not a date")  # pd.Timestamp would read a number as nanoseconds
        val_start, test_start = (pd.Timestamp(d) for d in split)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"split dates must be dates like '2021-01-04', got {split!r}") from None
    if not val_start < test_start:
        raise ConfigError(f"split dates must be (val_start, test_start) with val_start "
                          f"earlier, got {split!r}")
    if not index[0] < val_start <= index[-1] or test_start > index[-1]:
        raise ConfigError(f"split dates {split!r} must fall inside the data "
                          f"({index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d})")
    return int(index.searchsorted(val_start)), int(index.searchsorted(test_start))


def _rows_needed(n: int, first: int, fractions: tuple[float, float, float], horizon: int) -> int:
    """Smallest row count, from ``n`` up, that gives every split a sample."""
    rows = max(n, first)
    while True:
        b1, b2 = _fraction_bounds(rows, first, fractions)
        origins = split_origins(first, b1, b2, rows, horizon)
        if all(len(origins[name]) for name in SPLITS if name != "test" or fractions[2] > 0):
            return rows
        rows += 1
