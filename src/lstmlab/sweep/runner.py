"""Run the pending trials of a sweep: on Ray (local or a cluster), or one by one in this process.

On Ray each trial is a task that asks for ``threads`` CPUs (1 by default), so a machine with N
cores runs N trials at once and a cluster runs as many as it has cores. Tasks are lighter than
Ray Tune trials (a worker process is reused from trial to trial); Ray Tune is used only when
early termination with ASHA is asked for (:mod:`lstmlab.sweep.asha`). Results are stored as they
arrive, so an interrupted sweep loses at most the trials that were running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from lstmlab.errors import ConfigError
from lstmlab.sweep.store import load_results, pending, save_result
from lstmlab.sweep.trial import Trial, TrialOptions, TrialResult, failed_result, run_trial

if TYPE_CHECKING:
    from lstmlab.sweep.asha import AshaSettings

__all__ = ["ENGINES", "connect", "import_ray", "run_sweep"]

ENGINES = ("ray", "sequential")
RAY_MISSING = ("the sweep runs on Ray, which is not installed: pip install 'lstmlab[ray]' "
               "(or run the trials one by one in this process with --sequential)")

ResultCallback = Callable[[TrialResult], None]


def import_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`ConfigError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING) from None
    return ray


def connect(address: str | None = None, cpus: int | None = None) -> bool:
    """Join the Ray cluster at ``address``, or start Ray here with ``cpus`` CPUs (default: all).

    Does nothing if this process is already connected. Returns whether it connected, so the
    caller knows to call ``ray.shutdown()``.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    quiet = {"logging_level": logging.WARNING, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=cpus, include_dashboard=False, **quiet)
    except ConnectionError as err:
        raise ConfigError(f"cannot join the Ray cluster at {address}: {err}; start one with "
                          f"`ray start --head` and pass the address it prints") from err
    return True


def run_sweep(trials: Sequence[Trial], sweep_dir: Path, options: TrialOptions | None = None, *,
              engine: str = "ray", address: str | None = None, cpus: int | None = None,
              asha: AshaSettings | None = None, retry_failed: bool = False,
              on_start: Callable[[int], None] | None = None,
              on_result: ResultCallback | None = None) -> list[TrialResult]:
    """Run every trial without a stored result in ``sweep_dir``; return all results, in order.

    ``on_start`` receives the number of trials to run, ``on_result`` each result as it is
    stored. ``engine`` is ``"ray"`` or ``"sequential"`` (no Ray; ``asha`` needs Ray).
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    # absolute paths: Ray workers (and Tune trials, which change folder) run elsewhere
    sweep_dir = Path(sweep_dir).resolve()
    options = options or TrialOptions()
    if options.data_dir:
        options = replace(options, data_dir=str(Path(options.data_dir).expanduser().resolve()))
    done = load_results(sweep_dir)
    todo = pending(trials, done, retry_failed)
    if on_start:
        on_start(len(todo))

    def record(result: TrialResult) -> None:
        save_result(sweep_dir, result)
        done[result.key] = result
        if on_result:
            on_result(result)

    if todo and engine == "sequential":
        for trial in todo:
            record(run_trial(trial, sweep_dir, options))
    elif todo:
        _on_ray(todo, sweep_dir, options, address, cpus, asha, record)
    return [done[trial.key] for trial in trials]


def _on_ray(todo: list[Trial], sweep_dir: Path, options: TrialOptions, address: str | None,
            cpus: int | None, asha: AshaSettings | None, record: ResultCallback) -> None:
    ray = import_ray()
    started = connect(address, cpus)
    try:
        if asha is None:
            _run_tasks(ray, todo, sweep_dir, options, record)
        else:
            from lstmlab.sweep.asha import run_asha

            run_asha(todo, sweep_dir, options, asha, record)
    finally:
        if started:
            ray.shutdown()


def _run_tasks(ray: ModuleType, todo: list[Trial], sweep_dir: Path, options: TrialOptions,
               record: ResultCallback) -> None:
    """One Ray task per trial, with at most twice the cluster's CPUs in flight at a time."""
    task = ray.remote(run_trial).options(num_cpus=options.threads, max_retries=0)
    limit = max(2 * int(ray.cluster_resources().get("CPU", 1)), 2)
    queue, running = list(reversed(todo)), {}
    while queue or running:
        while queue and len(running) < limit:
            trial = queue.pop()
            running[task.remote(trial, sweep_dir, options)] = trial
        ready, _ = ray.wait(list(running), num_returns=1)
        for ref in ready:
            trial = running.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as err:  # the worker died (memory, a crash)
                result = failed_result(trial, err)
            record(result)
