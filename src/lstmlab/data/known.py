"""Future-known inputs: calendar facts about the days being forecast, known in advance.

On row ``t`` (a window's last day) the model may see facts about the ``h`` trading days it is
asked to forecast, ``t+1 .. t+h``, because an exchange calendar fixes them long before: the day
of the week, the day of the month, the month, and how many trading days remain until the next
exchange holiday. They are computed from the calendar's sessions, never from the price rows, so
the same function dates the steps of a forecast beyond the data.

Each fact is scaled to [0, 1]; the columns are step-major: ``step1:day_of_week, step1:...,
step2:day_of_week, ...``.

A user's *known table* works the same way: a date-indexed table (a CSV path or a frame) whose
listed numeric columns are known in advance, such as a scheduled earnings-date flag. Row ``t``
reads their values on the same ``h`` sessions ``t+1 .. t+h`` (:func:`known_matrix`, columns
``step{k}:{source}:{column}``), so the table must cover every one of them, the sessions after the
last price date included when forecasting beyond the data. Unlike calendar facts they are not
bounded, so they are scaled with the other inputs (scalers fitted on the training rows only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmlab.data.covariates import SEPARATOR, Covariate
from lstmlab.data.parse import DATE_NAMES, normalize_header
from lstmlab.errors import DataError

__all__ = ["CALENDAR_FEATURES", "HOLIDAY_HORIZON", "calendar_matrix", "calendar_names",
           "known_matrix", "known_names", "load_known", "read_known"]

_SHOWN = 5  # missing or bad dates named in an error

CALENDAR_FEATURES = ("day_of_week", "day_of_month", "month", "days_to_holiday")
HOLIDAY_HORIZON = 20  # trading days: farther holidays all read as 1.0


def calendar_names(horizon: int) -> list[str]:
    """Input names of the calendar columns for ``horizon`` steps, step-major."""
    return [f"step{k}:{name}" for k in range(1, horizon + 1) for name in CALENDAR_FEATURES]


def calendar_matrix(
    index: pd.DatetimeIndex, sessions: pd.DatetimeIndex, horizon: int
) -> np.ndarray:
    """``(n, horizon * 4)`` calendar facts of the ``horizon`` sessions after each row's date.

    ``sessions`` are the exchange's trading days; they must run at least ``horizon`` sessions
    past the last date of ``index``.
    """
    sessions = pd.DatetimeIndex(sessions).normalize()
    after = sessions.searchsorted(index.normalize(), side="right")  # (n,) first later session
    if len(index) and after[-1] + horizon > len(sessions):
        raise DataError(
            f"the exchange calendar ends on {sessions[-1]:%Y-%m-%d}, before the {horizon} "
            f"trading day(s) after {index[-1]:%Y-%m-%d}; use a calendar that covers them"
        )
    facts = _session_facts(sessions)  # (S, 4)
    steps = after[:, None] + np.arange(horizon)[None, :]  # (n, h) session positions
    matrix: np.ndarray = facts[steps].reshape(len(index), horizon * len(CALENDAR_FEATURES))
    return matrix


def known_names(known: Sequence[tuple[str, Sequence[str]]], horizon: int) -> list[str]:
    """Input names of the known tables' columns for ``horizon`` steps, step-major:
    ``step1:earnings.csv:flag, ..., step2:earnings.csv:flag, ...``."""
    columns = [f"{name}{SEPARATOR}{column}" for name, wanted in known for column in wanted]
    return [f"step{k}:{column}" for k in range(1, horizon + 1) for column in columns]


def known_matrix(
    index: pd.DatetimeIndex, tables: Sequence[Covariate], sessions: pd.DatetimeIndex,
    horizon: int,
) -> np.ndarray:
    """``(n, horizon * C)`` values of the known ``tables``' columns (``Covariate.features``) on
    the ``horizon`` sessions after each date of ``index``, step-major (:func:`known_names`).

    ``sessions`` are the exchange's trading days through ``horizon`` sessions past the last
    date of ``index``. A session a table lacks, or a value that is not a finite number, is a
    :class:`DataError` naming the table, the column and the first such dates.
    """
    sessions = pd.DatetimeIndex(sessions).normalize()
    after = sessions.searchsorted(index.normalize(), side="right")  # (n,) first later session
    steps = after[:, None] + np.arange(horizon)[None, :]  # (n, h) session positions
    needed = np.unique(steps)  # (U,)
    days = sessions[needed]
    values = np.column_stack([_table_values(t, days, horizon) for t in tables])  # (U, C)
    rows = np.searchsorted(needed, steps)  # (n, h) rows of `values`
    matrix: np.ndarray = values[rows].reshape(len(index), horizon * values.shape[1])
    return matrix


def _table_values(table: Covariate, days: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """``(len(days), C)`` float values of ``table``'s columns on ``days``, every one checked."""
    frame = table.frame
    absent = [c for c in table.features if c not in frame.columns]
    if absent:
        raise DataError(f"known table {table.name} has no column(s) {absent} (it has "
                        f"{list(frame.columns)}); name its columns as SOURCE:column,...")
    lacking = days.difference(pd.DatetimeIndex(frame.index))
    if len(lacking):
        raise DataError(
            f"known table {table.name} lacks {len(lacking)} trading day(s) the windows and "
            f"forecasts need, first {_dates(lacking)}: it must cover the {horizon} trading "
            f"day(s) after every price date, through {days[-1]:%Y-%m-%d}; add rows for them")
    rows = frame.loc[days, list(table.features)]
    out = np.empty(rows.shape)
    for j, column in enumerate(table.features):
        raw = rows[column]
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numbers)
        if bad.any():
            first = int(np.argmax(bad))
            raise DataError(
                f"known table {table.name}, column {column!r}: {raw.iloc[first]!r} on "
                f"{days[first]:%Y-%m-%d} is not a finite number ({int(bad.sum())} such "
                f"value(s) on the days needed, first {_dates(days[bad])}); fill them with numbers")
        out[:, j] = numbers
    return out


