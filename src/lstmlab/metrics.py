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
  tests whether the forecast's squared errors differ from the naive forecast's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from lstmlab.errors import DataError
from lstmlab.validation import require_int
from lstmlab.vocabulary import METRIC_NAMES

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "METRIC_NAMES",
    "diebold_mariano",
    "directional_accuracy",
    "forecast_metrics",
    "metrics_table",
]



def _as_1d(name: str, values: object) -> np.ndarray:
    """``values`` as a finite 1-D float64 array, or a :class:`DataError` naming ``name``."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise DataError(f"{name} must be a 1-D array, got shape {array.shape}; "
                         "pass one forecast step at a time")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise DataError(f"{name} has {bad.size} non-finite value(s) (NaN or inf), first at "
                         f"position {bad[0]}; drop or fill them before scoring")
    return array


def _check_inputs(**arrays: object) -> list[np.ndarray]:
    """Validate named 1-D arrays of one equal, non-zero length and return them as float64."""
    checked = [_as_1d(name, values) for name, values in arrays.items()]
    lengths = {name: array.size for name, array in zip(arrays, checked, strict=True)}
    if len(set(lengths.values())) != 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise DataError(f"arrays must have equal lengths, got {shown}")
    if checked[0].size == 0:
        raise DataError(f"cannot score empty arrays ({', '.join(arrays)} have length 0)")
    return checked


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
    actual, predicted, previous = _check_inputs(
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


def diebold_mariano(
    errors_a: np.ndarray, errors_b: np.ndarray, horizon: int = 1
) -> tuple[float, float]:
    """Diebold-Mariano test of equal squared-error loss, with the HLN small-sample correction.

    With the loss differential ``d_t = errors_a[t]**2 - errors_b[t]**2`` over ``T`` points,
    ``DM = mean(d) / sqrt((gamma_0 + 2 * sum_{k=1}^{h-1} gamma_k) / T)`` where ``gamma_k`` is the
    lag-``k`` autocovariance of ``d`` (divided by ``T``). Harvey, Leybourne & Newbold scale it by
    ``sqrt((T + 1 - 2h + h(h - 1) / T) / T)`` and compare it with Student's t on ``T - 1``
    degrees of freedom.

    Returns ``(statistic, two-sided p-value)``. A negative statistic means forecast ``a`` has the
    smaller loss. Both are NaN when ``d`` is identically zero (the forecasts are equally good at
    every point) or when the long-run variance estimate is not positive (possible for h > 1);
    when ``d`` is a non-zero constant the statistic is ±inf and the p-value 0.
    """
    errors_a, errors_b = _check_inputs(errors_a=errors_a, errors_b=errors_b)
    horizon = require_int("horizon", horizon)
    n = errors_a.size
    if n <= horizon:
        raise DataError(f"the Diebold-Mariano test needs more points than the horizon, "
                         f"got {n} point(s) for horizon {horizon}")
    d = errors_a**2 - errors_b**2  # (T,)
    if not d.any():
        return math.nan, math.nan
    centred = d - d.mean()
    gammas = [centred[k:] @ centred[: n - k] / n for k in range(horizon)]
    long_run_variance = gammas[0] + 2.0 * sum(gammas[1:])
    if long_run_variance == 0.0:  # d is a non-zero constant: one forecast always wins
        return math.copysign(math.inf, d.mean()), 0.0
    if long_run_variance < 0.0:
        return math.nan, math.nan
    dm = d.mean() / math.sqrt(long_run_variance / n)
    hln = math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic = dm * hln
    return float(statistic), float(2.0 * stats.t.sf(abs(statistic), df=n - 1))


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
    actual, predicted, previous = _check_inputs(
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
    return pd.DataFrame([dict(row) for row in rows.values()], index=index,
                        columns=columns, dtype=float)
