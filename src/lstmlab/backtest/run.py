"""Running a backtest: plan the refit tasks, run the missing ones, pool their forecasts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lstmlab.backtest.plan import BacktestSettings, Block, plan_blocks
from lstmlab.backtest.refit import RefitResult, RefitTask, stored_path
from lstmlab.backtest.result import Backtest
from lstmlab.trading_days import DEFAULT_CALENDAR

if TYPE_CHECKING:
    import pandas as pd

    from lstmlab.config import ForecastConfig

__all__ = ["plan_tasks", "run_backtest"]


def plan_tasks(prices: pd.DataFrame, configs: Mapping[str, ForecastConfig],
               settings: BacktestSettings, seeds: Sequence[int],
               calendar: str = DEFAULT_CALENDAR) -> tuple[list[Block], list[list[RefitTask]]]:
    """The blocks and the refit tasks: one chain per (cell, seed) when fine-tuning (each block
    continues the one before), else one single-task chain per (cell, seed, block)."""
    blocks = plan_blocks(prices, next(iter(configs.values())), settings, calendar)
    chains: list[list[RefitTask]] = []
    for config in configs.values():
        for seed in seeds:
            seeded, previous, chain = config.replace(seed=seed), None, []
            for block in blocks:
                rows = prices.iloc[block.fit_start : block.last_row + 1]
                task = RefitTask(seeded, block, rows,
                                 previous if settings.refit == "finetune" else None)
                chain.append(task)
                previous = task
            chains.extend([chain] if settings.refit == "finetune" else [[t] for t in chain])
    return blocks, chains


def run_backtest(prices: pd.DataFrame, configs: Mapping[str, ForecastConfig],
                 settings: BacktestSettings, *, seeds: Sequence[int] | None = None,
                 jobs: int = 0, address: str | None = None, store: Path | None = None,
                 calendar: str = DEFAULT_CALENDAR,
                 on_start: Callable[[int, int], None] | None = None,
                 on_refit: Callable[[RefitResult], None] | None = None) -> Backtest:
    """Backtest each cell's config on ``prices`` (a loaded frame) from ``settings.start``.

    ``seeds`` (default: each config's own seed) are trained per cell; ``jobs`` caps the worker
    processes (0: one per core, 1: all in this process); ``address`` runs the refits on that Ray
    cluster instead; ``store`` keeps each finished refit so that a rerun only fits the missing
    ones; ``calendar`` names the trading days that the gap check counts. ``on_start(refits,
    stored)`` is told the counts before any fit, ``on_refit`` sees each
    refit as it finishes. Every setting is checked before the first fit.
    """
    from lstmlab.backtest.engine import run_refits
    from lstmlab.backtest.result import assemble
    from lstmlab.errors import ConfigError

    if not configs:
        raise ConfigError("a backtest needs at least one model config")
    alphas = {cell: config.alpha for cell, config in configs.items()}
    if len(set(alphas.values())) > 1:
        raise ConfigError(f"the configs of one backtest must share alpha (their bands are "
                          f"scored at one level); got {alphas}")
    seeds = list(seeds) if seeds is not None else [next(iter(configs.values())).seed]
    blocks, chains = plan_tasks(prices, configs, settings, seeds, calendar)
    tasks = [task for chain in chains for task in chain]
    if on_start:
        stored = sum(1 for t in tasks if store and stored_path(store, t.key).is_file())
        on_start(len(tasks), stored)
    results = run_refits(chains, store=store, jobs=jobs, address=address, on_refit=on_refit)
    return assemble(prices, configs, settings, blocks, seeds, results)
