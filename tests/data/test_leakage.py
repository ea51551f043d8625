"""No look-ahead: values after a split's last target row cannot change that split or earlier ones.

For each setting, every value on the rows after the end of the training part (then of the
validation part) is multiplied by a random factor; the training (and validation) windows,
targets, dates, prices, features and the fitted scalers must stay bit-for-bit identical. Runs
on the real TSLA series and on a synthetic one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstmlab.data import Prepared, Windows, prepare
from lstmlab.data.features import feature_matrix

SETTINGS = [
    {},
    {"target": "change", "horizon": 3, "scaler": "minmax", "lookback": 20,
     "features": ("close", "range", "volume_z", "log_return")},
    {"target": "price", "features": ("open", "volume"), "lookback": 10,
     "split": ("2021-01-04", "2022-07-01")},
    {"target": "return", "horizon": 5, "lookback": 30, "features": ("log_return", "volume_z")},
]


def perturb_from(prices: pd.DataFrame, row: int, seed: int = 0) -> pd.DataFrame:
    """A copy whose values on rows ``>= row`` are each multiplied by a factor in [0.5, 2]."""
    changed = prices.copy()
    factors = np.random.default_rng(seed).uniform(0.5, 2.0, size=(len(prices) - row,
                                                                   prices.shape[1]))
    changed.iloc[row:] = changed.iloc[row:].to_numpy() * factors
    return changed


def end_of(prepared: Prepared, split: str) -> int:
    """First row after the split's last target row."""
    return int(getattr(prepared, split).origin[-1]) + prepared.horizon + 1


def assert_same_windows(a: Windows, b: Windows) -> None:
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert a.dates.equals(b.dates)
    for field in ("last_price", "origin", "actual"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.get("target", "defaults"))
def test_after_train_changes_nothing_in_train(series, setting):
    before = prepare(series, **setting)
    cut = end_of(before, "train")
    changed = perturb_from(series, cut)
    after = prepare(changed, **setting)
    assert_same_windows(before.train, after.train)
    assert before.scaler_x == after.scaler_x and before.scaler_y == after.scaler_y
    assert before.split_dates["train"] == after.split_dates["train"]
    features_before, _ = feature_matrix(series, before.features, before.target_column)
    features_after, _ = feature_matrix(changed, before.features, before.target_column)
    np.testing.assert_array_equal(features_before[:cut], features_after[:cut])
    assert not np.array_equal(before.val.actual, after.val.actual)  # the change did land


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.get("target", "defaults"))
def test_after_val_changes_nothing_in_train_or_val(series, setting):
    before = prepare(series, **setting)
    after = prepare(perturb_from(series, end_of(before, "val"), seed=1), **setting)
    assert_same_windows(before.train, after.train)
    assert_same_windows(before.val, after.val)
    assert before.scaler_x == after.scaler_x and before.scaler_y == after.scaler_y
    assert not np.array_equal(before.test.actual, after.test.actual)


def test_the_last_train_target_row_does_matter(synthetic):
    """The guarantee is tight: the row just before the cut is part of training."""
    before = prepare(synthetic, horizon=2)
    after = prepare(perturb_from(synthetic, end_of(before, "train") - 1), horizon=2)
    assert not torch.equal(before.train.y, after.train.y)
