"""``Backtest``: the pooled out-of-sample forecasts of every refit, with the baselines beside them.

:func:`assemble` joins the refits' forecasts into one table with a row per (origin, step): the
origin date, the step ``k``, the target date, the refit block that made the forecast, the actual
price, each model and each baseline (made at the same origins from prices up to the origin
only). With several seeds a cell's column is the seed ensemble (the mean forecast) and each seed
keeps its own column ``<cell>_seed<s>``.

Column ``selected`` is the forecast an honest user of the backtest would have made: at each
refit, the model or baseline with the lowest RMSE on that refit's own validation part (inside
its past), used until the next refit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from lstmlab.backtest.plan import BacktestSettings, Block
from lstmlab.backtest.refit import RefitResult
from lstmlab.baselines import baseline_forecasts

if TYPE_CHECKING:
    from lstmlab.config import ForecastConfig

__all__ = ["Backtest", "assemble", "seed_column"]

ID_COLUMNS = ("origin", "step", "target_date", "refit", "actual")
SELECTED = "selected"  # the column of the forecaster chosen on validation at each refit


def seed_column(cell: str, seed: int) -> str:
    """Name of one seed's forecast column when several seeds are trained."""
    return f"{cell}_seed{seed}"


@dataclass
class Backtest:
    """A rolling-origin backtest's outcome.

    ``predictions``: one row per (origin, step), columns :data:`ID_COLUMNS`, then the models
    (``models``) and the baselines (``baselines``), in price units. ``refits``: one row per
    (block, cell, seed) with its dates, epochs and fit seconds. ``selection``: one row per
    block, the validation RMSE of every candidate and the one ``selected``. ``metrics``: pooled
    and per-block scores per step (see :func:`lstmlab.backtest.scoring.score_backtest`), with
    the interval scores of each forecast's headline band (adaptive conformal for a model, the
    volatility band for naive). ``bands``: one row per (origin, step, model, method), every
    band of every model (:func:`lstmlab.backtest.bands.band_table`), and ``intervals`` their
    scores (:func:`lstmlab.backtest.scoring.score_bands`).
    """

    settings: BacktestSettings
    configs: dict[str, ForecastConfig]
    models: list[str]
    baselines: list[str]
    predictions: pd.DataFrame
    refits: pd.DataFrame
    selection: pd.DataFrame
    metrics: pd.DataFrame
    bands: pd.DataFrame
    intervals: pd.DataFrame

    @property
    def fit_seconds(self) -> float:
        """Seconds the refits spent in ``fit`` (stored refits count the time they once took)."""
        return float(self.refits["fit_seconds"].sum())

    def ratio(self, model: str, step: int = 1) -> float:
        """Pooled RMSE of ``model`` at ``step`` divided by the naive forecast's."""
        row = self.metrics.query("scope == 'pooled' and step == @step and model == @model")
        return float(row["rmse_ratio"].iloc[0])


def assemble(prices: pd.DataFrame, configs: Mapping[str, ForecastConfig],
             settings: BacktestSettings, blocks: Sequence[Block], seeds: Sequence[int],
             results: Sequence[RefitResult]) -> Backtest:
    """The :class:`Backtest` of ``results`` (one per block, cell and seed) on ``prices``."""
    from lstmlab.backtest.bands import band_table, default_bands
    from lstmlab.backtest.scoring import score_backtest, score_bands

    first = next(iter(configs.values()))
    h, column = first.horizon, first.target_column
    origins = np.concatenate([np.asarray(b.origins, dtype=np.int64) for b in blocks])  # (N,)
    refit_of = np.concatenate([np.full(len(b.origins), b.id) for b in blocks])  # (N,)
    series = prices[column].to_numpy(dtype=np.float64)
    forecasts = _model_forecasts(results, configs, seeds, blocks)  # name -> (N, h)
    mean_return = {r.block: float(r.summary["mean_return"]) for r in results}
    baselines = _baselines(series, blocks, mean_return, h, first.baseline_window)
    selection = _select(series, blocks, results, mean_return, h, first.baseline_window)
    choice = dict(zip(selection["refit"], selection[SELECTED], strict=True))
    forecasts[SELECTED] = _switch({**forecasts, **baselines}, refit_of, choice)
    steps = np.arange(1, h + 1)
    rows = origins[:, None] + steps[None, :]  # (N, h) target rows
    table = pd.DataFrame({
        "origin": np.repeat(prices.index[origins], h),
        "step": np.tile(steps, len(origins)),
        "target_date": prices.index[rows.reshape(-1)],
        "refit": np.repeat(refit_of, h),
        "actual": series[rows].reshape(-1),
    })
    for name, values in {**forecasts, **baselines}.items():
        table[name] = values.reshape(-1)
    table = table.sort_values(["step", "origin"], kind="stable").reset_index(drop=True)
    models = list(forecasts)
    names = {(cell, s): cell if len(seeds) == 1 else seed_column(cell, s)
             for cell in configs for s in seeds}
    bands = band_table(prices, blocks, results, configs, names)
    intervals = score_bands(bands, first.alpha, settings.step)
    metrics = score_backtest(table, models, list(baselines), settings.step)
    headline = default_bands(intervals).drop(columns=["method", "n"])
    metrics = metrics.merge(headline, on=["scope", "refit", "step", "model"], how="left")
    return Backtest(settings, dict(configs), models, list(baselines), table,
                    _refit_table(results, blocks, cast(pd.DatetimeIndex, prices.index)),
                    selection, metrics, bands, intervals)


