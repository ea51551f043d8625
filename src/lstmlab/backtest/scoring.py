"""Scores of a backtest's pooled out-of-sample forecasts, per step and per refit block.

Each step ``k`` is scored on its own (its errors overlap across origins ``k - 1`` deep, so its
Diebold-Mariano test uses that many HAC lags, fewer when origins are spaced ``step`` days
apart), over all origins pooled and within each refit block, so a reader sees how the verdict
moves over time. The two series behind the backtest charts are here too: the rolling RMSE ratio
to the naive forecast and the cumulative squared-error difference against it (Goyal & Welch
2008: where the line falls, the model is winning).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lstmlab.metrics import diebold_mariano

__all__ = ["METRIC_COLUMNS", "cumulative_difference", "rolling_ratio", "score_backtest"]

METRIC_COLUMNS = ("n", "rmse", "mae", "rmse_ratio", "dm_stat", "dm_p_value")
_REFERENCE = "naive"


def score_backtest(table: pd.DataFrame, models: Sequence[str], baselines: Sequence[str],
                   spacing: int = 1) -> pd.DataFrame:
    """Metrics with columns ``scope`` (``pooled`` or ``block``), ``refit`` (-1 when pooled),
    ``step``, ``model``, then :data:`METRIC_COLUMNS`; every model and baseline, each step."""
    rows = []
    for step, part in table.groupby("step", sort=True):
        lags = math.ceil(int(step) / spacing)  # overlap of step-k errors between origins
        groups = [("pooled", -1, part), *(("block", int(refit), rows_of_block)
                                          for refit, rows_of_block in part.groupby("refit"))]
        for scope, refit, rows_part in groups:
            for name in [*models, *baselines]:
                rows.append({"scope": scope, "refit": refit, "step": int(step), "model": name,
                             **_scores(rows_part, name, lags)})
    return pd.DataFrame(rows)


def _scores(part: pd.DataFrame, name: str, lags: int) -> dict[str, float]:
    actual = part["actual"].to_numpy()
    error = actual - part[name].to_numpy()
    naive_error = actual - part[_REFERENCE].to_numpy()
    rmse = float(np.sqrt(np.mean(error**2)))
    naive_rmse = float(np.sqrt(np.mean(naive_error**2)))
    dm_stat, dm_p = (math.nan, math.nan)
    if name != _REFERENCE and len(error) > lags:
        dm_stat, dm_p = diebold_mariano(error, naive_error, horizon=lags)
    return {"n": len(error), "rmse": rmse, "mae": float(np.mean(np.abs(error))),
            "rmse_ratio": rmse / naive_rmse if naive_rmse > 0 else math.nan,
            "dm_stat": dm_stat, "dm_p_value": dm_p}


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
