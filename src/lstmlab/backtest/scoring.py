"""Scores of a backtest's pooled out-of-sample forecasts, per step and per refit block.

Each step ``k`` is scored on its own: its errors overlap across consecutive origins ``k - 1``
deep, so its Diebold-Mariano and Clark-West tests use that many HAC lags (fewer when origins
are spaced ``step`` days apart). Scores are computed over all origins pooled and within each
refit block, so a reader sees how the verdict moves over time. The two series behind the
backtest charts are here too: the rolling RMSE ratio to the naive forecast and the cumulative
squared-error difference against it (Goyal & Welch 2008: where the line falls, the model is
winning).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from lstmlab import stats
from lstmlab.interval_metrics import INTERVAL_METRIC_NAMES, interval_metrics, interval_scores

__all__ = ["INTERVAL_COLUMNS", "METRIC_COLUMNS", "cumulative_difference", "rolling_ratio",
           "score_backtest", "score_bands"]

METRIC_COLUMNS = ("n", "rmse", "mae", "rmse_ratio", "dm_stat", "dm_p_value", "cw_stat",
                  "cw_p_value", "pt_p_value")
# scores of a band (lstmlab.interval_metrics), then the DM test of its interval scores against
# the naive volatility band's
INTERVAL_COLUMNS = (*INTERVAL_METRIC_NAMES, "interval_dm_stat", "interval_dm_p_value")
_REFERENCE = "naive"
_REFERENCE_BAND = (_REFERENCE, "volatility")  # (model, method) of the interval baseline
ALL_STEPS = 0  # the ``step`` of the rows that score all steps together (horizons > 1)


def score_backtest(table: pd.DataFrame, models: Sequence[str], baselines: Sequence[str],
                   spacing: int = 1) -> pd.DataFrame:
    """Metrics with columns ``scope`` (``pooled`` or ``block``), ``refit`` (-1 when pooled),
    ``step``, ``model``, then :data:`METRIC_COLUMNS`, for every model and baseline.

    Tests are against the naive forecast: Diebold-Mariano (two-sided), Clark-West (one-sided,
    the model nests the naive forecast) and Pesaran-Timmermann on the direction (one-sided), from
    :mod:`lstmlab.stats`. With a horizon above 1, rows with ``step`` :data:`ALL_STEPS` score the
    loss averaged over the steps of each origin (:func:`lstmlab.stats.diebold_mariano_mean`).
    """
    names = [*models, *baselines]
    groups = _scopes(table)
    rows: list[dict[str, Any]] = []
    for scope, refit, part in groups:
        for step, rows_of_step in part.groupby("step", sort=True):
            # step-k errors of origins spaced `spacing` apart overlap like a ceil(k/s)-step forecast
            horizon = math.ceil(int(cast(int, step)) / spacing)
            rows.extend({"scope": scope, "refit": refit, "step": int(cast(int, step)),
                         "model": name,
                         **_scores(rows_of_step, name, horizon)} for name in names)
        if part["step"].max() > 1:
            rows.extend({"scope": scope, "refit": refit, "step": ALL_STEPS, "model": name,
                         **_all_steps(part, name)} for name in names)
    return pd.DataFrame(rows).sort_values(["scope", "refit", "step"], kind="stable",
                                          ascending=[False, True, True], ignore_index=True)


def _scopes(table: pd.DataFrame) -> list[tuple[str, int, pd.DataFrame]]:
    """``(scope, refit, rows)``: all rows pooled (refit -1), then each refit block's rows."""
    # refit is an integer column (pandas-stubs types group keys as any scalar)
    return [("pooled", -1, table), *(("block", int(cast(int, refit)), part)
                                     for refit, part in table.groupby("refit"))]


def score_bands(bands: pd.DataFrame, alpha: float, spacing: int = 1) -> pd.DataFrame:
    """Interval scores of every band of a backtest (:func:`lstmlab.backtest.bands.band_table`),
    pooled and per refit block, per step: columns ``scope``, ``refit``, ``step``, ``model``,
    ``method``, ``n``, then :data:`INTERVAL_COLUMNS` (widths in price units and in % of the
    model's point forecast).

    The Diebold-Mariano test (:func:`lstmlab.stats.diebold_mariano_losses`, two-sided) compares
    each band's interval scores with the naive volatility band's at the same origins, with the
    lags of the step as in :func:`score_backtest`.
    """
    groups = _scopes(bands)
    rows: list[dict[str, Any]] = []
    for scope, refit, part in groups:
        for step, of_step in part.groupby("step", sort=True):
            horizon = math.ceil(int(cast(int, step)) / spacing)
            by_band = cast(dict[tuple[str, str], pd.DataFrame],  # keyed by two text columns
                           dict(list(of_step.groupby(["model", "method"], sort=False))))
            reference = _band_losses(by_band[_REFERENCE_BAND], alpha)
            rows.extend({"scope": scope, "refit": refit, "step": int(cast(int, step)),
                         "model": model, "method": method, "n": len(band),
                         **_band_scores(band, reference, alpha, horizon, (model, method))}
                        for (model, method), band in by_band.items())
    return pd.DataFrame(rows)


