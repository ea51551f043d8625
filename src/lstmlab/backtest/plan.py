"""Planning a rolling-origin backtest: when to refit, on which past, and which origins to forecast.

A backtest walks through time (Tashman 2000). At each *refit date* ``r`` (a row of the price
frame) a forecaster is fitted on rows strictly before ``r`` only, with its own train /
validation split inside that past, then forecasts every *origin* (the last known row of a
window) from ``r - 1`` up to the row before the next refit's ``r' - 1``. The first target of a
block is therefore its refit date itself, and nothing a block's fit or forecast reads comes
after the origin it forecasts from.

``window="expanding"`` fits on every row before ``r``; ``"rolling"`` on the last ``train_size``
rows before it. Every setting is checked here, before any training starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast, overload

import numpy as np
import pandas as pd

from lstmlab.config import ForecastConfig
from lstmlab.data.covariates import covariate_matrix, with_frames
from lstmlab.data.features import feature_matrix
from lstmlab.data.split import plan_split
from lstmlab.errors import ConfigError, DataError
from lstmlab.trading_days import DEFAULT_CALENDAR, check_calendar, missing_sessions
from lstmlab.validation import require_int

__all__ = ["MAX_GAP", "REFITS", "WINDOWS", "BacktestSettings", "Block", "inner_split",
           "plan_blocks"]

WINDOWS = ("expanding", "rolling")
REFITS = ("full", "finetune")
MAX_GAP = 10  # trading days missing between two rows before a backtest refuses the series


@dataclass(frozen=True)
class BacktestSettings:
    """When and how a backtest refits; saved with its run next to each cell's ForecastConfig."""

    start: str  # first refit date (first row on or after it): the first forecast target day
    end: str | None = None  # last target date (last row on or before it); None: the data's end
    refit_every: int = 63  # trading days (rows) between refits, about a quarter
    window: str = "expanding"  # "expanding": all the past; "rolling": the last train_size rows
    train_size: int | None = None  # rows each rolling fit sees (train and validation together)
    refit: str = "full"  # "full": a new model per block; "finetune": continue the previous one
    step: int = 1  # trading days between two forecast origins

    def __post_init__(self) -> None:
        require_int("refit_every", self.refit_every)
        require_int("step", self.step)
        if self.window not in WINDOWS:
            raise ConfigError(f"window must be one of {', '.join(WINDOWS)}; got {self.window!r}")
        if self.refit not in REFITS:
            raise ConfigError(f"refit must be one of {', '.join(REFITS)}; got {self.refit!r}")
        if self.window == "rolling":
            if self.train_size is None:
                raise ConfigError("a rolling window needs train_size, the rows each fit sees "
                                  "(e.g. 1260, about five years of trading days)")
            require_int("train_size", self.train_size)
        elif self.train_size is not None:
            raise ConfigError(f"train_size ({self.train_size}) applies to window='rolling' "
                              "only; an expanding window fits on all the past")
        start, end = _date("start", self.start), _date("end", self.end)
        if end is not None and end <= start:
            raise ConfigError(f"end ({self.end}) must be after start ({self.start})")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Block:
    """One refit and the origins it forecasts; rows are positions in the whole price frame.

    The fit sees rows ``fit_start .. refit - 1``; origins are ``range(first_origin,
    stop_origin, step)``; targets reach row ``last_row``.
    """

    id: int
    fit_start: int
    refit: int
    origins: range
    horizon: int

    @property
    def last_row(self) -> int:
        """The last row any of the block's targets reads."""
        return self.origins[-1] + self.horizon


def inner_split(config: ForecastConfig) -> tuple[float, float, float]:
    """The train / validation fractions of each refit's past: the config's, test part dropped."""
    split = config.split
    if len(split) != 3 or not all(isinstance(f, (int, float)) for f in split):
        raise ConfigError(f"a backtest splits each refit's past by fractions, but the config's "
                          f"split is {split!r}; give fractions such as (0.7, 0.15, 0.15) (the "
                          f"test fraction is not used: the backtest period is the test)")
    train, val = float(split[0]), float(split[1])
    return train / (train + val), val / (train + val), 0.0


def plan_blocks(prices: pd.DataFrame, config: ForecastConfig, settings: BacktestSettings,
                calendar: str = DEFAULT_CALENDAR, *,
                covariates: Mapping[str, pd.DataFrame] | None = None) -> list[Block]:
    """The refit blocks of a backtest of ``config`` on ``prices``, checked before any training.

    ``covariates`` maps the config's covariate sources to their loaded frames: they are aligned
    on ``prices`` here once, so a hole longer than ``max_fill`` fails before any fit, and a
    covariate that starts late lengthens the warm-up every fit needs.

    Raises :class:`ConfigError` for settings the data cannot satisfy (a start with too little
    history, a rolling window shorter than what one fit needs, an empty period) and
    :class:`DataError` for a gap of more than :data:`MAX_GAP` trading days (sessions of
    ``calendar``, see :mod:`lstmlab.trading_days`) in the period.
    """
    index, h = cast(pd.DatetimeIndex, prices.index), config.horizon  # a prices frame: dates
    first_target, last_target = _period(index, settings, h)
    _check_gaps(index[max(first_target - 1, 0) : last_target + 1], calendar,
                prices.attrs.get("source", "the prices"))
    needed = _rows_needed(index, config, _warmup(prices, config, covariates))
    _check_history(index, settings, first_target, needed)
    origins = range(first_target - 1, last_target - h + 1, settings.step)
    refits = range(first_target, origins[-1] + 2, settings.refit_every)
    blocks: list[Block] = []
    for number, refit in enumerate(refits):
        stop = refits[number + 1] - 1 if number + 1 < len(refits) else origins.stop
        mine = origins[_first_at_or_after(origins, refit - 1):_first_at_or_after(origins, stop)]
        if len(mine) == 0:  # a step longer than refit_every skips this refit
            continue
        start = 0 if settings.window == "expanding" else refit - int(settings.train_size or 0)
        blocks.append(Block(len(blocks), start, refit, mine, h))
    return blocks


