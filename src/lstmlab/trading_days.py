"""Trading days from a maintained exchange calendar (`exchange_calendars`), XNYS by default.

Forecasts are dated with the sessions of the calendar after the last price, so a forecast never
falls on Christmas or Good Friday; the loader uses the same calendar to say when sessions are
missing from a price file (a gap is a note, not an error: the windows treat consecutive rows as
consecutive trading days, which is what a reader should know). ``"none"`` stands for plain
business days (Monday to Friday) and no gap check, for series that follow no exchange.

``exchange_calendars`` is imported inside the functions: ``import lstmlab`` stays light.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING

import pandas as pd

from lstmlab.errors import ConfigError

if TYPE_CHECKING:
    import exchange_calendars

__all__ = ["DEFAULT_CALENDAR", "check_calendar", "missing_sessions", "sessions_after",
           "sessions_through"]

DEFAULT_CALENDAR = "XNYS"  # New York Stock Exchange
_NONE = "none"


def check_calendar(name: str) -> str:
    """``name`` in upper case if it is a calendar ``exchange_calendars`` knows (or ``"none"``),
    else :class:`ConfigError` listing some that are."""
    if name.strip().lower() == _NONE:
        return _NONE
    import exchange_calendars as xcals

    code = name.strip().upper()
    names = xcals.get_calendar_names(include_aliases=True)
    if code not in names:
        shown = ", ".join(sorted(n for n in names if n.isalpha() and len(n) == 4)[:12])
        raise ConfigError(f"unknown exchange calendar {name!r}; use an exchange_calendars code "
                          f"such as {shown}... (XNYS: New York), or 'none' for plain business "
                          "days")
    return code


@functools.lru_cache(maxsize=16)
def _calendar(code: str, first_year: int, last_year: int) -> exchange_calendars.ExchangeCalendar:
    """The calendar over whole years (cached: loading one takes a fraction of a second)."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # its own use of pandas APIs pandas has deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return xcals.get_calendar(code, start=f"{first_year}-01-01", end=f"{last_year}-12-31")


def sessions_after(last: pd.Timestamp, count: int,
                   calendar: str = DEFAULT_CALENDAR) -> pd.DatetimeIndex:
    """The ``count`` trading days after ``last`` (a date), named ``date``."""
    code = check_calendar(calendar)
    day = pd.Timestamp(last).normalize()
    if code == _NONE:
        dates = pd.bdate_range(day, periods=count + 1)[1:]
    else:  # enough whole years ahead: an exchange trades on about 250 days a year
        cal = _calendar(code, day.year, day.year + 1 + count // 200)
        dates = cal.sessions_in_range(day + pd.Timedelta(days=1), cal.last_session)[:count]
    return pd.DatetimeIndex(dates, name="date")


def missing_sessions(index: pd.DatetimeIndex,
                     calendar: str = DEFAULT_CALENDAR) -> pd.DatetimeIndex:
    """Sessions of ``calendar`` between the first and last date of ``index`` that it lacks."""
    code = check_calendar(calendar)
    if code == _NONE or len(index) < 2:
        return pd.DatetimeIndex([], name="date")
    from exchange_calendars.errors import CalendarError

    days = index.normalize()
    try:
        cal = _calendar(code, days[0].year, days[-1].year)
    except (CalendarError, ValueError):  # dates the calendar does not cover: nothing to check
        return pd.DatetimeIndex([], name="date")
    sessions = cal.sessions_in_range(max(days[0], cal.first_session),
                                     min(days[-1], cal.last_session))
    return pd.DatetimeIndex(sessions.difference(days), name="date")


def sessions_through(first: pd.Timestamp, last: pd.Timestamp, ahead: int,
                     calendar: str = DEFAULT_CALENDAR) -> pd.DatetimeIndex:
    """The trading days from ``first`` to ``last``, then the ``ahead`` trading days after it."""
    code = check_calendar(calendar)
    start, end = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if code == _NONE:
        days = pd.bdate_range(start, end)
    else:
        cal = _calendar(code, start.year, end.year)
        days = cal.sessions_in_range(max(start, cal.first_session), min(end, cal.last_session))
    future = sessions_after(end, ahead, calendar)
    return pd.DatetimeIndex(days, name="date").union(future)
