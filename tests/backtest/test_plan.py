"""Planning refit blocks: dates, windows, origins, and a clear error for each bad setting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.backtest.plan import BacktestSettings, inner_split, plan_blocks
from lstmlab.errors import ConfigError, DataError

from .conftest import TINY


def test_blocks_cover_every_origin_once_and_fit_strictly_before_their_refit(short_prices):
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)
    blocks = plan_blocks(short_prices, TINY, settings)
    origins = np.concatenate([np.asarray(b.origins) for b in blocks])
    assert origins.tolist() == list(range(249, 399))  # every origin whose target is in the data
    assert [b.refit for b in blocks] == [250, 290, 330, 370]
    for block in blocks:
        assert block.fit_start == 0  # expanding: all the past
        assert block.origins[0] == block.refit - 1  # the first target is the refit date
    assert blocks[-1].last_row == len(short_prices) - 1


def test_rolling_window_step_horizon_and_end(short_prices):
    config = TINY.replace(horizon=3)
    settings = BacktestSettings(str(short_prices.index[250].date()),
                                end=str(short_prices.index[349].date()), refit_every=40,
                                window="rolling", train_size=120, step=5)
    blocks = plan_blocks(short_prices, config, settings)
    assert [(b.fit_start, b.refit) for b in blocks] == [(130, 250), (170, 290), (210, 330)]
    assert list(blocks[0].origins) == list(range(249, 289, 5))
    assert blocks[-1].last_row <= 349  # no target after `end`
    assert all((np.diff(np.asarray(b.origins)) == 5).all() for b in blocks)


def test_inner_split_drops_the_test_fraction():
    assert inner_split(TINY) == pytest.approx((0.7 / 0.85, 0.15 / 0.85, 0.0))
    with pytest.raises(ConfigError, match="splits each refit's past by fractions"):
        inner_split(TINY.replace(split=("2020-01-01", "2021-01-01")))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(start="2013-01-20"), r"start 2013-01-20 leaves 13 rows of past before it but one "
                                   r"fit needs 14 rows of past \(warm-up, lookback, a train and "
                                   r"a validation part\); start on or after 2013-01-22"),
        (dict(start="2013-12-02", refit_every=0), "refit_every must be a whole number >= 1, "
                                                  "got 0"),
        (dict(start="2013-12-02", end="2013-11-01"), r"end \(2013-11-01\) must be after start "
                                                     r"\(2013-12-02\)"),
        (dict(start="2013-12-02", end="2013-12-02"), "must be after start"),
        (dict(start="2013-12-02", window="rolling", train_size=8),
         "rolling train_size 8 is too short: one fit needs 14 rows of past"),
        (dict(start="2013-12-02", window="rolling"), "a rolling window needs train_size"),
        (dict(start="2013-12-02", train_size=100), "applies to window='rolling' only"),
        (dict(start="2013-12-02", window="sliding"), "window must be one of expanding, rolling"),
        (dict(start="2013-12-02", refit="warm"), "refit must be one of full, finetune"),
        (dict(start="2030-01-01"), "the backtest period 2030-01-01 to .* holds fewer than 1"),
        (dict(start="not a date"), "start must be a date like '2019-01-02'"),
    ],
)
def test_bad_settings_are_refused_before_any_training(short_prices, settings, message):
    with pytest.raises(ConfigError, match=message):
        plan_blocks(short_prices, TINY, BacktestSettings(**settings))


def test_covariates_are_aligned_and_checked_before_any_training(short_prices, short_covariate):
    config = TINY.replace(covariates={"OTHER": ("log_return",)})
    settings = BacktestSettings(str(short_prices.index[250].date()))
    with pytest.raises(DataError, match="pass their prices too"):
        plan_blocks(short_prices, config, settings)
    assert plan_blocks(short_prices, config, settings, covariates={"OTHER": short_covariate})
    holed = short_covariate.drop(short_covariate.index[100:105])  # 5 days > max_fill 3
    with pytest.raises(DataError, match="covariate OTHER has no rows from"):
        plan_blocks(short_prices, config, settings, covariates={"OTHER": holed})
    # a covariate starting 240 rows late leaves too little history before row 250
    late = {"OTHER": short_covariate.iloc[240:]}
    plan_blocks(short_prices, TINY, settings)  # enough without it
    with pytest.raises(ConfigError, match="rows of past before it but one fit needs"):
        plan_blocks(short_prices, config, settings, covariates=late)


def test_a_gap_longer_than_ten_trading_days_is_named(short_prices):
    gap = short_prices.drop(short_prices.index[300:315])  # 15 trading days missing
    with pytest.raises(DataError) as caught:
        plan_blocks(gap, TINY, BacktestSettings(str(short_prices.index[250].date())))
    first, after = short_prices.index[299].date(), short_prices.index[315].date()
    assert f"{first} to {after} (15 trading days missing)" in str(caught.value)
    # the same gap before the backtest period is no obstacle
    plan_blocks(gap, TINY, BacktestSettings(str(short_prices.index[330].date())))


def test_a_short_gap_is_accepted(short_prices):
    gap = short_prices.drop(short_prices.index[300:310])  # 10 days: the limit itself
    assert plan_blocks(gap, TINY, BacktestSettings(str(pd.Timestamp("2013-12-02").date())))