def _warmup(prices: pd.DataFrame, config: ForecastConfig,
            covariates: Mapping[str, pd.DataFrame] | None) -> int:
    """Leading rows without every input: the own features' warm-up, or the covariates' (their
    own warm-up, or the rows before a covariate starts), whichever is longer."""
    _, warmup = feature_matrix(prices.iloc[:1 + config.lookback], config.features,
                               config.target_column)
    if not config.covariates:
        return warmup
    dates = cast(pd.DatetimeIndex, prices.index)  # a prices frame: dates
    _, extra, _ = covariate_matrix(dates, with_frames(config.covariates, covariates),
                                   max_fill=config.max_fill)
    return max(warmup, extra)


@overload  # a date string (``start`` is required) gives a date, None gives None
def _date(name: str, value: str) -> pd.Timestamp: ...
@overload
def _date(name: str, value: str | None) -> pd.Timestamp | None: ...
def _date(name: str, value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a date like '2019-01-02', got {value!r}") from None


def _period(index: pd.DatetimeIndex, settings: BacktestSettings, horizon: int) -> tuple[int, int]:
    """Rows of the first and last target of the backtest."""
    start, end = _date("start", settings.start), _date("end", settings.end)
    first = int(index.searchsorted(start))
    last = len(index) - 1 if end is None else int(index.searchsorted(end, side="right")) - 1
    if first >= len(index) or last - first + 1 < horizon:
        raise ConfigError(
            f"the backtest period {settings.start} to {settings.end or index[-1].date()} holds "
            f"fewer than {horizon} trading day(s) of the data ({index[0].date()} to "
            f"{index[-1].date()}); choose a start and end inside it")
    return first, last


def _rows_needed(index: pd.DatetimeIndex, config: ForecastConfig, warmup: int) -> int:
    """Fewest rows of past that give one fit a training and a validation sample."""
    split, first_target = inner_split(config), warmup + config.lookback
    for rows in range(first_target + 2, len(index) + 1):
        try:
            plan_split(index[:rows], split, first_target=first_target, horizon=config.horizon,
                       context="")
        except DataError:
            continue
        return rows
    return len(index) + 1


def _check_history(index: pd.DatetimeIndex, settings: BacktestSettings, first_target: int,
                   needed: int) -> None:
    one_fit = (f"one fit needs {needed} rows of past (warm-up, lookback, a train and a "
               f"validation part)")
    if settings.window == "rolling" and int(settings.train_size or 0) < needed:
        raise ConfigError(f"rolling train_size {settings.train_size} is too short: {one_fit}; "
                          f"use train_size >= {needed}")
    past = needed if settings.window == "expanding" else int(settings.train_size or 0)
    if first_target < past:
        reason = one_fit if settings.window == "expanding" else (
            f"a rolling window of train_size {past} needs {past}")
        earliest = f"{index[past].date()}" if past < len(index) else "a date after the data"
        raise ConfigError(f"start {settings.start} leaves {first_target} rows of past before it "
                          f"but {reason}; start on or after {earliest}")


def _check_gaps(index: pd.DatetimeIndex, calendar: str, source: str) -> None:
    """Refuse a period with more than MAX_GAP trading days missing between two rows."""
    missing = _missing_between(index, calendar)  # (n - 1,) trading days between rows i, i+1
    gaps = np.flatnonzero(missing > MAX_GAP)
    if gaps.size:
        shown = "; ".join(f"{index[i].date()} to {index[i + 1].date()} ({missing[i]} trading "
                          f"days missing)" for i in gaps[:5])
        raise DataError(f"{source} has {gaps.size} gap(s) longer than {MAX_GAP} trading days "
                        f"inside the backtest period: {shown}; fill those prices, or start the "
                        f"backtest after the gap")


def _missing_between(index: pd.DatetimeIndex, calendar: str) -> np.ndarray:
    """Per pair of consecutive rows, the sessions of ``calendar`` strictly between them
    (weekdays when the calendar is ``none``)."""
    if check_calendar(calendar) == "none":
        days = index.values.astype("datetime64[D]")
        return np.busday_count(days[:-1], days[1:]) - 1
    after = index.searchsorted(missing_sessions(index, calendar))  # row after each missing day
    return np.bincount(after, minlength=len(index))[1:]


def _first_at_or_after(origins: range, row: int) -> int:
    """Position in ``origins`` of its first element >= ``row``."""
    return min(max(-(-(row - origins.start) // origins.step), 0), len(origins))
