"""Run the refits of a backtest that are not stored yet, spread over cores.

Full refits are independent: each is one piece of work for :func:`lstmlab.parallel.run_parallel`
(here, a local process pool, or Ray). Fine-tuned refits form one chain per (cell, seed), each
block starting from the previous block's weights; a chain runs in order in one worker, and the
chains run in parallel. Every refit is stored as soon as it finishes, so an interrupted backtest
resumes from the refits it completed.

The engine knows a task only through the small :class:`Task` interface (``key``, ``run``,
``load``; a result has ``key``, ``state`` and ``save``), so the same engine runs a single
series' refits (:class:`lstmlab.backtest.refit.RefitTask`) and a global model's
(:class:`lstmlab.backtest.panel.GlobalRefitTask`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from lstmlab.parallel import run_parallel

if TYPE_CHECKING:
    import torch

__all__ = ["Result", "Task", "run_refits"]


class Result(Protocol):
    """What a refit produced: found by ``key``, its weights in ``state``, stored by ``save``."""

    key: str
    state: dict[str, torch.Tensor]

    def save(self, folder: Path) -> Path: ...


R = TypeVar("R", bound=Result)
R_co = TypeVar("R_co", bound=Result, covariant=True)


class Task(Protocol[R_co]):
    """One refit: ``run`` fits it (from ``start_state`` when fine-tuning), ``load`` reads its
    stored result back (None when there is none), ``key`` names it."""

    @property
    def key(self) -> str: ...

    def run(self, start_state: dict[str, torch.Tensor] | None = None) -> R_co: ...

    def load(self, folder: Path) -> R_co | None: ...


@dataclass(frozen=True)
class _Chain(Generic[R]):
    """Tasks to run in order in one worker; ``state`` starts the first one (fine-tuning)."""

    tasks: list[Task[R]]
    store: Path | None
    state: dict[str, torch.Tensor] | None = field(default=None, repr=False)


def run_refits(chains: Sequence[Sequence[Task[R]]], *, store: Path | None, jobs: int = 0,
               address: str | None = None,
               on_refit: Callable[[R], None] | None = None) -> list[R]:
    """Every task's result, in chain order: stored ones read back, the others computed.

    A chain of several tasks is a fine-tuning chain (each task starts from the weights of the one
    before it). ``store`` is the folder of stored refits (None: store nothing). ``on_refit``
    sees each result as it becomes available (stored ones first).
    """
    done: dict[str, R] = {}
    work: list[_Chain[R]] = []
    for chain in chains:
        stored = [task.load(store) if store else None for task in chain]
        missing = next((i for i, result in enumerate(stored) if result is None), len(chain))
        found = [result for result in stored[:missing] if result is not None]  # all of them
        done.update((result.key, result) for result in found)
        if missing < len(chain):
            state = found[-1].state if found else None
            work.append(_Chain(list(chain[missing:]), store, state))
    for result in done.values():
        if on_refit:
            on_refit(result)

    def collect(_: int, results: list[R]) -> None:
        for result in results:
            done[result.key] = result
            if on_refit:
                on_refit(result)

    run_parallel(_run_chain, work, jobs=jobs, address=address, on_done=collect)
    return [done[task.key] for chain in chains for task in chain]


def _run_chain(chain: _Chain[R]) -> list[R]:
    """Fit the chain's tasks in order; store each; return them without their weights."""
    state, results = chain.state, list[R]()
    for task in chain.tasks:
        result = task.run(start_state=state)
        if chain.store:
            result.save(chain.store)
        state, result.state = result.state, {}  # the weights stay on disk, not in transit
        results.append(result)
    return results
