"""Global backtests: at each refit date, one model fitted on every series' past, forecasting each.

The series share the backtest's refit dates and origins: each is planned like a single series
(:func:`lstmlab.backtest.plan.plan_blocks`, every check included), and their forecast days must
be the same, so that refit ``k`` is one date for all of them. A :class:`GlobalRefitTask` holds,
per series, the :class:`~lstmlab.backtest.refit.RefitTask` of its block (its rows and its
covariate rows); running it fits one :class:`lstmlab.panel.GlobalForecaster` on the rows before
the refit date of every series (their covariates cut at the same date) and forecasts each
series' origins with that series' own scalers. The engine (:mod:`.engine`) runs these tasks
like any other: in parallel, stored by key, resumed.

Each series is then pooled and scored exactly as a single-series backtest
(:func:`lstmlab.backtest.result.assemble`): against its own baselines, with its own validation
selection. :attr:`GlobalBacktest.per_series` holds those, :meth:`GlobalBacktest.pooled` one row
per series and model. A refit's ``fit_seconds`` is the one shared global fit: every series'
refit table shows it, and :attr:`GlobalBacktest.fit_seconds` counts it once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmlab.backtest.plan import BacktestSettings, Block, inner_split, plan_blocks
from lstmlab.backtest.refit import (
    ARRAYS,
    RefitResult,
    RefitTask,
    digest_key,
    model_state,
    past_of,
    read_stored,
    series_result,
    stored_path,
    training_summary,
)
from lstmlab.backtest.result import Backtest, assemble
from lstmlab.backtest.run import block_task, chain_tasks, covariate_frames, execute, seeds_of
from lstmlab.errors import ConfigError, DataError
from lstmlab.trading_days import DEFAULT_CALENDAR

if TYPE_CHECKING:
    import torch

    from lstmlab.config import ForecastConfig

__all__ = ["GlobalBacktest", "GlobalRefitResult", "GlobalRefitTask", "plan_global",
           "run_global_backtest"]

_FORMAT = "lstmlab.backtest.global-refit/1"


@dataclass(frozen=True)
class GlobalRefitTask:
    """One global fit at one refit date: ``parts`` holds each series' block task (the same
    ``config`` and block number in each); ``previous`` (fine-tuning) the task before it."""

    config: ForecastConfig
    series_id: bool
    parts: dict[str, RefitTask] = field(repr=False)
    previous: GlobalRefitTask | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """16 hex digits of a SHA-256 over every part's key (rows, covariates, config, block),
        the series' order, ``series_id`` and the previous task's key."""
        return digest_key({"format": _FORMAT, "series_id": self.series_id,
                           "series": [[name, t.key] for name, t in self.parts.items()],
                           "previous": self.previous.key if self.previous else None})

    def run(self, start_state: dict[str, torch.Tensor] | None = None) -> GlobalRefitResult:
        """Fit the global model on every series' past; forecast every series' origins."""
        from lstmlab.runtime import torch_threads

        with torch_threads(self.config.num_threads):
            return _fit(self, start_state)

    def load(self, folder: Path) -> GlobalRefitResult | None:
        """This task's stored result in ``folder``, if any (a damaged one counts as none)."""
        return _load(folder, self.key, list(self.parts))


@dataclass
class GlobalRefitResult:
    """What one global refit produced: per series a :class:`RefitResult` (its forecasts, bands,
    calibration and validation forecasts, no weights), the shared fit's seconds, summary and
    weights."""

    key: str
    block: int
    cell: str
    seed: int
    parts: dict[str, RefitResult]
    fit_seconds: float
    summary: dict[str, Any]
    state: dict[str, torch.Tensor] = field(repr=False)
    cached: bool = False

    def save(self, folder: Path) -> Path:
        """Store as ``folder/<key>.safetensors``: the weights, then each series' arrays."""
        import torch

        from lstmlab import persist

        tensors = {f"model.{k}": v for k, v in self.state.items()}
        for i, part in enumerate(self.parts.values()):
            tensors.update({f"part{i}.{name}": torch.from_numpy(
                np.ascontiguousarray(getattr(part, name))) for name in ARRAYS})
        meta = {"config": {"cell": self.cell, "seed": self.seed, "format": _FORMAT},
                "manifest": {"key": self.key, "block": self.block,
                             "fit_seconds": self.fit_seconds, "summary": self.summary,
                             "parts": [{"series": name, "key": p.key, "block": p.block,
                                        "summary": p.summary, "calibration": p.calibration}
                                       for name, p in self.parts.items()]}}
        return persist.save_model(stored_path(folder, self.key), tensors, meta)


