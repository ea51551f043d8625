"""Run the refits of a backtest that are not stored yet, spread over cores.

Full refits are independent: each is one piece of work for :func:`lstmlab.parallel.run_parallel`
(here, a local process pool, or Ray). Fine-tuned refits form one chain per (cell, seed), each
block starting from the previous block's weights; a chain runs in order in one worker, and the
chains run in parallel. Every refit is stored as soon as it finishes, so an interrupted backtest
resumes from the refits it completed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lstmlab.backtest.refit import RefitResult, RefitTask, load_refit, run_refit, save_refit
from lstmlab.parallel import run_parallel

if TYPE_CHECKING:
    import torch

__all__ = ["run_refits"]


@dataclass(frozen=True)
class _Chain:
    """Tasks to run in order in one worker; ``state`` starts the first one (fine-tuning)."""

    tasks: list[RefitTask]
    store: Path | None
    state: dict[str, torch.Tensor] | None = field(default=None, repr=False)


def run_refits(chains: Sequence[Sequence[RefitTask]], *, store: Path | None, jobs: int = 0,
               address: str | None = None,
               on_refit: Callable[[RefitResult], None] | None = None) -> list[RefitResult]:
    """Every task's result, in chain order: stored ones read back, the others computed.

    A chain of several tasks is a fine-tuning chain (each task starts from the weights of the one
    before it). ``store`` is the folder of stored refits (None: store nothing). ``on_refit``
    sees each result as it becomes available (stored ones first).
    """
    done: dict[str, RefitResult] = {}
    work = []
    for chain in chains:
        stored = [load_refit(store, task.key) if store else None for task in chain]
        missing = next((i for i, result in enumerate(stored) if result is None), len(chain))
        for result in stored[:missing]:
            done[result.key] = result  # type: ignore[union-attr]
        if missing < len(chain):
            state = stored[missing - 1].state if missing else None  # type: ignore[union-attr]
            work.append(_Chain(list(chain[missing:]), store, state))
    for result in done.values():
        if on_refit:
            on_refit(result)

    def collect(_: int, results: list[RefitResult]) -> None:
        for result in results:
            done[result.key] = result
            if on_refit:
                on_refit(result)

    run_parallel(_run_chain, work, jobs=jobs, address=address, on_done=collect)
    return [done[task.key] for chain in chains for task in chain]


def _run_chain(chain: _Chain) -> list[RefitResult]:
    """Fit the chain's tasks in order; store each; return them without their weights."""
    state, results = chain.state, []
    for task in chain.tasks:
        result = run_refit(task, start_state=state)
        if chain.store:
            save_refit(chain.store, result)
        state = result.state
        results.append(replace(result, state={}))  # the weights stay on disk, not in transit
    return results
