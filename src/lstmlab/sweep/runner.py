"""Run the pending trials of a sweep: on Ray (local or a cluster), or one by one in this process.

On Ray each trial is a task that asks for ``threads`` CPUs (1 by default), so a machine with N
cores runs N trials at once and a cluster runs as many as it has cores. Tasks are lighter than
Ray Tune trials (a worker process is reused from trial to trial); Ray Tune is used only when
early termination with ASHA is asked for (:mod:`lstmlab.sweep.asha`). Results are stored as they
arrive, so an interrupted sweep loses at most the trials that were running.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lstmlab.errors import ConfigError
from lstmlab.sweep.store import load_results, pending, save_result
from lstmlab.sweep.trial import Trial, TrialOptions, TrialResult, failed_result, run_trial

if TYPE_CHECKING:
    from lstmlab.sweep.asha import AshaSettings

__all__ = ["ENGINES", "connect", "disconnect", "import_ray", "run_sweep"]

ENGINES = ("ray", "sequential")
RAY_MISSING = ("the sweep runs on Ray, which is not installed: pip install 'lstmlab[ray]' "
               "(or run the trials one by one in this process with --sequential)")

ResultCallback = Callable[[TrialResult], None]
_AUTH_MODE = "RAY_AUTH_MODE"
_LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": a node address of 127.0.0.1
_reaper: subprocess.Popen[bytes] | None = None  # the watchdog of the local Ray we started


def import_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`ConfigError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING) from None
    return ray


def connect(address: str | None = None, cpus: int | None = None) -> bool:
    """Join the Ray cluster at ``address``, or start Ray here with ``cpus`` CPUs (default: all).

    A local Ray listens on 127.0.0.1 only and is torn down if this process dies, even by
    ``kill -9`` (:mod:`lstmlab.sweep.reaper`). Joining a cluster follows its token
    authentication when a token is at hand (see :func:`_follow_token_auth`). Does nothing if
    this process is already connected. Returns whether it connected, so the caller knows to
    call :func:`disconnect`.
    """
    global _reaper
    ray = import_ray()
    if ray.is_initialized():
        return False
    quiet = {"logging_level": logging.WARNING, "log_to_driver": False}
    try:
        if address:
            _follow_token_auth()
            ray.init(address=address, **quiet)
        else:
            with _loopback_only():
                ray.init(num_cpus=cpus, include_dashboard=False, **quiet)
            from lstmlab.sweep.reaper import watch

            _reaper = watch()
    except (ConnectionError, RuntimeError) as err:
        if not address:
            raise ConfigError(f"cannot start Ray on this machine: {str(err).strip()}; run "
                              f"without Ray with --sequential") from err
        raise ConfigError(
            f"cannot join the Ray cluster at {address}: {str(err).strip()}; start one with "
            f"`ray start --head` and pass the address it prints. A cluster started by `ray "
            f"start` may require its token: set {_AUTH_MODE}=token and put the token in "
            f"~/.ray/auth_token (or in RAY_AUTH_TOKEN)") from err
    return True


def disconnect() -> None:
    """``ray.shutdown()``, then let the watchdog of a local Ray go (nothing is left to end)."""
    global _reaper
    import_ray().shutdown()
    if _reaper is not None:
        _reaper.stdin.close()  # type: ignore[union-attr]
        _reaper.wait()
        _reaper = None


def _follow_token_auth() -> None:
    """Use token authentication with a cluster when a token is at hand and the user has not
    chosen (``RAY_AUTH_MODE`` unset): ``ray start`` turns it on, but Ray's client side
    follows it only for ``address="auto"``."""
    if os.environ.get(_AUTH_MODE) is not None:
        return
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # another Ray version: the error message names the setting
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


@contextmanager
def _loopback_only() -> Iterator[None]:
    """Make a local Ray use 127.0.0.1 as its node address, so every server it starts listens
    on the loopback interface only (Ray's own choice on macOS and Windows)."""
    from ray._private import ray_constants

    saved = os.environ.get(_LOCAL_ONLY), getattr(ray_constants, "ENABLE_RAY_CLUSTER", True)
    os.environ[_LOCAL_ONLY] = "0"  # inherited by the processes Ray starts
    ray_constants.ENABLE_RAY_CLUSTER = False  # read when Ray picks the node address
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved[1]
        if saved[0] is None:
            os.environ.pop(_LOCAL_ONLY, None)
        else:
            os.environ[_LOCAL_ONLY] = saved[0]


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
            result = run_trial(trial, sweep_dir, options)
            record(result)
            if result.status == "interrupted":  # Ctrl-C stops the sweep, as on Ray
                raise KeyboardInterrupt
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
            disconnect()


def _run_tasks(ray: ModuleType, todo: list[Trial], sweep_dir: Path, options: TrialOptions,
               record: ResultCallback) -> None:
    """One Ray task per trial, with at most twice the cluster's CPUs in flight at a time."""
    task = ray.remote(run_trial).options(num_cpus=options.threads, max_retries=0)
    limit = max(2 * int(ray.cluster_resources().get("CPU", 1)), 2)
    queue = list(reversed(todo))
    running: dict[Any, Trial] = {}  # Ray object reference -> its trial, in flight
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
