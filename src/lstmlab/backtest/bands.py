"""The bands of a backtest: every refit's intervals, calibrated as time goes on, and the naive one.

Each refit keeps its model's own central ``1 - alpha`` band at its origins, the conformal
calibration fitted on its own calibration windows (:mod:`lstmlab.intervals`) and the quantiles
of its validation log errors. From those, per model and per origin, :func:`band_table` makes:

- ``adaptive``: adaptive conformal inference (Gibbs & Candes 2021) around the model's band,
  *one* online run over all origins in time order, carried across refits: the first refit's
  calibration seeds it, and each later block continues its miss rate and score window with its
  own model's bands (the guarantee on the long-run miss rate holds for any sequence of scores,
  a change of model included). Each radius is issued before the outcome it is scored on is
  known; step ``k``'s outcome is learnt ``k`` origins later.
- ``split``: split conformal, each block with its own refit's radius;
- ``model``: the distribution head's own quantiles, uncalibrated (not for a point model, whose
  band has no width);
- ``residual``: the forecast times the 5% and 95% quantiles of the exponentiated validation log
  errors (``Forecaster.band_``, lstmlab's first band);
- and, for ``naive``, ``volatility``: the interval baseline of
  :func:`lstmlab.baselines.volatility_band` at the same origins.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lstmlab.baselines import volatility_band
from lstmlab.intervals import BandCalibration, widen

if TYPE_CHECKING:
    from lstmlab.backtest.plan import Block
    from lstmlab.backtest.refit import RefitResult
    from lstmlab.config import ForecastConfig

__all__ = ["BAND_COLUMNS", "BAND_METHODS", "DEFAULT_METHOD", "METHOD_LABELS", "band_table",
           "default_bands"]

BAND_METHODS = ("adaptive", "split", "model", "residual", "volatility")
METHOD_LABELS = {"adaptive": "adaptive conformal", "split": "split conformal",
                 "model": "the head's own quantiles", "residual": "validation residual band",
                 "volatility": "volatility band"}
DEFAULT_METHOD = {"model": "adaptive", "naive": "volatility"}  # each forecast's headline band
BAND_COLUMNS = ("origin", "step", "target_date", "refit", "model", "method", "actual", "point",
                "lower", "upper")

Band = tuple[np.ndarray, np.ndarray]  # (lower, upper), each (N, h) prices


def band_table(prices: pd.DataFrame, blocks: Sequence[Block], results: Sequence[RefitResult],
               configs: Mapping[str, ForecastConfig], names: Mapping[tuple[str, int], str]
               ) -> pd.DataFrame:
    """One row per (origin, step, model, method): columns :data:`BAND_COLUMNS`, prices.

    ``names`` maps each (cell, seed) to the forecast column its bands belong to (the cell with
    one seed, ``<cell>_seed<s>`` with several: a seed ensemble's band is not calibrated by its
    members' calibrations, so it has none).
    """
    first = next(iter(configs.values()))
    h, alpha = first.horizon, first.alpha
    series = prices[first.target_column].to_numpy(dtype=np.float64)
    origins = np.concatenate([np.asarray(b.origins, dtype=np.int64) for b in blocks])  # (N,)
    rows = origins[:, None] + np.arange(1, h + 1)[None, :]  # (N, h) target rows
    actual = series[rows]  # (N, h)
    parts = []
    for (cell, seed), name in names.items():
        mine = sorted((r for r in results if (r.cell, r.seed) == (cell, seed)),
                      key=lambda r: r.block)
        point = np.concatenate([r.forecasts for r in mine])  # (N, h)
        for method, band in _model_bands(mine, actual, 1 - alpha,
                                         configs[cell].loss != "mse").items():
            parts.append((name, method, point, band))
    naive = np.repeat(series[origins][:, None], h, axis=1)  # (N, h)
    parts.append(("naive", "volatility", naive, volatility_band(series, origins, h, alpha)))
    refit = np.concatenate([np.full(len(b.origins), b.id) for b in blocks])  # (N,)
    frames = [_long(prices.index, origins, rows, refit, actual, *part) for part in parts]
    table: pd.DataFrame = pd.concat(frames, ignore_index=True)
    return table


def _model_bands(results: Sequence[RefitResult], actual: np.ndarray, level: float,
                 has_head: bool) -> dict[str, Band]:
    """Every method's band for one (cell, seed), its refits in block order."""
    level = round(level, 10)
    lower = np.concatenate([r.bands[..., 0] for r in results])  # (N, h)
    upper = np.concatenate([r.bands[..., 1] for r in results])  # (N, h)
    point = np.concatenate([r.forecasts for r in results])  # (N, h)
    calibrations = [BandCalibration.from_dict(r.calibration) for r in results]
    sizes = [len(r.origins) for r in results]
    split = np.concatenate([np.tile(c.levels[level].split.radius, (n, 1))
                            for c, n in zip(calibrations, sizes, strict=True)])  # (N, h)
    residual = np.concatenate([np.tile(r.residual_band, (n, 1, 1))
                               for r, n in zip(results, sizes, strict=True)])  # (N, h, 2)
    bands = {"adaptive": widen(lower, upper, _adaptive_radii(calibrations[0], lower, upper,
                                                             actual, level)),
             "split": widen(lower, upper, split),
             "residual": (point * np.exp(residual[..., 0]), point * np.exp(residual[..., 1]))}
    if has_head:
        bands["model"] = (lower, upper)
    return {method: bands[method] for method in BAND_METHODS if method in bands}


def _adaptive_radii(seed: BandCalibration, lower: np.ndarray, upper: np.ndarray,
                    actual: np.ndarray, level: float) -> np.ndarray:
    """``(N, h)`` radii of one adaptive conformal run over every origin in time order.

    ``seed`` (the first refit's calibration) starts it; each origin's score is taken around its
    own refit's band, and the state (miss rate, score window, outcomes not yet known) runs on
    through the refits as if nothing had changed.
    """
    online = BandCalibration({level: copy.deepcopy(seed.levels[level])}, seed.n)
    return online.update({level: (lower, upper)}, actual)[level]


def _long(dates: pd.Index, origins: np.ndarray, rows: np.ndarray, refit: np.ndarray,
          actual: np.ndarray, name: str, method: str, point: np.ndarray, band: Band
          ) -> pd.DataFrame:
    """One model's and method's ``(N, h)`` arrays as rows of the band table."""
    h = rows.shape[1]
    long: pd.DataFrame = pd.DataFrame({
        "origin": np.repeat(dates[origins], h), "step": np.tile(np.arange(1, h + 1), len(origins)),
        "target_date": dates[rows.reshape(-1)], "refit": np.repeat(refit, h), "model": name,
        "method": method, "actual": actual.reshape(-1), "point": point.reshape(-1),
        "lower": band[0].reshape(-1), "upper": band[1].reshape(-1)})
    return long


def default_bands(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` (with ``model`` and ``method`` columns: bands or their scores) that
    are each forecast's headline band: ``adaptive`` for a model, ``volatility`` for naive."""
    default = np.where(table["model"] == "naive", DEFAULT_METHOD["naive"],
                       DEFAULT_METHOD["model"])
    rows: pd.DataFrame = table[table["method"] == default]
    return rows
