"""Order, duplicates, missing values and non-positive prices: never fixed silently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.data import load_prices
from lstmlab.errors import ConfigError, DataError

ROWS = ["2020-01-02,1.0,100", "2020-01-03,1.1,110", "2020-01-06,1.2,120", "2020-01-07,1.3,130"]


def csv(tmp_path, rows: list[str], name: str = "v.csv"):
    path = tmp_path / name
    path.write_text("Date,Close,Volume\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def error_of(path, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        load_prices(path, **kwargs)
    return str(caught.value)


def test_newest_first_is_sorted_and_reported(tmp_path):
    path = csv(tmp_path, ROWS[::-1])
    frame = load_prices(path)
    assert frame.index.is_monotonic_increasing
    np.testing.assert_allclose(frame["close"], [1.0, 1.1, 1.2, 1.3])
    assert frame.attrs["notes"] == [
        f"{path} lists the newest date first; sorted 4 rows into ascending date order"]


def test_shuffled_rows_are_sorted_and_reported(tmp_path):
    path = csv(tmp_path, [ROWS[1], ROWS[0], ROWS[3], ROWS[2]])
    frame = load_prices(path)
    np.testing.assert_allclose(frame["close"], [1.0, 1.1, 1.2, 1.3])
    assert frame.attrs["notes"] == [
        f"the rows of {path} were not in date order; sorted 4 rows into ascending date order"]


def test_duplicate_dates(tmp_path):
    path = csv(tmp_path, [ROWS[0], ROWS[1], ROWS[2], "2020-01-03,1.15,115"])
    assert error_of(path) == (
        f"duplicate date 2020-01-03 in {path}: line 3 of {path} and line 5 of {path}; "
        "keep one row per date"
    )


@pytest.mark.parametrize("value", ["0", "-1.5"])
def test_zero_or_negative_price(tmp_path, value):
    path = csv(tmp_path, [ROWS[0], f"2020-01-03,{value},110", ROWS[2]])
    assert error_of(path) == (
        f"close is {float(value):g} at line 3 of {path} (2020-01-03): prices must be positive; "
        "fix or remove that row"
    )


def test_negative_volume(tmp_path):
    path = csv(tmp_path, [ROWS[0], "2020-01-03,1.1,-5"])
    assert error_of(path) == (
        f"volume is -5 at line 3 of {path} (2020-01-03): volume cannot be negative; "
        "fix or remove that row"
    )


def test_zero_volume_is_allowed(tmp_path):
    assert load_prices(csv(tmp_path, [ROWS[0], "2020-01-03,1.1,0"]))["volume"].iloc[1] == 0.0


def test_missing_values_are_an_error_by_default(tmp_path):
    path = csv(tmp_path, [ROWS[0], "2020-01-03,,110", "2020-01-06,1.2,", ROWS[3]])
    assert error_of(path) == (
        f"missing close value at line 3 of {path} (2020-01-03) (2 empty cells in 2 rows); fix "
        "the file, or pass fill='ffill' (carry the last value forward) or fill='drop' "
        "(drop those rows)"
    )


def test_missing_values_forward_filled_and_counted(tmp_path):
    path = csv(tmp_path, [ROWS[0], "2020-01-03,,110", "2020-01-06,1.2,NA", ROWS[3]])
    frame = load_prices(path, fill="ffill")
    np.testing.assert_allclose(frame["close"], [1.0, 1.0, 1.2, 1.3])
    np.testing.assert_allclose(frame["volume"], [100, 110, 110, 130])
    assert frame.attrs["notes"] == [
        f"forward-filled missing values in 2 rows of {path} (fill='ffill')"]


def test_missing_values_dropped_and_counted(tmp_path):
    path = csv(tmp_path, [ROWS[0], "2020-01-03,,110", ROWS[2], ROWS[3]])
    frame = load_prices(path, fill="drop")
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-06", "2020-01-07"]
    assert frame.attrs["notes"] == [
        f"dropped 1 rows of {path} with missing values (fill='drop')",
        "1 trading day(s) of the XNYS calendar have no row (first 2020-01-03); the windows treat "
        "consecutive rows as consecutive days (choose the exchange with --calendar, or 'none' "
        "for no calendar)"]
    assert load_prices(path, fill="drop", calendar="none").attrs["notes"] == [
        f"dropped 1 rows of {path} with missing values (fill='drop')"]


def test_forward_fill_cannot_fill_the_first_row(tmp_path):
    path = csv(tmp_path, ["2020-01-02,,100", ROWS[1]])
    assert error_of(path, fill="ffill") == (
        f"cannot forward-fill close at line 2 of {path} (2020-01-02): it is the first row, with "
        "no earlier value; use fill='drop' or fix the file"
    )


def test_drop_that_leaves_nothing(tmp_path):
    path = csv(tmp_path, ["2020-01-02,,100"])
    assert error_of(path, fill="drop") == (
        f"every row of {path} has a missing value; nothing is left after fill='drop'")


def test_forward_fill_follows_dates_not_file_order(tmp_path):
    """A newest-first file is sorted before filling, so values are carried forward in time."""
    path = csv(tmp_path, [ROWS[3], "2020-01-06,,120", ROWS[1], ROWS[0]])
    frame = load_prices(path, fill="ffill")
    np.testing.assert_allclose(frame["close"], [1.0, 1.1, 1.1, 1.3])
    assert len(frame.attrs["notes"]) == 2


def test_unknown_fill_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"^fill must be None, 'ffill' or 'drop', got 'zero'$"):
        load_prices(csv(tmp_path, ROWS), fill="zero")


def test_dataframe_nan_is_missing():
    frame = pd.DataFrame({"Close": [1.0, np.nan]},
                         index=pd.DatetimeIndex(["2020-01-02", "2020-01-03"]))
    with pytest.raises(DataError, match=r"^missing close value at row 1 of the DataFrame "):
        load_prices(frame)
