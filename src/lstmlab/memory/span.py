"""Memory span: how long a sequence each network learns to remember, with one fixed budget.

Every (cell, length) pair is one :func:`lstmlab.memory.train.train_memory` run with the same
budget (steps, batch, learning rate, hidden size, seed) and ``stop_when_solved``, so a run ends at
its first test point that solves the task (adding: test MSE < 0.01; copy: accuracy >= 99%) and
says so. Runs are independent, so they are spread over worker processes, one PyTorch thread
each: a process pool, not Ray, since each run is one long task and a pool starts in a second.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context

from lstmlab.memory.train import MemoryConfig, MemoryRun, describe_point, train_memory

__all__ = ["longest_solved", "run_span", "span_configs", "span_line"]


def span_configs(base: MemoryConfig, variants: Sequence[tuple[str, str | None]],
                 lengths: Sequence[int]) -> list[MemoryConfig]:
    """One config per (variant, length), ``base``'s budget, stopping once solved.

    Ordered longest length first, so that on a pool the slowest runs start first.
    """
    return [replace(base, cell=cell, init=init, length=length, stop_when_solved=True)
            for length in sorted(lengths, reverse=True) for cell, init in variants]


def run_span(configs: Sequence[MemoryConfig], *, workers: int | None = None,
             on_run: Callable[[MemoryRun], None] | None = None,
             progress: bool = False) -> list[MemoryRun]:
    """Train every config, ``workers`` at a time (default: the CPU count); runs in config order.

    ``workers=1`` trains in this process. ``on_run`` receives each run as it finishes;
    ``progress`` prints every learning-curve point of every run to standard output as it comes
    (the workers share this process's output).
    """
    workers = min(workers or os.cpu_count() or 1, len(configs))
    if workers <= 1:
        runs = []
        for config in configs:
            runs.append(_train_one(config, progress))
            if on_run is not None:
                on_run(runs[-1])
        return runs
    done: dict[int, MemoryRun] = {}
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_train_one, config, progress): i
                   for i, config in enumerate(configs)}
        for future in as_completed(futures):
            done[futures[future]] = run = future.result()
            if on_run is not None:
                on_run(run)
    return [done[i] for i in range(len(configs))]


def _train_one(config: MemoryConfig, progress: bool = False) -> MemoryRun:
    """One run on one PyTorch thread (a worker shares the CPU with the others)."""
    import torch

    torch.set_num_threads(1)
    return train_memory(config, on_progress=_print_point if progress else None)


def _print_point(label: str, point: Mapping[str, float]) -> None:
    print(describe_point(label, point), flush=True)


def longest_solved(runs: Sequence[MemoryRun]) -> dict[str, int | None]:
    """Per variant, in first-seen order, the longest length it solved (None: none)."""
    best: dict[str, int | None] = {}
    for run in runs:
        variant = run.config.variant
        best.setdefault(variant, None)
        if run.task.solved(run.test):
            best[variant] = max(best[variant] or 0, run.config.length)
    return best


def span_line(runs: Sequence[MemoryRun]) -> str:
    """``memory span: rnn T=A, lstm T=B, ... (task, longest T solved)``; ``none`` if unsolved."""
    parts = [f"{variant} T={'none' if length is None else length}"
             for variant, length in longest_solved(runs).items()]
    return f"memory span: {', '.join(parts)} ({runs[0].config.task}, longest T solved)"