def read_known(source: Any, name: str | None = None) -> pd.DataFrame:
    """A known table as a frame indexed by normalised, sorted, unique dates.

    ``source`` is a CSV path (its date column is the first one named like ``date``, or else its
    first column) or a frame (indexed by dates, or with a date column as in a CSV).
    """
    name = name or str(source)
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
    else:
        path = Path(os.fspath(source)).expanduser()
        if not path.is_file():
            raise DataError(f"known table {name}: no file {path}; pass a CSV path with a date "
                            "column, or the table itself (covariates={source: frame})")
        try:
            raw = pd.read_csv(path, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
            raise DataError(f"known table {name}: {path} is not a readable CSV ({exc})") from None
    if isinstance(raw.index, pd.RangeIndex):  # no index of dates given: a date column
        raw = raw.set_index(_date_column(raw, name))
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(raw.index, format="ISO8601"))
    except (TypeError, ValueError) as exc:
        raise DataError(f"known table {name}: its dates do not parse as YYYY-MM-DD ({exc}); "
                        "write one ISO date per row") from None
    table = raw.set_axis(pd.DatetimeIndex(dates.tz_localize(None) if dates.tz else dates,
                                          name="date").normalize()).sort_index()
    twice = pd.DatetimeIndex(table.index[table.index.duplicated()])
    if len(twice):
        raise DataError(f"known table {name} has the date(s) {_dates(twice.unique())} more than "
                        "once; keep one row per date")
    return table


def load_known(sources: Sequence[str], frames: Mapping[str, Any] | None = None
               ) -> dict[str, pd.DataFrame]:
    """The table of each known source (:func:`read_known`): from ``frames`` by source name
    (a frame or a path), else read from the path the source names."""
    given = dict(frames or {})
    return {source: read_known(given.get(source, source), source) for source in sources}


def _date_column(raw: pd.DataFrame, name: str) -> Any:
    if raw.columns.empty:
        raise DataError(f"known table {name} has no columns; it needs a date column and "
                        "the known values")
    for column in raw.columns:
        if normalize_header(column) in DATE_NAMES:
            return column
    return raw.columns[0]


def _dates(days: pd.DatetimeIndex) -> str:
    shown = ", ".join(f"{d:%Y-%m-%d}" for d in days[:_SHOWN])
    return shown + (", ..." if len(days) > _SHOWN else "")


def _session_facts(sessions: pd.DatetimeIndex) -> np.ndarray:
    """``(S, 4)`` scaled facts of every session."""
    weekdays = pd.bdate_range(sessions[0], sessions[-1])
    holidays = weekdays.difference(sessions)  # weekdays the exchange is closed
    next_holiday = holidays.searchsorted(sessions, side="right")  # (S,)
    days_to = np.full(len(sessions), HOLIDAY_HORIZON, dtype=np.float64)
    known = next_holiday < len(holidays)
    ahead = sessions.searchsorted(holidays[next_holiday[known]]) - np.flatnonzero(known) - 1
    days_to[known] = np.minimum(ahead, HOLIDAY_HORIZON)
    return np.column_stack([
        sessions.day_of_week / 4.0,
        (sessions.day - 1) / 30.0,
        (sessions.month - 1) / 11.0,
        days_to / HOLIDAY_HORIZON,
    ])
