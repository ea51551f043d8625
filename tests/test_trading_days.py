"""Trading days from an exchange calendar: no forecast on Christmas, gaps noted on load."""

from __future__ import annotations

import pandas as pd
import pytest

from lstmlab.data import load_prices
from lstmlab.errors import ConfigError
from lstmlab.trading_days import check_calendar, missing_sessions, sessions_after


def test_sessions_skip_weekends_and_exchange_holidays():
    days = sessions_after(pd.Timestamp("2023-12-22"), 3)  # a Friday before Christmas
    assert list(days.strftime("%Y-%m-%d")) == ["2023-12-26", "2023-12-27", "2023-12-28"]
    assert days.name == "date"
    good_friday = sessions_after(pd.Timestamp("2024-03-28"), 1)[0]
    assert good_friday == pd.Timestamp("2024-04-01")
    plain = sessions_after(pd.Timestamp("2023-12-22"), 1, calendar="none")
    assert plain[0] == pd.Timestamp("2023-12-25")  # business days know no holidays
    london = sessions_after(pd.Timestamp("2023-12-22"), 1, calendar="xlon")
    assert london[0] == pd.Timestamp("2023-12-27")  # Boxing Day too


def test_a_long_forecast_reaches_past_the_calendar_year():
    days = sessions_after(pd.Timestamp("2023-12-29"), 600)
    assert len(days) == 600 and days.is_monotonic_increasing and days[0].year == 2024


def test_unknown_calendar_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown exchange calendar 'NOPE'; use an "
                                          "exchange_calendars code such as"):
        check_calendar("NOPE")


def test_missing_sessions_and_the_loading_note(tmp_path):
    dates = pd.bdate_range("2024-03-25", "2024-04-05")  # includes Good Friday, 2024-03-29
    index = dates.delete([2])  # 2024-03-27 missing
    assert list(missing_sessions(index).strftime("%Y-%m-%d")) == ["2024-03-27"]
    frame = pd.DataFrame({"date": index, "close": range(1, len(index) + 1)})
    notes = load_prices(frame).attrs["notes"]
    assert notes == ["1 trading day(s) of the XNYS calendar have no row (first 2024-03-27); the "
                     "windows treat consecutive rows as consecutive days (choose the exchange "
                     "with --calendar, or 'none' for no calendar)"]
    assert load_prices(frame, calendar="none").attrs["notes"] == []
