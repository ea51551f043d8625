"""Chronological splits: consecutive target blocks, fractions or dates, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from lstmlab.data.split import plan_split, split_origins
from lstmlab.errors import ConfigError, DataError

INDEX = pd.bdate_range("2020-01-01", periods=110, name="date")


def test_origins_for_horizon_one():
    origins = split_origins(first=10, b1=20, b2=25, n=30, horizon=1)
    assert origins == {"train": range(9, 19), "val": range(19, 24), "test": range(24, 29)}


def test_targets_straddling_a_boundary_belong_to_no_split():
    origins = split_origins(first=10, b1=20, b2=25, n=30, horizon=3)
    assert origins == {"train": range(9, 17), "val": range(19, 22), "test": range(24, 27)}
    # the last train sample's targets are rows 17..19, the first val sample's rows 20..22


def test_fractions_cut_the_target_rows():
    origins = plan_split(INDEX, (0.7, 0.15, 0.15), first_target=10, horizon=1, context="c")
    targets = {name: (rows.start + 1, rows.stop + 1) for name, rows in origins.items()}
    assert targets == {"train": (10, 80), "val": (80, 95), "test": (95, 110)}


def test_dates_cut_at_the_first_row_on_or_after_each_date():
    origins = plan_split(INDEX, ("2020-03-02", pd.Timestamp("2020-04-01")), first_target=10,
                         horizon=1, context="c")
    assert INDEX[origins["val"].start + 1] == pd.Timestamp("2020-03-02")
    assert INDEX[origins["test"].start + 1] == pd.Timestamp("2020-04-01")
    assert origins["train"].stop == origins["val"].start


def test_a_zero_test_fraction_gives_every_target_row_to_train_and_validation():
    origins = plan_split(INDEX, (0.8, 0.2, 0.0), first_target=10, horizon=1, context="c")
    targets = {name: (rows.start + 1, rows.stop + 1) for name, rows in origins.items()}
    assert targets == {"train": (10, 90), "val": (90, 110), "test": (110, 110)}


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ((0.7, 0.3), "split dates must be dates like '2021-01-04', got (0.7, 0.3)"),
        ((0.8, 0.15, 0.15), "split fractions must be positive (the test one may be 0) and sum "
                            "to 1, got (0.8, 0.15, 0.15) (e.g. (0.7, 0.15, 0.15))"),
        ((1.0, 0.0, 0.0), "split fractions must be positive (the test one may be 0) and sum "
                          "to 1, got (1.0, 0.0, 0.0) (e.g. (0.7, 0.15, 0.15))"),
        (("a", "b", "c"), "split fractions must be numbers, got ('a', 'b', 'c')"),
        ((0.5, 0.2, 0.2, 0.1), "split must be three fractions (train, val, test) or two dates "
                               "(val_start, test_start), got (0.5, 0.2, 0.2, 0.1)"),
        (("2020-04-01", "2020-03-02"), "split dates must be (val_start, test_start) with "
                                       "val_start earlier, got ('2020-04-01', '2020-03-02')"),
        (("2020-03-02", "2031-01-01"), "split dates ('2020-03-02', '2031-01-01') must fall "
                                       "inside the data (2020-01-01 to 2020-06-02)"),
    ],
)
def test_malformed_splits(split, message):
    with pytest.raises(ConfigError) as caught:
        plan_split(INDEX, split, first_target=10, horizon=1, context="c")
    assert str(caught.value) == message


def test_too_short_names_the_missing_split_and_the_rows_needed():
    with pytest.raises(DataError) as caught:
        plan_split(INDEX[:20], (0.7, 0.15, 0.15), first_target=15, horizon=2, context="CTX")
    assert str(caught.value) == (
        "series too short: 20 rows with CTX and split (0.7, 0.15, 0.15) leave val, test without "
        "samples (a split needs 2 target row(s)); need at least 27 rows, or use a shorter "
        "lookback/horizon or more data"
    )


def test_rows_needed_is_exact():
    with pytest.raises(DataError, match="need at least 27 rows"):
        plan_split(INDEX[:26], (0.7, 0.15, 0.15), first_target=15, horizon=2, context="c")
    origins = plan_split(INDEX[:27], (0.7, 0.15, 0.15), first_target=15, horizon=2, context="c")
    assert all(len(rows) == 1 for rows in list(origins.values())[1:])


def test_dates_leaving_a_split_empty():
    with pytest.raises(DataError, match=r"leave train without samples .*; move the split dates"):
        plan_split(INDEX, ("2020-01-03", "2020-04-01"), first_target=10, horizon=1, context="c")
