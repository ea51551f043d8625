"""Calendar facts of the forecast steps, from an exchange calendar's sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.data.known import HOLIDAY_HORIZON, calendar_matrix, calendar_names
from lstmlab.errors import DataError

# NYSE around Christmas 2023: closed on Monday 25 December and Monday 1 January
SESSIONS = pd.bdate_range("2023-12-18", "2024-01-12").difference(
    pd.DatetimeIndex(["2023-12-25", "2024-01-01"]))


def test_each_row_sees_the_facts_of_the_next_sessions():
    index = pd.DatetimeIndex(["2023-12-21", "2023-12-22"])
    matrix = calendar_matrix(index, SESSIONS, horizon=2)
    assert matrix.shape == (2, 8)
    assert calendar_names(2)[:5] == ["step1:day_of_week", "step1:day_of_month", "step1:month",
                                     "step1:days_to_holiday", "step2:day_of_week"]
    # the row of Friday 22 December forecasts Tuesday 26 and Wednesday 27 (25th is a holiday)
    step1, step2 = matrix[1, :4], matrix[1, 4:]
    assert step1[0] == pytest.approx(1 / 4) and step1[1] == pytest.approx(25 / 30)
    assert step1[2] == pytest.approx(1.0)
    # from Tuesday 26 December: 27, 28, 29 before the 1 January holiday
    assert step1[3] == pytest.approx(3 / HOLIDAY_HORIZON)
    assert step2[0] == pytest.approx(2 / 4) and step2[3] == pytest.approx(2 / HOLIDAY_HORIZON)
    # Thursday 21 forecasts Friday 22, the last session before the Christmas holiday
    assert matrix[0, 3] == 0.0


def test_the_calendar_must_cover_the_forecast_steps():
    with pytest.raises(DataError, match=r"calendar ends on 2024-01-12, before the 3 trading"):
        calendar_matrix(pd.DatetimeIndex(["2024-01-10"]), SESSIONS, horizon=3)


def test_facts_never_depend_on_the_price_rows():
    index = pd.DatetimeIndex(["2023-12-19", "2023-12-20", "2023-12-27"])
    full = calendar_matrix(index, SESSIONS, horizon=1)
    alone = calendar_matrix(index[2:], SESSIONS, horizon=1)
    assert np.array_equal(full[2:], alone)
