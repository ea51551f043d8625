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


# --- known tables: a user's columns known in advance, read on the same forecast days ---------

def _table(days: pd.DatetimeIndex) -> pd.DataFrame:
    """Two known columns whose values name their day: ``a`` = day of the month, ``b`` = -a."""
    return pd.DataFrame({"a": days.day.astype(float), "b": -days.day.astype(float)}, index=days)


def test_known_columns_are_step_major_and_read_the_next_sessions():
    from lstmlab.data.covariates import Covariate
    from lstmlab.data.known import known_matrix, known_names

    known = [Covariate("earn.csv", _table(SESSIONS), ("a", "b"))]
    assert known_names([("earn.csv", ("a", "b"))], 2) == [
        "step1:earn.csv:a", "step1:earn.csv:b", "step2:earn.csv:a", "step2:earn.csv:b"]
    index = pd.DatetimeIndex(["2023-12-21", "2023-12-22"])
    matrix = known_matrix(index, known, SESSIONS, horizon=2)
    # Thursday 21 reads Friday 22 and Tuesday 26; Friday 22 reads 26 and 27 (25: a holiday)
    assert matrix.tolist() == [[22, -22, 26, -26], [26, -26, 27, -27]]


def test_a_known_table_must_cover_every_day_needed_and_names_the_first_missing():
    from lstmlab.data.covariates import Covariate
    from lstmlab.data.known import known_matrix

    holes = SESSIONS.difference(pd.DatetimeIndex(["2023-12-27", "2023-12-28"]))
    known = [Covariate("earn.csv", _table(holes), ("a",))]
    index = pd.DatetimeIndex(["2023-12-21", "2023-12-22", "2023-12-26"])
    with pytest.raises(DataError, match=r"earn.csv lacks 2 trading day.*2023-12-27, 2023-12-28"):
        known_matrix(index, known, SESSIONS, horizon=2)
    with pytest.raises(DataError, match=r"no column\(s\) \['c'\]"):
        known_matrix(index, [Covariate("earn.csv", _table(SESSIONS), ("c",))], SESSIONS, 1)


@pytest.mark.parametrize("bad", [np.nan, "soon", np.inf])
def test_known_values_must_be_finite_numbers_naming_column_and_date(bad):
    from lstmlab.data.covariates import Covariate
    from lstmlab.data.known import known_matrix

    table = _table(SESSIONS).astype(object)
    table.loc[pd.Timestamp("2023-12-26"), "b"] = bad
    known = [Covariate("earn.csv", table, ("a", "b"))]
    with pytest.raises(DataError, match=r"earn.csv, column 'b'.* on 2023-12-26 is not a finite"):
        known_matrix(pd.DatetimeIndex(["2023-12-22"]), known, SESSIONS, horizon=1)
    # a bad value on a day no window reads is left alone
    assert known_matrix(pd.DatetimeIndex(["2023-12-27"]), known, SESSIONS, 1).shape == (1, 2)


def test_read_known_parses_a_csv_and_refuses_repeated_dates(tmp_path):
    from lstmlab.data.known import load_known, read_known

    path = tmp_path / "earn.csv"
    path.write_text("Date,earnings\n2024-01-03,0\n2024-01-02,1\n")
    table = read_known(path)
    assert list(table.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert table["earnings"].tolist() == [1, 0]
    given = load_known(["earn"], {"earn": table})["earn"]
    pd.testing.assert_frame_equal(given, table)
    path.write_text("date,earnings\n2024-01-02,0\n2024-01-02,1\n")
    with pytest.raises(DataError, match=r"2024-01-02 more than once"):
        read_known(path)
    with pytest.raises(DataError, match=r"no file"):
        read_known(tmp_path / "absent.csv")
