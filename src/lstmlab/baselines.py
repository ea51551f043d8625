"""Simple forecasts that a model must beat, made at exactly the model's forecast origins.

Each baseline sees only prices at or before its origin (Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, section 5.2):

- ``naive``: every future step equals the price at the origin (persistence, "tomorrow = today").
- ``drift``: the origin price plus ``k`` times the average change per step from the first price of
  the series to the origin, ``y_o + k * (y_o - y_0) / o`` for step ``k``; at origin 0 it is naive.
- ``moving_average``: the mean of the last ``ma_window`` prices up to and including the origin, for
  every step; origins earlier than ``ma_window - 1`` average the prices they have.
- ``mean_return``: the origin price grown at the training period's mean log return,
  ``y_o * exp(k * mu_train)`` (the "historical average" forecast of Campbell & Thompson 2008).
  A model whose scaled output is zero forecasts about this, since the target scaler centres the
  training returns on their mean: it is the bar a return model must clear to show it learned
  anything beyond the training drift.

The interval baseline, :func:`volatility_band`, is the naive forecast with a band from the recent
volatility of log returns: ``y_o * exp(+-z_{1 - alpha/2} * sigma_o * sqrt(k))`` for step ``k``,
where ``sigma_o`` is the sample standard deviation of the last ``window`` daily log returns up to
the origin (a random walk's spread, reacting to volatility regimes as fast as the window allows).
"""

from __future__ import annotations

import numpy as np

from lstmlab.errors import ConfigError, DataError
from lstmlab.validation import require_int
from lstmlab.vocabulary import BASELINES

__all__ = ["BASELINE_NAMES", "baseline_forecasts", "mean_log_return", "volatility_band"]

BASELINE_NAMES = BASELINES  # the names baseline_forecasts returns, in order


def _check_series(prices: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate the price series and origin positions; return them as float64 and int64."""
    prices = np.asarray(prices, dtype=np.float64)
    if prices.ndim != 1:
        raise DataError(f"prices must be a 1-D array of the target column, got shape "
                         f"{prices.shape}")
    origins = np.asarray(origins)
    if origins.ndim != 1 or not np.issubdtype(origins.dtype, np.integer):
        raise DataError(f"origins must be a 1-D integer array of row positions, got shape "
                         f"{origins.shape} and dtype {origins.dtype}")
    outside = origins[(origins < 0) | (origins >= prices.size)]
    if outside.size:
        raise DataError(f"origin {outside[0]} is outside the price series of {prices.size} "
                         f"rows; origins must be row positions 0..{prices.size - 1}")
    if origins.size:
        seen = prices[: origins.max() + 1]  # later prices are never read, so they may be NaN
        bad = np.flatnonzero(~np.isfinite(seen))
        if bad.size:
            raise DataError(f"prices has a non-finite value at row {bad[0]}, at or before an "
                             "origin; fill or drop missing prices first")
    return prices, origins.astype(np.int64)


def mean_log_return(prices: np.ndarray, last_row: int) -> float:
    """Mean one-step log return of ``prices[0 .. last_row]`` (the training part), ``mu_train``."""
    last_row = require_int("last_row", last_row, error=DataError)
    prices, _ = _check_series(prices, np.array([last_row]))
    seen = prices[: last_row + 1]
    if np.any(seen <= 0):
        raise DataError(f"the mean-return baseline needs positive prices; row "
                        f"{int(np.flatnonzero(seen <= 0)[0])} is {seen[seen <= 0][0]}")
    return float(np.diff(np.log(seen)).mean())


def baseline_forecasts(
    prices: np.ndarray, origins: np.ndarray, horizon: int, *, ma_window: int = 20,
    mean_return: float,
) -> dict[str, np.ndarray]:
    """The baselines of :data:`BASELINE_NAMES` for ``horizon`` steps after each origin.

    Args:
        prices: the full target-column series, shape (T,).
        origins: row positions in ``prices`` of the last known value of each window, shape (N,).
        horizon: number of steps ahead to forecast.
        ma_window: number of prices the moving average covers, ending at the origin.
        mean_return: ``mu_train``, the training period's mean one-step log return
            (:func:`mean_log_return`).

    Returns:
        :data:`BASELINE_NAMES` mapped to float64 arrays of shape (N, horizon).
    """
    horizon = require_int("horizon", horizon)
    ma_window = require_int("ma_window", ma_window)
    if not np.isfinite(mean_return):
        raise DataError(f"mean_return must be a finite mean log return, got {mean_return!r}")
    prices, origins = _check_series(prices, origins)
    last = prices[origins]  # (N,)
    steps = np.arange(1, horizon + 1, dtype=np.float64)  # (h,)

    # average change per step since the first price; an origin at row 0 has no history: slope 0
    slope = np.divide(last - prices[0], origins, out=np.zeros_like(last), where=origins > 0)

    # prefix sums: the sum of prices[a:b] is cumulative[b] - cumulative[a], causal by construction
    upto = origins.max() + 1 if origins.size else 0
    cumulative = np.concatenate([[0.0], np.cumsum(prices[:upto])])  # (upto + 1,)
    start = np.maximum(origins + 1 - ma_window, 0)
    window_mean = (cumulative[origins + 1] - cumulative[start]) / (origins + 1 - start)  # (N,)

    return {
        "naive": np.repeat(last[:, None], horizon, axis=1),
        "drift": last[:, None] + slope[:, None] * steps[None, :],
        "moving_average": np.repeat(window_mean[:, None], horizon, axis=1),
        "mean_return": last[:, None] * np.exp(mean_return * steps[None, :]),
    }


def volatility_band(
    prices: np.ndarray, origins: np.ndarray, horizon: int, alpha: float, *, window: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """The naive forecast's central ``1 - alpha`` band, ``(lower, upper)``, each ``(N, horizon)``.

    ``sigma_o`` uses the log returns of at most ``window`` days ending at each origin (fewer near
    the start of the series); an origin with fewer than two returns before it gets a NaN band.
    """
    from scipy import stats

    horizon = require_int("horizon", horizon)
    window = require_int("window", window, minimum=2)
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha!r}")
    prices, origins = _check_series(prices, origins)
    upto = origins.max() + 1 if origins.size else 1
    returns = np.diff(np.log(prices[:upto]))  # (upto - 1,): returns[i] ends at row i + 1
    sums = np.concatenate([[0.0], np.cumsum(returns)])
    squares = np.concatenate([[0.0], np.cumsum(returns**2)])
    end = origins  # returns ending at rows start+1..origin are returns[start:origin]
    start = np.maximum(end - window, 0)
    count = (end - start).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (sums[end] - sums[start]) / count
        variance = (squares[end] - squares[start] - count * mean**2) / (count - 1)
    sigma = np.where(count >= 2, np.sqrt(np.maximum(variance, 0.0)), np.nan)  # (N,)
    spread = stats.norm.ppf(1 - alpha / 2) * sigma[:, None] * np.sqrt(np.arange(1, horizon + 1))
    last = prices[origins][:, None]  # (N, 1)
    return last * np.exp(-spread), last * np.exp(spread)
