"""Running a backtest: plan the refit tasks, run the missing ones, pool their forecasts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lstmlab.backtest.plan import BacktestSettings, Block, plan_blocks
from lstmlab.backtest.refit import RefitResult, RefitTask, cut_dates, stored_path
from lstmlab.backtest.result import Backtest
from lstmlab.trading_days import DEFAULT_CALENDAR

if TYPE_CHECKING:
    import pandas as pd

    from lstmlab.backtest.engine import Result, Task
    from lstmlab.config import ForecastConfig

__all__ = ["chain_tasks", "covariate_frames", "execute", "plan_tasks", "run_backtest"]

T = TypeVar("T")
R = TypeVar("R", bound="Result")


def chain_tasks(configs: Mapping[str, ForecastConfig], seeds: Sequence[int], count: int,
                settings: BacktestSettings,
                make: Callable[[ForecastConfig, int, T | None], T]) -> list[list[T]]:
    """Refit tasks ``make(config, block position, previous task)`` for every (cell, seed) and
    each of the ``count`` blocks: one chain per (cell, seed) when fine-tuning (each block
    continues the one before, ``previous``), else one single-task chain per block."""
    finetune = settings.refit == "finetune"
    chains: list[list[T]] = []
    for config in configs.values():
        for seed in seeds:
            seeded, previous, chain = config.replace(seed=seed), None, []
            for position in range(count):
                task = make(seeded, position, previous if finetune else None)
                chain.append(task)
                previous = task
            chains.extend([chain] if finetune else [[t] for t in chain])
    return chains


def block_task(config: ForecastConfig, block: Block, prices: pd.DataFrame,
               covariates: Mapping[str, pd.DataFrame], previous: RefitTask | None = None
               ) -> RefitTask:
    """The task of ``block``: the price rows it reads, the same dates of each covariate, and
    each known table from the same first date on (its later rows are known in advance)."""
    rows = prices.iloc[block.fit_start : block.last_row + 1]
    known = {name for name, _ in config.known}
    return RefitTask(config, block, rows, previous,
                     cut_dates(covariates, rows.index[0], rows.index[-1], keep=known))


def plan_tasks(prices: pd.DataFrame, configs: Mapping[str, ForecastConfig],
               settings: BacktestSettings, seeds: Sequence[int],
               calendar: str = DEFAULT_CALENDAR,
               covariates: Mapping[str, pd.DataFrame] | None = None,
               ) -> tuple[list[Block], list[list[RefitTask]]]:
    """The blocks and the refit tasks (see :func:`chain_tasks`); ``covariates`` are the loaded
    frames of the configs' covariate sources."""
    frames = dict(covariates or {})
    blocks = plan_blocks(prices, next(iter(configs.values())), settings, calendar,
                         covariates=frames)
    return blocks, chain_tasks(
        configs, seeds, len(blocks), settings,
        lambda config, i, previous: block_task(config, blocks[i], prices, frames, previous))


def covariate_frames(configs: Mapping[str, ForecastConfig],
                     covariates: Mapping[str, Any] | None) -> dict[str, pd.DataFrame]:
    """The loaded frame of every covariate and known source of ``configs``: from ``covariates``
    (source -> prices or table) or loaded (:func:`lstmlab.pipeline.load_inputs`)."""
    from lstmlab.pipeline import load_inputs

    frames: dict[str, pd.DataFrame] = {}
    for config in configs.values():
        frames.update(load_inputs(config, {**(covariates or {}), **frames}))
    return frames


def execute(chains: Sequence[Sequence[Task[R]]], *, store: Path | None, jobs: int,
            address: str | None, on_start: Callable[[int, int], None] | None,
            on_refit: Callable[[R], None] | None) -> list[R]:
    """Tell ``on_start`` the counts, then run the chains' missing refits (the engine)."""
    from lstmlab.backtest.engine import run_refits

    if on_start:
        tasks = [task for chain in chains for task in chain]
        on_start(len(tasks), sum(1 for t in tasks if store and stored_path(store, t.key).is_file()))
    return run_refits(chains, store=store, jobs=jobs, address=address, on_refit=on_refit)


def seeds_of(configs: Mapping[str, ForecastConfig], seeds: Sequence[int] | None) -> list[int]:
    """``seeds``, or the first config's own seed, once ``configs`` are checked: at least one,
    all with the same ``alpha`` (their bands are scored at one level)."""
    from lstmlab.errors import ConfigError

    if not configs:
        raise ConfigError("a backtest needs at least one model config")
    alphas = {cell: config.alpha for cell, config in configs.items()}
    if len(set(alphas.values())) > 1:
        raise ConfigError(f"the configs of one backtest must share alpha (their bands are "
                          f"scored at one level); got {alphas}")
    return list(seeds) if seeds is not None else [next(iter(configs.values())).seed]


def run_backtest(prices: pd.DataFrame, configs: Mapping[str, ForecastConfig],
                 settings: BacktestSettings, *, seeds: Sequence[int] | None = None,
                 jobs: int = 0, address: str | None = None, store: Path | None = None,
                 calendar: str = DEFAULT_CALENDAR, covariates: Mapping[str, Any] | None = None,
                 on_start: Callable[[int, int], None] | None = None,
                 on_refit: Callable[[RefitResult], None] | None = None) -> Backtest:
    """Backtest each cell's config on ``prices`` (a loaded frame) from ``settings.start``.

    ``seeds`` (default: each config's own seed) are trained per cell; ``jobs`` caps the worker
    processes (0: one per core, 1: all in this process); ``address`` runs the refits on that Ray
    cluster instead; ``store`` keeps each finished refit so that a rerun only fits the missing
    ones; ``calendar`` names the trading days that the gap check counts. ``covariates`` maps the
    configs' covariate sources to their prices and their known sources to their tables (the
    others are loaded); each refit sees the covariates cut at its refit date like the series,
    and the known tables whole (known in advance; scaled on the refit's training part only).
    ``on_start(refits, stored)`` is told the counts before any fit, ``on_refit`` sees each
    refit as it finishes. Every setting is checked before the first fit.
    """
    from lstmlab.backtest.result import assemble

    seeds = seeds_of(configs, seeds)
    frames = covariate_frames(configs, covariates)
    blocks, chains = plan_tasks(prices, configs, settings, seeds, calendar, frames)
    results = execute(chains, store=store, jobs=jobs, address=address, on_start=on_start,
                      on_refit=on_refit)
    return assemble(prices, configs, settings, blocks, seeds, results)