def _fit(task: GlobalRefitTask, start_state: dict[str, torch.Tensor] | None
         ) -> GlobalRefitResult:
    from lstmlab.panel import GlobalForecaster

    config = task.config.replace(split=inner_split(task.config))
    pasts = {name: past_of(part)[0] for name, part in task.parts.items()}
    # every part's covariate rows end on the same date; the longest history's hold the others'
    _, covariates = past_of(min(task.parts.values(), key=lambda t: t.prices.index[0]))
    start = time.perf_counter()
    model = GlobalForecaster(config, series_id=task.series_id).fit(
        pasts, covariates=covariates, start_state=start_state)
    seconds = time.perf_counter() - start
    summary = training_summary(model.history_, model.best_epoch_, model.stop_reason_)
    parts = {name: series_result(part, model.model_for(name), model.prepared_[name], seconds,
                                 summary, {}, model.calibrations_[name].to_dict(),
                                 model.bands_[name]) for name, part in task.parts.items()}
    state = {k: v.detach().cpu().clone() for k, v in model.model_.state_dict().items()}
    first = next(iter(task.parts.values()))
    return GlobalRefitResult(task.key, first.block.id, config.cell, config.seed, parts, seconds,
                             summary, state)


def _load(folder: Path, key: str, series: list[str]) -> GlobalRefitResult | None:
    stored = read_stored(folder, key)
    if stored is None:
        return None
    tensors, meta = stored
    try:
        info, config = meta["manifest"], meta["config"]
        cell, seed = str(config["cell"]), int(config["seed"])
        parts = {}
        for i, part in enumerate(info["parts"]):
            arrays = {name: tensors[f"part{i}.{name}"].numpy() for name in ARRAYS}
            parts[str(part["series"])] = RefitResult(
                str(part["key"]), int(part["block"]), cell, seed, **arrays,
                fit_seconds=float(info["fit_seconds"]), summary=dict(part["summary"]),
                calibration=dict(part["calibration"]), state={}, cached=True)
        block, seconds, summary = int(info["block"]), float(info["fit_seconds"]), dict(
            info["summary"])
    except (KeyError, TypeError, ValueError):
        return None  # not what lstmlab writes: refitted (and overwritten)
    if list(parts) != series:
        return None  # not this task's series (a hash collision): refit
    return GlobalRefitResult(key, block, cell, seed, parts, seconds, summary, model_state(tensors),
                             cached=True)


def plan_global(series: Mapping[str, pd.DataFrame], configs: Mapping[str, ForecastConfig],
                settings: BacktestSettings, seeds: Sequence[int], *, series_id: bool = False,
                calendar: str = DEFAULT_CALENDAR,
                covariates: Mapping[str, pd.DataFrame] | None = None,
                ) -> tuple[dict[str, list[Block]], list[list[GlobalRefitTask]]]:
    """Each series' blocks and the global refit tasks (see
    :func:`lstmlab.backtest.run.chain_tasks`), every setting checked for every series."""
    frames = dict(covariates or {})
    first = next(iter(configs.values()))
    blocks = {name: plan_blocks(prices, first, settings, calendar, covariates=frames)
              for name, prices in series.items()}
    _check_same_days(series, blocks)

    def make(config: ForecastConfig, i: int, previous: GlobalRefitTask | None
             ) -> GlobalRefitTask:
        parts = {name: block_task(config, blocks[name][i], prices, frames)
                 for name, prices in series.items()}
        return GlobalRefitTask(config, series_id, parts, previous)

    count = len(next(iter(blocks.values())))
    return blocks, chain_tasks(configs, seeds, count, settings, make)


