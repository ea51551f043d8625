"""Covariate alignment rules and the equal-weight market proxy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.data.covariates import Covariate, align_covariate, covariate_matrix, market_proxy
from lstmlab.errors import ConfigError, DataError


def _frame(dates, close) -> pd.DataFrame:
    close = np.asarray(close, dtype=np.float64)
    frame = pd.DataFrame({"open": close, "high": close, "low": close, "close": close},
                         index=pd.DatetimeIndex(dates, name="date"))
    frame.attrs = {"source": "test", "notes": []}
    return frame


DAYS = pd.bdate_range("2020-01-06", periods=10)


def test_missing_days_are_forward_filled_up_to_the_limit():
    covariate = _frame(DAYS.delete([3, 4]), np.arange(1.0, 9.0))
    aligned, notes = align_covariate(DAYS, covariate, "SPY", max_fill=2)
    assert aligned["close"].tolist() == [1, 2, 3, 3, 3, 4, 5, 6, 7, 8]
    assert notes == ["covariate SPY: forward-filled 2 day(s) it lacks (at most 2 in a row)"]


def test_a_longer_hole_names_its_dates():
    covariate = _frame(DAYS.delete([3, 4, 5]), np.arange(1.0, 8.0))
    with pytest.raises(DataError, match=r"SPY has no rows from 2020-01-09 to 2020-01-13 "
                                        r"\(3 trading days"):
        align_covariate(DAYS, covariate, "SPY", max_fill=2)


def test_a_covariate_starting_later_leaves_warm_up_rows_and_says_so():
    covariate = _frame(DAYS[4:], np.arange(1.0, 7.0))
    aligned, notes = align_covariate(DAYS, covariate, "SPY")
    assert aligned["close"].iloc[:4].isna().all()
    assert aligned["close"].iloc[4:].tolist() == [1, 2, 3, 4, 5, 6]
    assert notes == ["covariate SPY starts on 2020-01-10, 4 row(s) after the main series: "
                     "those rows feed no window"]
    matrix, warmup, _ = covariate_matrix(DAYS, [Covariate("SPY", covariate)])
    assert warmup == 5  # 4 rows before it starts + 1 for its first log return
    assert np.isfinite(matrix[warmup:]).all()


def test_extra_covariate_days_are_dropped_and_features_are_causal():
    extra = DAYS.union(pd.DatetimeIndex(["2020-01-11"]))  # a Saturday the main series lacks
    covariate = _frame(extra, np.exp(np.arange(len(extra)) * 0.01))
    matrix, warmup, notes = covariate_matrix(DAYS, [Covariate("X", covariate)])
    assert matrix.shape == (10, 1) and warmup == 1 and notes == []
    # the row after the dropped Saturday carries two days of log return
    assert matrix[5, 0] == pytest.approx(0.02)
    assert matrix[4, 0] == pytest.approx(0.01)


def test_negative_max_fill_is_refused():
    with pytest.raises(ConfigError, match="max_fill must be >= 0"):
        align_covariate(DAYS, _frame(DAYS, np.ones(10)), "X", max_fill=-1)


def test_market_proxy_is_the_mean_simple_return_on_common_days():
    a = _frame(DAYS, [100, 110, 121, 121, 121, 121, 121, 121, 121, 121])
    b = _frame(DAYS[1:], [50, 50, 55, 55, 55, 55, 55, 55, 55])
    proxy = market_proxy({"A": a, "B": b})
    assert proxy.index[0] == DAYS[1]
    # day 2: A +10%, B 0% -> +5%; day 3: A 0%, B +10% -> +5%
    assert proxy["close"].iloc[:3].tolist() == pytest.approx([100.0, 105.0, 110.25])
    assert (proxy["open"] == proxy["close"]).all()


def test_market_proxy_needs_two_overlapping_series():
    with pytest.raises(ConfigError, match="at least two series"):
        market_proxy({"A": _frame(DAYS, np.ones(10))})
    with pytest.raises(DataError, match="share fewer than two dates"):
        market_proxy({"A": _frame(DAYS[:3], np.ones(3)), "B": _frame(DAYS[5:], np.ones(5))})
