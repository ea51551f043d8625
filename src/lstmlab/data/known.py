"""Future-known inputs: calendar facts about the days being forecast, known in advance.

On row ``t`` (a window's last day) the model may see facts about the ``h`` trading days it is
asked to forecast, ``t+1 .. t+h``, because an exchange calendar fixes them long before: the day
of the week, the day of the month, the month, and how many trading days remain until the next
exchange holiday. They are computed from the calendar's sessions, never from the price rows, so
the same function dates the steps of a forecast beyond the data.

Each fact is scaled to [0, 1]; the columns are step-major: ``step1:day_of_week, step1:...,
step2:day_of_week, ...``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstmlab.errors import DataError

__all__ = ["CALENDAR_FEATURES", "HOLIDAY_HORIZON", "calendar_matrix", "calendar_names"]

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
