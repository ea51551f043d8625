"""Forecast accuracy on the price scale, step by step, against the naive forecast.

Every metric compares ``predicted`` with ``actual`` at the same points; ``previous`` is the last
price known at each forecast origin, that is the naive (persistence) forecast, which is the
yardstick that price forecasts must beat. :func:`step_metrics` scores an ``(N, h)`` forecast one
step at a time (step ``k`` is a forecast made ``k`` days ahead) and adds a ``mean`` row over the
steps; :func:`forecast_metrics` scores one step.

- RMSE, MAE: in the price's units. MAPE and sMAPE: percent.
- MASE (Hyndman & Koehler 2006): MAE divided by the in-sample MAE of the one-step naive forecast
  on the training series (:func:`naive_mae`); ``rel_mae`` is MAE divided by the naive forecast's
  MAE on the evaluated points (naive scores exactly 1).
- ``r2_oos`` and ``r2_oos_mean``: out-of-sample R² of the ``k``-step log return against the zero
  return (the naive forecast) and against the training-mean return ``k * mu_train`` (Campbell &
  Thompson 2008). R² of price levels is near 1 for any forecast, naive included, so it says
  nothing and is not reported.
- Directional accuracy: the share of points where the predicted change from ``previous`` has the
  sign of the actual change (no actual change: left out); ``pt_p_value`` is the one-sided
  Pesaran-Timmermann test that the directions carry information, which, unlike a binomial test
  against a coin, does not credit "always up" in a rising market.
- ``dm_stat``, ``dm_p_value``: Diebold-Mariano (HLN) test of the squared errors against the naive
  forecast's, ``k - 1`` lags at step ``k``; in the ``mean`` row the test on the per-origin mean
  loss differential over the steps. ``cw_p_value``: Clark-West test against naive, one-sided.
- ``lag_corr`` and ``same_day_corr`` (step 1): correlation of the forecast's day-to-day changes
  with the previous day's and with the same day's actual change (:func:`lag_check`).

The tests themselves live in :mod:`lstmlab.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from lstmlab.errors import DataError
from lstmlab.stats import (
    clark_west,
    diebold_mariano,
    diebold_mariano_mean,
    pesaran_timmermann,
)
from lstmlab.validation import require_paired, require_series
from lstmlab.verdicts import lag_verdict
from lstmlab.vocabulary import MEAN_STEP, METRIC_NAMES

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
    "naive_mae",
    "oos_r2",
    "step_metrics",
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


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero (the metric is undefined)."""
    return numerator / denominator if denominator != 0.0 else math.nan


