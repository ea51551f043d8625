"""``lstmlab explain``: the "flow of the memory" page of a run's model or of the adding problem.

A plain Typer-annotated function, registered by the CLI with
``app.command("explain")(explain_command)``. PyTorch is imported inside the function, so
registering it keeps ``lstmlab --help`` light.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Annotated

import typer

from lstmlab.config import parse_cells
from lstmlab.errors import ConfigError, LstmlabError

__all__ = ["explain_command"]


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        cells = parse_cells(value)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    if len(cells) != 1:
        raise typer.BadParameter(f"give one cell, got {value!r}")
    return cells[0]


def _task(value: str | None) -> str | None:
    if value is not None and value.strip().lower() != "adding":
        raise typer.BadParameter(f"unknown task {value!r}; the explorer knows: adding")
    return None if value is None else "adding"


def explain_command(
    run_dir: Annotated[Path, typer.Argument(
        help="A run directory written by train or compare; with --task adding, the folder "
             "that keeps the adding model and the page.", show_default=False)],
    model: Annotated[str | None, typer.Option(
        "--model", callback=_cell,
        help="Which cell: of the run (default: its best), or to train on the adding problem "
             "(default: lstm).")] = None,
    window: Annotated[str | None, typer.Option(
        help="Last day (YYYY-MM-DD) of the input window (default: the last test window).")
    ] = None,
    task: Annotated[str | None, typer.Option(
        callback=_task, help="'adding': walk a model trained on the adding problem.")] = None,
    length: Annotated[int, typer.Option(min=2, help="Adding problem: sequence length.")] = 100,
    steps: Annotated[int, typer.Option(
        min=1, help="Adding problem: training steps, when no saved model fits.")] = 2000,
    seed: Annotated[int, typer.Option(help="Adding problem: seed of the model and sequence.")
                    ] = 0,
    data_dir: Annotated[Path | None, typer.Option(
        help="Folder searched first for the run's <TICKER>.csv.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the page's path.")
                     ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of errors.")
                       ] = False,
) -> None:
    """Write an interactive page that walks a trained model through one sequence, gate by gate.

    It shows every gate of every unit at each step, the cell diagram, the output beside the
    naive one, and how much each input step moved the output (integrated gradients).
    """
    from lstmlab.explain.make import explain_adding, explain_run

    try:
        if task is not None and window is not None:
            raise ConfigError("--window picks a day of a forecasting run; the adding problem "
                              "has no dates: drop --window or --task")
        if task is None:
            made = explain_run(run_dir, model, window, data_dir)
        else:
            made = explain_adding(run_dir, model or "lstm", length, steps, seed)
    except LstmlabError as err:
        if verbose:
            typer.echo(traceback.format_exc(), err=True)
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    if quiet:
        typer.echo(str(made.path))
    else:
        typer.echo(f"{made.note}\nexplain: {made.path} ({made.bytes / 1e6:.2f} MB, "
                   f"{made.seconds:.1f} s)")