def _check_same_days(series: Mapping[str, pd.DataFrame],
                     blocks: Mapping[str, list[Block]]) -> None:
    """Refuse series whose forecast origins or refit dates differ (one global refit date)."""
    days = {}
    for name, mine in blocks.items():
        index = series[name].index
        rows = [b.refit for b in mine] + [o for b in mine for o in b.origins]
        days[name] = pd.DatetimeIndex(index[rows]).unique().sort_values()
    (reference, expected), *others = days.items()
    for name, got in others:
        if got.equals(expected):
            continue
        lacks, extra = expected.difference(got), got.difference(expected)
        date, holder, other = ((lacks[0], reference, name) if len(lacks) and
                               (not len(extra) or lacks[0] < extra[0])
                               else (extra[0], name, reference))
        raise DataError(
            f"a global backtest refits and forecasts every series on the same days, but "
            f"{other} lacks {date:%Y-%m-%d}, a refit or origin day of {holder}; fill the "
            f"missing days (load_prices(..., fill='ffill')), give the series the same end, or "
            f"backtest them one by one")


@dataclass
class GlobalBacktest:
    """A global model's rolling-origin backtest over several series.

    ``per_series``: each series' :class:`Backtest` (its forecasts next to its own baselines,
    scored as a single-series backtest is). ``refits``: one row per global fit (refit, cell,
    seed, date, training summary, seconds, stored).
    """

    settings: BacktestSettings
    configs: dict[str, ForecastConfig]
    series_id: bool
    per_series: dict[str, Backtest]
    refits: pd.DataFrame

    @property
    def fit_seconds(self) -> float:
        """Seconds the global fits took, each counted once."""
        return float(self.refits["fit_seconds"].sum())

    def pooled(self, step: int = 1) -> pd.DataFrame:
        """Per (series, model): the pooled scores at ``step`` (``n``, ``rmse``, ``rmse_ratio``
        to that series' naive forecast, the DM and Clark-West p-values)."""
        parts = {}
        for name, backtest in self.per_series.items():
            rows = backtest.metrics.query("scope == 'pooled' and step == @step")
            parts[name] = rows.set_index("model").loc[backtest.models, [
                "n", "rmse", "rmse_ratio", "dm_p_value", "cw_p_value"]]
        table: pd.DataFrame = pd.concat(parts, names=["series"])
        return table


def run_global_backtest(
    series: Mapping[str, Any], configs: Mapping[str, ForecastConfig],
    settings: BacktestSettings, *, series_id: bool = False, seeds: Sequence[int] | None = None,
    jobs: int = 0, address: str | None = None, store: Path | None = None,
    calendar: str = DEFAULT_CALENDAR, covariates: Mapping[str, Any] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_refit: Callable[[GlobalRefitResult], None] | None = None,
) -> GlobalBacktest:
    """Backtest each cell's config as one global model over ``series`` (name -> prices).

    Settings, ``seeds``, ``jobs``, ``address``, ``store``, ``calendar``, ``covariates`` and the
    callbacks as in :func:`lstmlab.backtest.run.run_backtest`; ``series_id`` as in
    :class:`lstmlab.panel.GlobalForecaster`. Every setting is checked for every series before
    the first fit.
    """
    from lstmlab.data.load import as_prices
    from lstmlab.panel import refuse_itself

    if len(series) < 2:
        raise ConfigError(f"a global backtest needs at least two series, got {len(series)}")
    seeds = seeds_of(configs, seeds)
    frames = {name: as_prices(prices) for name, prices in series.items()}
    extra = covariate_frames(configs, covariates)
    refuse_itself(frames, extra, next(iter(configs.values())).target_column)
    blocks, chains = plan_global(frames, configs, settings, seeds, series_id=series_id,
                                 calendar=calendar, covariates=extra)
    results = execute(chains, store=store, jobs=jobs, address=address, on_start=on_start,
                      on_refit=on_refit)
    per_series = {name: assemble(frames[name], configs, settings, blocks[name], seeds,
                                 [r.parts[name] for r in results]) for name in frames}
    return GlobalBacktest(settings, dict(configs), series_id, per_series,
                          _refit_table(results, blocks, frames))


def _refit_table(results: Sequence[GlobalRefitResult], blocks: Mapping[str, list[Block]],
                 series: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    name = next(iter(series))
    dates = {b.id: f"{series[name].index[b.refit]:%Y-%m-%d}" for b in blocks[name]}
    rows = [{"refit": r.block, "cell": r.cell, "seed": r.seed, "refit_date": dates[r.block],
             **r.summary, "fit_seconds": round(r.fit_seconds, 3), "stored": r.cached}
            for r in results]
    table: pd.DataFrame = pd.DataFrame(rows).sort_values(["refit", "cell", "seed"],
                                                         kind="stable", ignore_index=True)
    return table
