"""``lstmlab sweep``: train every configuration of a grid on every series, on Ray; rank them.

A plain Typer-annotated function, registered by the CLI with
``app.command("sweep")(sweep_command)``. Ray, PyTorch and pandas are imported inside the
function, so registering it keeps ``lstmlab --help`` light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lstmlab.cli_shell import Calendar, DataDir, Fill, Quiet, Verbose, check_cells, user_errors
from lstmlab.errors import ConfigError

if TYPE_CHECKING:
    from lstmlab.sweep.trial import Trial, TrialResult

__all__ = ["sweep_command"]


Sources = Annotated[list[str], typer.Argument(
    help="Tickers, price CSV files, folders of CSVs, or text files listing them.",
    show_default=False)]
Cells = Annotated[str, typer.Option(help="Cells to try, comma-separated: rnn, lstm, gru.",
                                    callback=check_cells)]
Grid = Annotated[list[str] | None, typer.Option(
    "--grid", help="FIELD=V1,V2 over a ForecastConfig field; repeat for more fields "
                   "(one value fixes it, e.g. --grid max_epochs=20).")]
SweepOut = Annotated[Path, typer.Option(
    help="Sweep folder; rerunning into it skips the trials already done.")]
Address = Annotated[str | None, typer.Option(
    help="Ray cluster to join (e.g. 10.0.0.5:6379 or auto); default: start Ray here.")]
Cpus = Annotated[int | None, typer.Option(
    min=1, help="CPUs of the local Ray (default: all of them).")]
Threads = Annotated[int, typer.Option(min=1, help="Torch threads (and Ray CPUs) per trial.")]
Sequential = Annotated[bool, typer.Option(
    "--sequential", help="Run trials one by one in this process, without Ray.")]
Asha = Annotated[bool, typer.Option(
    "--asha", help="Stop poor trials early (ASHA on Ray Tune, by validation loss).")]
GracePeriod = Annotated[int, typer.Option(min=1, help="ASHA: epochs before a first cut.")]
ReductionFactor = Annotated[int, typer.Option(min=2, help="ASHA: 1/N go on at each cut.")]
RetryFailed = Annotated[bool, typer.Option(
    "--retry-failed", help="Run again the trials that failed in an earlier sweep.")]
Charts = Annotated[bool, typer.Option(
    help="Draw the charts of every trial's run directory (most of a small trial's time).")]


@user_errors
def sweep_command(
    sources: Sources, cells: Cells = "lstm", grid: Grid = None, out: SweepOut = Path("sweep"),
    address: Address = None, cpus: Cpus = None, threads: Threads = 1,
    sequential: Sequential = False, asha: Asha = False, grace_period: GracePeriod = 3,
    reduction_factor: ReductionFactor = 3, retry_failed: RetryFailed = False,
    charts: Charts = True, data_dir: DataDir = None, fill: Fill = None,
    calendar: Calendar = None, quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Train each configuration of a grid on each series (one Ray trial per pair), then rank
    them: the best configuration per series and each configuration's median across series."""
    from lstmlab.sweep.asha import AshaSettings
    from lstmlab.sweep.runner import import_ray, run_sweep
    from lstmlab.sweep.store import write_plan
    from lstmlab.sweep.trial import TrialOptions, plan_trials
    from lstmlab.trading_days import DEFAULT_CALENDAR, check_calendar

    if asha and sequential:
        raise ConfigError("--asha runs on Ray Tune; drop --sequential to use it")
    if not sequential:
        import_ray()  # before any work: say at once how to install it
    trials = plan_trials(sources, cells.split(","), grid or [],
                         data_dir=str(data_dir) if data_dir else None)
    write_plan(_folder(out), trials, {"command": "sweep", "sources": list(sources),
                                      "cells": cells, "grid": grid or []})
    options = TrialOptions(str(data_dir) if data_dir else None, fill, threads, charts,
                           check_calendar(calendar or DEFAULT_CALENDAR))
    try:
        with _progress(trials, quiet) as (on_start, on_result):
            results = run_sweep(trials, out, options,
                                engine="sequential" if sequential else "ray", address=address,
                                cpus=cpus, asha=AshaSettings(grace_period, reduction_factor)
                                if asha else None, retry_failed=retry_failed,
                                on_start=on_start, on_result=on_result)
    except KeyboardInterrupt:
        typer.echo(f"interrupted: finished trials are stored in {out}; run the same command "
                   f"again to resume", err=True)
        raise typer.Exit(130) from None
    _finish(results, out, quiet)


def _folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the sweep folder {out}: {err.strerror or err}; "
                          f"choose a writable folder with --out") from err
    return out


Callbacks = tuple[Callable[[int], None] | None, Callable[["TrialResult"], None] | None]


@contextmanager
def _progress(trials: list[Trial], quiet: bool) -> Iterator[Callbacks]:
    """One bar over the trials to run, in the style of every command; yields (on_start,
    on_result) for the runner."""
    if quiet:
        yield None, None
        return
    from lstmlab.cli_shell import console, progress, safe

    notes = console(stderr=True)
    with progress(["trials"], len(trials), "trials", False, position="done") as on_progress:
        assert on_progress is not None  # not quiet: there is a bar
        done = 0

        def on_start(count: int) -> None:
            if count < len(trials):
                notes.print(f"resuming: {len(trials) - count} of {len(trials)} trials are "
                            f"already done")
            on_progress("trials", {"done": 0, "total": count})

        def on_result(result: TrialResult) -> None:
            nonlocal done
            done += 1
            on_progress("trials", {"done": done})
            if result.status == "failed":
                # names and messages come from the user's files: never read as rich markup
                notes.print(safe(f"failed: {result.series} {result.label}: {result.message}"))

        yield on_start, on_result


def _finish(results: list[TrialResult], out: Path, quiet: bool) -> None:
    """Write and print the leaderboard; fail if no trial succeeded."""
    from lstmlab.sweep.leaderboard import build_leaderboard, format_leaderboard, write_leaderboard
    from lstmlab.sweep.page import write_sweep_report

    board = build_leaderboard(results)
    paths = write_leaderboard(board, out)
    series, configs = board.trials["series"].nunique(), board.trials["label"].nunique()
    report = write_sweep_report(board, out, f"lstmlab sweep: {series} series × {configs} "
                                            f"configurations")
    if quiet:
        typer.echo(str(paths[1]))
    else:
        typer.echo(format_leaderboard(board))
        typer.echo(f"leaderboard: {paths[1]}\nreport: {report}")
    if board.best.empty:
        raise ConfigError(f"no trial succeeded (see {paths[0]} for each trial's message)")
