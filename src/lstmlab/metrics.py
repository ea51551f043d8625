"""Forecast accuracy on the price scale: error sizes, direction, and a test against persistence.

Every metric compares ``predicted`` with ``actual`` at the same points; ``previous`` is the last
price known at each forecast origin, that is the naive (persistence) forecast, which is the
yardstick that price forecasts must beat.

- RMSE, MAE: in the price's units. MAPE and sMAPE: percent.
- MASE: the forecast's MAE divided by the naive forecast's MAE *on the same points*. Hyndman &
  Koehler (2006) scale by the in-sample naive MAE of the training series; scaling by the naive
  forecast on the evaluated points instead makes MASE read directly as "relative to tomorrow =
  today": the naive forecast scores exactly 1.0 and a score below 1 beats it.
- R²: ``1 - SS_res / SS_tot`` around the mean of ``actual``.
- Directional accuracy: the fraction of points where the predicted change from ``previous`` has the
  sign of the actual change; points with no actual change are left out. A two-sided exact binomial
  test against a coin (p = 0.5) says whether the hit rate could be luck.
- Diebold & Mariano (1995), with the small-sample correction of Harvey, Leybourne & Newbold (1997):
  tests whether the forecast's squared errors differ from the naive forecast's
  (:mod:`lstmlab.stats` holds it and the other tests).

Measures that need more than one step's points:

- :func:`mase`: true MASE (Hyndman & Koehler 2006), scaled by the in-sample one-step naive MAE of
  the training series.
- :func:`oos_r2`: out-of-sample R² of returns against a benchmark return (Campbell & Thompson
  2008); on price levels R² is near 1 for any forecast, the naive one included, so says nothing.
- :func:`lag_check`: whether a one-step forecast's day-to-day changes mostly repeat the previous
  day's actual change, the signature of a model that copies the last price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy import stats

from lstmlab.errors import DataError
from lstmlab.stats import diebold_mariano
from lstmlab.validation import require_paired, require_series
from lstmlab.vocabulary import METRIC_NAMES

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "METRIC_NAMES",
    "LagCheck",
    "directional_accuracy",
    "forecast_metrics",
    "lag_check",
    "mase",
    "metrics_table",
    "oos_r2",
]


def _direction_hits(
    actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray
) -> tuple[int, int] | None:
    """Count (hits, trials) of the predicted direction; None when no change is ever predicted."""
    predicted_sign = np.sign(predicted - previous)
    actual_sign = np.sign(actual - previous)
    if not predicted_sign.any():  # a flat forecast has no direction to judge
        return None
    moved = actual_sign != 0
    return int((predicted_sign[moved] == actual_sign[moved]).sum()), int(moved.sum())


def directional_accuracy(
    actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray
) -> float:
    """Fraction of points where ``sign(predicted - previous) == sign(actual - previous)``.

    Points whose actual change is zero are excluded. A predicted change of zero counts as a miss
    when the price did move. Returns NaN when the forecast never predicts a change (the naive
    forecast) or when the price never moves.
    """
    actual, predicted, previous = require_paired(
        actual=actual, predicted=predicted, previous=previous
    )
    return _hit_rate(_direction_hits(actual, predicted, previous))


def _hit_rate(counts: tuple[int, int] | None) -> float:
    """``hits / trials``, NaN when there is nothing to judge."""
    if counts is None or counts[1] == 0:
        return math.nan
    return counts[0] / counts[1]


def _direction_p_value(counts: tuple[int, int] | None) -> float:
    """Two-sided exact binomial p-value of ``hits`` out of ``trials`` against p = 0.5."""
    if counts is None or counts[1] == 0:
        return math.nan
    return float(stats.binomtest(counts[0], counts[1], p=0.5).pvalue)


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero (the metric is undefined)."""
    return numerator / denominator if denominator != 0.0 else math.nan


def forecast_metrics(
    actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray, *, horizon: int = 1
) -> dict[str, float]:
    """Score one forecast against the truth and against naive persistence.

    Args:
        actual: true prices, shape (N,).
        predicted: forecast prices at the same points, shape (N,).
        previous: last known price at each forecast origin (the naive forecast), shape (N,).
        horizon: steps ahead of these forecasts; sets the Diebold-Mariano autocovariance lags.

    Returns:
        A dict with the keys of :data:`METRIC_NAMES`, in that order. Undefined values are NaN:
        MAPE when some actual price is 0, MASE when the naive forecast is exact everywhere, R²
        when ``actual`` is constant, the direction scores and DM test as their helpers say.
    """
    actual, predicted, previous = require_paired(
        actual=actual, predicted=predicted, previous=previous
    )
    error = actual - predicted
    abs_error = np.abs(error)
    mae = float(abs_error.mean())
    # 0/0 in sMAPE (both prices zero) is a perfect forecast, hence 0 rather than NaN
    smape_denominator = np.abs(actual) + np.abs(predicted)
    smape_terms = np.divide(2.0 * abs_error, smape_denominator,
                            out=np.zeros_like(abs_error), where=smape_denominator != 0)
    mape = (float(np.mean(abs_error / np.abs(actual))) * 100.0
            if np.all(actual != 0) else math.nan)
    counts = _direction_hits(actual, predicted, previous)
    dm_stat, dm_p_value = diebold_mariano(error, actual - previous, horizon=horizon)
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": mae,
        "mape": mape,
        "smape": float(smape_terms.mean()) * 100.0,
        "mase": _ratio(mae, float(np.abs(actual - previous).mean())),
        "r2": 1.0 - _ratio(float(error @ error), float(np.sum((actual - actual.mean()) ** 2))),
        "directional_accuracy": _hit_rate(counts),
        "direction_p_value": _direction_p_value(counts),
        "dm_stat": dm_stat,
        "dm_p_value": dm_p_value,
    }