def forecast_metrics(
    actual: object, predicted: object, previous: object, *, step: int = 1,
    naive_scale: float = math.nan, mean_return: float = 0.0,
) -> dict[str, float]:
    """Score one step of a forecast against the truth and against naive persistence.

    Args:
        actual: true prices, shape (N,), at consecutive forecast origins.
        predicted: forecast prices at the same points, shape (N,).
        previous: last known price at each forecast origin (the naive forecast), shape (N,).
        step: how many steps ahead these forecasts are; sets the tests' autocovariance lags.
        naive_scale: the training series' in-sample naive MAE (:func:`naive_mae`), for MASE.
        mean_return: ``mu_train``, the training mean one-step log return, for ``r2_oos_mean``.

    Returns:
        A dict with the keys of :data:`METRIC_NAMES`, in that order. Undefined values are NaN:
        MAPE when some actual price is 0, the return-space R² when a price is not positive, the
        lag check after step 1, the direction scores and tests as their functions say.
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
    dm = diebold_mariano(error, actual - previous, horizon=step)
    lag = lag_check(actual, predicted) if step == 1 and actual.size >= 4 else None
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": mae,
        "mape": mape,
        "smape": float(smape_terms.mean()) * 100.0,
        "mase": _ratio(mae, naive_scale),
        "rel_mae": _ratio(mae, float(np.abs(actual - previous).mean())),
        **_return_r2(actual, predicted, previous, step * mean_return),
        "directional_accuracy": _hit_rate(_direction_hits(actual, predicted, previous)),
        "pt_p_value": pesaran_timmermann(actual - previous, predicted - previous).p_value,
        "dm_stat": dm.statistic,
        "dm_p_value": dm.p_value,
        "cw_p_value": clark_west(actual, previous, predicted, horizon=step).p_value
        if actual.size > step else math.nan,
        "lag_corr": lag.previous if lag else math.nan,
        "same_day_corr": lag.same if lag else math.nan,
    }


def _return_r2(actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray,
               mean_log_return: float) -> dict[str, float]:
    """``r2_oos`` and ``r2_oos_mean`` of the log returns from ``previous``."""
    if np.any(actual <= 0) or np.any(predicted <= 0) or np.any(previous <= 0):
        return {"r2_oos": math.nan, "r2_oos_mean": math.nan}
    realised, forecast = np.log(actual / previous), np.log(predicted / previous)
    return {"r2_oos": oos_r2(realised, forecast, 0.0),
            "r2_oos_mean": oos_r2(realised, forecast, mean_log_return)}


def step_metrics(
    actual: object, predicted: object, last_price: object, *,
    naive_scale: float = math.nan, mean_return: float = 0.0,
) -> dict[str, dict[str, float]]:
    """:func:`forecast_metrics` of each step of ``(N, h)`` forecasts, keyed ``"1" .. "h"``.

    ``last_price (N,)`` is the naive forecast of every step. With ``h > 1`` a :data:`MEAN_STEP`
    row follows: each metric averaged over the steps, except the DM test, which is the test of
    the per-origin mean loss differential (:func:`lstmlab.stats.diebold_mariano_mean`), and the
    direction and Clark-West tests, which are per step only (NaN); the lag check is step 1's.
    """
    actual, predicted = require_paired(actual=actual, predicted=predicted, ndim=2)
    (last,) = require_paired(last_price=last_price)
    horizon = actual.shape[1]
    rows = {str(k + 1): forecast_metrics(actual[:, k], predicted[:, k], last, step=k + 1,
                                         naive_scale=naive_scale, mean_return=mean_return)
            for k in range(horizon)}
    if horizon > 1:
        mean = {name: _mean([row[name] for row in rows.values()]) for name in METRIC_NAMES}
        naive_errors = actual - last[:, None]  # (N, h)
        dm = diebold_mariano_mean(actual - predicted, naive_errors)
        mean.update(dm_stat=dm.statistic, dm_p_value=dm.p_value, pt_p_value=math.nan,
                    cw_p_value=math.nan, lag_corr=rows["1"]["lag_corr"],
                    same_day_corr=rows["1"]["same_day_corr"])
        rows[MEAN_STEP] = mean
    return rows


def _mean(values: list[float]) -> float:
    """Mean of the finite values, NaN when there are none."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def naive_mae(train: object) -> float:
    """In-sample MAE of the one-step naive forecast, ``mean(|train[t] - train[t-1]|)``."""
    train = require_series("train", train)
    if train.size < 2:
        raise DataError(f"MASE needs at least 2 training prices to scale by, got {train.size}")
    return float(np.abs(np.diff(train)).mean())


def mase(actual: object, predicted: object, train: object) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006).

    The forecast's MAE divided by :func:`naive_mae` of the training series, whatever the
    horizon. Below 1: smaller errors than tomorrow = today made in-sample. NaN when the training
    series never moves.
    """
    actual, predicted = require_paired(actual=actual, predicted=predicted)
    return _ratio(float(np.abs(actual - predicted).mean()), naive_mae(train))


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
    return LagCheck(previous, same, lag_verdict(previous, same))


def metrics_table(
    rows: Mapping[tuple[str, str, str], Mapping[str, float]]
    | Mapping[tuple[str, str], Mapping[str, float]],
) -> pd.DataFrame:
    """Stack metric dicts into a DataFrame indexed by ``(split, model, step)``, in given order.

    Keys are ``(split, model, step)`` triples, or ``(split, model)`` pairs for step ``"1"``.
    Columns follow :data:`METRIC_NAMES`; any extra keys follow them, and a metric missing from a
    row is NaN.
    """
    import pandas as pd

    keys = []
    for key in rows:
        if not (isinstance(key, tuple) and len(key) in (2, 3)):
            raise DataError(f"metrics_table keys must be (split, model, step) triples, got "
                            f"{key!r}")
        keys.append((key[0], key[1], str(key[2]) if len(key) == 3 else "1"))
    extra = [name for row in rows.values() for name in row if name not in METRIC_NAMES]
    columns = [*METRIC_NAMES, *dict.fromkeys(extra)]
    index = pd.MultiIndex.from_tuples(keys, names=["split", "model", "step"])
    return pd.DataFrame([dict(row) for row in rows.values()], index=index,
                        columns=columns, dtype=float)
