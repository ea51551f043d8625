"""``lstmlab sweep``: train every configuration of a grid on every series, on Ray; rank them.

A plain Typer-annotated function, registered by the CLI with
``app.command("sweep")(sweep_command)``. Ray, PyTorch and pandas are imported inside the
function, so registering it keeps ``lstmlab --help`` light.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lstmlab.errors import ConfigError, LstmlabError

if TYPE_CHECKING:
    from lstmlab.sweep.trial import Trial, TrialResult

__all__ = ["sweep_command"]


def sweep_command(
    sources: Annotated[list[str], typer.Argument(
        help="Tickers, price CSV files, folders of CSVs, or text files listing them.",
        show_default=False)],
    cells: Annotated[str, typer.Option(help="Cells to try, comma-separated: rnn, lstm, gru.")
                     ] = "lstm",
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", help="FIELD=V1,V2 over a ForecastConfig field; repeat for more fields "
                       "(one value fixes it, e.g. --grid max_epochs=20).")] = None,
    out: Annotated[Path, typer.Option(
        help="Sweep folder; rerunning into it skips the trials already done.")
                   ] = Path("sweep"),
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join (e.g. 10.0.0.5:6379 or auto); default: start Ray here.")
                       ] = None,
    cpus: Annotated[int | None, typer.Option(
        min=1, help="CPUs of the local Ray (default: all of them).")] = None,
    threads: Annotated[int, typer.Option(
        min=1, help="Torch threads (and Ray CPUs) per trial.")] = 1,
    sequential: Annotated[bool, typer.Option(
        "--sequential", help="Run trials one by one in this process, without Ray.")] = False,
    asha: Annotated[bool, typer.Option(
        "--asha", help="Stop poor trials early (ASHA on Ray Tune, by validation loss).")
                    ] = False,
    grace_period: Annotated[int, typer.Option(min=1, help="ASHA: epochs before a first cut.")
                            ] = 3,
    reduction_factor: Annotated[int, typer.Option(min=2, help="ASHA: 1/N go on at each cut.")
                                ] = 3,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Run again the trials that failed in an earlier sweep.")
                            ] = False,
    charts: Annotated[bool, typer.Option(
        help="Draw the charts of every trial's run directory (most of a small trial's time).")
                      ] = True,
    data_dir: Annotated[Path | None, typer.Option(
        help="Folder searched first for <TICKER>.csv.")] = None,
    fill: Annotated[str | None, typer.Option(
        help="Missing values: 'ffill' or 'drop' (default: refuse them).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the leaderboard path.")
                     ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of errors.")
                       ] = False,
) -> None:
    """Train each configuration of a grid on each series (one Ray trial per pair), then rank
    them: the best configuration per series and each configuration's median across series."""
    try:
        from lstmlab.sweep.asha import AshaSettings
        from lstmlab.sweep.runner import import_ray, run_sweep
        from lstmlab.sweep.store import write_plan
        from lstmlab.sweep.trial import TrialOptions, plan_trials

        if asha and sequential:
            raise ConfigError("--asha runs on Ray Tune; drop --sequential to use it")
        if not sequential:
            import_ray()  # before any work: say at once how to install it
        trials = plan_trials(sources, cells.split(","), grid or [],
                             data_dir=str(data_dir) if data_dir else None)
        write_plan(_folder(out), trials, {"command": "sweep", "sources": list(sources),
                                          "cells": cells, "grid": grid or []})
        options = TrialOptions(str(data_dir) if data_dir else None, fill, threads, charts)
        with _progress(trials, quiet) as (on_start, on_result):
            results = run_sweep(trials, out, options,
                                engine="sequential" if sequential else "ray", address=address,
                                cpus=cpus, asha=AshaSettings(grace_period, reduction_factor)
                                if asha else None, retry_failed=retry_failed,
                                on_start=on_start, on_result=on_result)
        _finish(results, out, quiet)
    except LstmlabError as err:
        if verbose:
            typer.echo(traceback.format_exc(), err=True)
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo(f"interrupted: finished trials are stored in {out}; run the same command "
                   f"again to resume", err=True)
        raise typer.Exit(130) from None


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
    """A progress bar over the trials to run, on stderr; yields (on_start, on_result)."""
    if quiet:
        yield None, None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    with Progress(TextColumn("trials"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[last]}"), console=console) as progress:
        task = progress.add_task("trials", total=len(trials), last="")

        def on_start(count: int) -> None:
            if count < len(trials):
                console.print(f"resuming: {len(trials) - count} of {len(trials)} trials are "
                              f"already done")
            progress.update(task, total=count)

        def on_result(result: TrialResult) -> None:
            progress.update(task, advance=1, last=f"{result.series} {result.label}: "
                                                  f"{result.status}")
            if result.status == "failed":
                console.print(f"failed: {result.series} {result.label}: {result.message}")

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