def mase(actual: object, predicted: object, train: object) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006).

    The forecast's MAE divided by the in-sample MAE of the one-step naive forecast on the
    training series, ``mean(|train[t] - train[t-1]|)``, whatever the horizon. Below 1: smaller
    errors than tomorrow = today made in-sample. NaN when the training series never moves.
    """
    actual, predicted = require_paired(actual=actual, predicted=predicted)
    train = require_series("train", train)
    if train.size < 2:
        raise DataError(f"MASE needs at least 2 training prices to scale by, got {train.size}")
    return _ratio(float(np.abs(actual - predicted).mean()), float(np.abs(np.diff(train)).mean()))


def oos_r2(actual: object, predicted: object, benchmark: object) -> float:
    """Out-of-sample R² of a forecast against a benchmark forecast (Campbell & Thompson 2008).

    ``1 - sum((actual - predicted)^2) / sum((actual - benchmark)^2)``, meant for returns: with
    the zero return as benchmark it measures skill over the naive price forecast, with the
    training-mean return over the historical average. Positive: smaller squared errors than the
    benchmark. ``benchmark`` may be a scalar. NaN when the benchmark is exact everywhere.
    """
    actual, predicted = require_paired(actual=actual, predicted=predicted)
    benchmark = np.broadcast_to(np.asarray(benchmark, dtype=np.float64), actual.shape)
    (benchmark,) = require_paired(benchmark=benchmark)
    return 1.0 - _ratio(float(np.sum((actual - predicted) ** 2)),
                        float(np.sum((actual - benchmark) ** 2)))


class LagCheck(NamedTuple):
    """How a one-step forecast's day-to-day changes follow the actual changes.

    ``previous``: correlation with the previous day's actual change (1.0 for the naive
    forecast); ``same``: with the same day's; ``verdict``: one line saying which dominates.
    """

    previous: float
    same: float
    verdict: str


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation, NaN when either side is constant."""
    if a.std() == 0.0 or b.std() == 0.0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def lag_check(actual: object, predicted: object) -> LagCheck:
    """Does the forecast mostly repeat yesterday's move (a price shifted by one day)?

    Args:
        actual: prices on consecutive days, (N,).
        predicted: one-step forecasts of those prices, each made the day before, (N,).

    ``Δf_t = predicted[t] - predicted[t-1]`` is compared with ``Δy_{t-1}`` (the previous day's
    actual change) and ``Δy_t`` (the same day's). "Mostly" means the previous day's change
    explains more than half the variance of the forecast's changes (``previous^2 > 0.5``) and
    more than the same day's does.
    """
    actual, predicted = require_paired(actual=actual, predicted=predicted)
    if actual.size < 4:
        raise DataError(f"the lag check needs at least 4 consecutive days, got {actual.size}")
    moves, forecast_moves = np.diff(actual), np.diff(predicted)  # (N-1,)
    previous = _correlation(forecast_moves[1:], moves[:-1])
    same = _correlation(forecast_moves[1:], moves[1:])
    if math.isnan(previous) or math.isnan(same):
        verdict = "this forecast's changes are constant: there is no lag to check"
    elif previous**2 > 0.5 and previous > same:
        verdict = "this forecast mostly repeats yesterday's move"
    elif same**2 > 0.5 and same > previous:
        verdict = "this forecast's changes mostly follow the same day's move"
    else:
        verdict = "this forecast does not mostly repeat yesterday's move"
    return LagCheck(previous, same, verdict)


def metrics_table(rows: Mapping[tuple[str, str], Mapping[str, float]]) -> pd.DataFrame:
    """Stack metric dicts into a DataFrame indexed by ``(split, model)``, in the given order.

    Columns follow :data:`METRIC_NAMES`; any extra keys follow them, and a metric missing from a
    row is NaN.
    """
    import pandas as pd

    for key in rows:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise DataError(f"metrics_table keys must be (split, model) pairs, got {key!r}")
    extra = [name for row in rows.values() for name in row if name not in METRIC_NAMES]
    columns = [*METRIC_NAMES, *dict.fromkeys(extra)]
    index = pd.MultiIndex.from_arrays([[key[0] for key in rows], [key[1] for key in rows]],
                                      names=["split", "model"])
    table: pd.DataFrame = pd.DataFrame([dict(row) for row in rows.values()], index=index,
                                       columns=columns, dtype=float)
    return table