def _band_losses(band: pd.DataFrame, alpha: float) -> np.ndarray:
    return interval_scores(band["actual"], band["lower"], band["upper"], alpha)


def _band_scores(band: pd.DataFrame, reference: np.ndarray, alpha: float, horizon: int,
                 name: tuple[str, str]) -> dict[str, float]:
    scores: dict[str, float] = interval_metrics(band["actual"], band["lower"], band["upper"],
                                                band["point"], alpha)
    scores.update(interval_dm_stat=math.nan, interval_dm_p_value=math.nan)
    if name != _REFERENCE_BAND and len(band) > horizon:
        dm = stats.diebold_mariano_losses(_band_losses(band, alpha), reference, horizon)
        scores.update(interval_dm_stat=dm.statistic, interval_dm_p_value=dm.p_value)
    return scores


def _scores(part: pd.DataFrame, name: str, horizon: int) -> dict[str, float]:
    actual, naive = part["actual"].to_numpy(), part[_REFERENCE].to_numpy()
    forecast = part[name].to_numpy()
    error, naive_error = actual - forecast, actual - naive
    scores = _levels(error, naive_error)
    if name != _REFERENCE and len(error) > horizon:
        dm = stats.diebold_mariano(error, naive_error, horizon=horizon)
        cw = stats.clark_west(actual, naive, forecast, horizon=horizon)
        pt = stats.pesaran_timmermann(actual - naive, forecast - naive)
        scores.update(dm_stat=dm.statistic, dm_p_value=dm.p_value, cw_stat=cw.statistic,
                      cw_p_value=cw.p_value, pt_p_value=pt.p_value)
    return scores


def _all_steps(part: pd.DataFrame, name: str) -> dict[str, float]:
    """Scores over every step; DM on the per-origin mean loss differential."""
    columns = list(dict.fromkeys(["actual", name, _REFERENCE]))  # naive's own row: once
    wide = part.pivot(index="origin", columns="step", values=columns)
    # each of wide's top-level columns is a frame (pandas-stubs says Series): 2-D arrays
    error: np.ndarray = (wide["actual"] - wide[name]).to_numpy()  # (N, h)
    naive_error: np.ndarray = (wide["actual"] - wide[_REFERENCE]).to_numpy()  # (N, h)
    scores = _levels(error.reshape(-1), naive_error.reshape(-1))
    if name != _REFERENCE and len(error) > error.shape[1]:
        dm = stats.diebold_mariano_mean(error, naive_error)
        scores.update(dm_stat=dm.statistic, dm_p_value=dm.p_value)
    return scores


def _levels(error: np.ndarray, naive_error: np.ndarray) -> dict[str, float]:
    rmse = float(np.sqrt(np.mean(error**2)))
    naive_rmse = float(np.sqrt(np.mean(naive_error**2)))
    nan = math.nan
    return {"n": len(error), "rmse": rmse, "mae": float(np.mean(np.abs(error))),
            "rmse_ratio": rmse / naive_rmse if naive_rmse > 0 else nan, "dm_stat": nan,
            "dm_p_value": nan, "cw_stat": nan, "cw_p_value": nan, "pt_p_value": nan}


def rolling_ratio(table: pd.DataFrame, models: Sequence[str], window: int = 63,
                  step: int = 1) -> pd.DataFrame:
    """Per target date, each model's RMSE over the last ``window`` forecasts of ``step``
    divided by the naive forecast's over the same forecasts (NaN until ``window`` are in)."""
    part = table[table["step"] == step].set_index("target_date")
    naive = ((part["actual"] - part[_REFERENCE]) ** 2).rolling(window).mean()
    return pd.DataFrame({name: np.sqrt(((part["actual"] - part[name]) ** 2)
                                       .rolling(window).mean() / naive) for name in models})


def cumulative_difference(table: pd.DataFrame, models: Sequence[str],
                          step: int = 1) -> pd.DataFrame:
    """Per target date, the running sum of (model squared error - naive squared error) for
    ``step``: it falls where the model forecasts better than the naive forecast."""
    part = table[table["step"] == step].set_index("target_date")
    naive = (part["actual"] - part[_REFERENCE]) ** 2
    return pd.DataFrame({name: ((part["actual"] - part[name]) ** 2 - naive).cumsum()
                         for name in models})