def _baselines(series: np.ndarray, blocks: Sequence[Block], mean_return: Mapping[int, float],
               horizon: int, ma_window: int) -> dict[str, np.ndarray]:
    """Each baseline's ``(N, h)`` forecasts; the mean-return one uses each block's own training
    mean (every cell and seed of a block fits the same past, hence the same mean)."""
    parts = [baseline_forecasts(series, np.asarray(b.origins, dtype=np.int64), horizon,
                                ma_window=ma_window, mean_return=mean_return[b.id])
             for b in blocks]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _select(series: np.ndarray, blocks: Sequence[Block], results: Sequence[RefitResult],
            mean_return: Mapping[int, float], horizon: int, ma_window: int) -> pd.DataFrame:
    """Per block, every candidate's RMSE (all steps) on the refit's validation windows and the
    lowest; baselines come first, so a tie goes to the simpler forecast."""
    rows = []
    for block in blocks:
        mine = [r for r in results if r.block == block.id]
        origins = mine[0].val_origins  # (V,) the same validation windows for every cell
        actual = series[origins[:, None] + np.arange(1, horizon + 1)[None, :]]  # (V, h)
        candidates = baseline_forecasts(series, origins, horizon, ma_window=ma_window,
                                        mean_return=mean_return[block.id])
        for cell in dict.fromkeys(r.cell for r in mine):  # each cell's seed ensemble
            candidates[cell] = np.mean([r.val_forecasts for r in mine if r.cell == cell], axis=0)
        rmse = {name: float(np.sqrt(np.mean((actual - f) ** 2))) for name, f in
                candidates.items()}
        rows.append({"refit": block.id, SELECTED: min(rmse, key=rmse.__getitem__),
                     **{f"val_rmse_{name}": value for name, value in rmse.items()}})
    return pd.DataFrame(rows)


def _switch(forecasts: Mapping[str, np.ndarray], refit_of: np.ndarray,
            choice: Mapping[int, str]) -> np.ndarray:
    """``(N, h)``: each origin's forecast from the candidate chosen for its block."""
    out = np.empty_like(next(iter(forecasts.values())))
    for refit, name in choice.items():
        rows = refit_of == refit
        out[rows] = forecasts[name][rows]
    return out


def _model_forecasts(results: Sequence[RefitResult], configs: Mapping[str, ForecastConfig],
                     seeds: Sequence[int], blocks: Sequence[Block]) -> dict[str, np.ndarray]:
    """Per cell (the seed mean) and, with several seeds, per seed: ``(N, h)`` forecasts."""
    by_key = {(r.cell, r.seed, r.block): r.forecasts for r in results}
    out: dict[str, np.ndarray] = {}
    for cell in configs:
        per_seed = {s: np.concatenate([by_key[(cell, s, b.id)] for b in blocks]) for s in seeds}
        out[cell] = np.mean(list(per_seed.values()), axis=0)  # (N, h): the seed ensemble
        if len(seeds) > 1:
            out.update({seed_column(cell, s): values for s, values in per_seed.items()})
    return out


def _refit_table(results: Sequence[RefitResult], blocks: Sequence[Block],
                 index: pd.DatetimeIndex) -> pd.DataFrame:
    by_id = {b.id: b for b in blocks}
    rows = []
    for r in results:
        block = by_id[r.block]
        rows.append({"refit": r.block, "cell": r.cell, "seed": r.seed,
                     "refit_date": f"{index[block.refit]:%Y-%m-%d}",
                     "first_origin": f"{index[block.origins[0]]:%Y-%m-%d}",
                     "last_origin": f"{index[block.origins[-1]]:%Y-%m-%d}",
                     "origins": len(block.origins), **r.summary,
                     "fit_seconds": round(r.fit_seconds, 3), "stored": r.cached})
    return pd.DataFrame(rows).sort_values(["refit", "cell", "seed"], kind="stable",
                                          ignore_index=True)
