"""``lstmlab memory``: train RNN, LSTM and GRU on a long-memory task at several lengths.

``lstmlab memory [options]`` runs the lab (a table and learning curves; ``--gates`` and
``--gradients`` add the gate heatmaps and the vanishing-gradient chart); ``lstmlab memory span``
draws the memory span, the longest length each network solves with one budget. ``memory_app``
is a Typer group registered by the CLI with ``app.add_typer(memory_app, name="memory")``.
PyTorch and matplotlib are imported inside the functions, so registering it keeps
``lstmlab --help`` light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lstmlab.cli_shell import Out, Quiet, Verbose, user_errors
from lstmlab.config import parse_variants
from lstmlab.errors import ConfigError

__all__ = ["memory_app", "memory_command", "span_command"]

TASK_NAMES = ("adding", "copy")
memory_app = typer.Typer(help="The long-memory lab: adding and copy tasks, gates, memory span.")


def _task(value: str) -> str:
    name = value.strip().lower()
    if name not in TASK_NAMES:
        raise typer.BadParameter(f"unknown task {value!r}; choose adding or copy")
    return name


def _lengths(value: str) -> list[int]:
    parts = [p.strip() for p in value.split(",")]
    if not all(p.isdigit() and int(p) >= 2 for p in parts):
        raise typer.BadParameter(
            f"lengths {value!r} must be whole numbers >= 2 separated by commas, e.g. 50,100,200"
        )
    return list(dict.fromkeys(int(p) for p in parts))


def _cells(value: str) -> list[tuple[str, str | None]]:
    try:
        return parse_variants(value)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None


Task = Annotated[str, typer.Option(help="adding or copy.")]
Cells = Annotated[str, typer.Option(
    help="Cells to compare: rnn, lstm, gru, optionally with an init: lstm-chrono, gru-chrono, "
         "lstm-default (PyTorch's uniform draw).")]
Steps = Annotated[int, typer.Option(min=1, help="Training steps per run (one batch each).")]
Batch = Annotated[int, typer.Option(min=1, help="Sequences per training batch.")]
Rate = Annotated[float, typer.Option(help="Adam learning rate (held, then cosine decay).")]
Hidden = Annotated[int, typer.Option(min=1, help="Units of the recurrent layer.")]
Seed = Annotated[int, typer.Option(help="Random seed (same seed, same results).")]


@memory_app.callback(invoke_without_command=True)
@user_errors
def memory_command(
    ctx: typer.Context,
    task: Task = "adding",
    lengths: Annotated[str, typer.Option(
        help="Sequence lengths T (copy: the gap), comma-separated.")] = "50,100,200,400",
    cells: Cells = "rnn,lstm,gru",
    steps: Steps = 2000,
    batch: Batch = 64,
    lr: Rate = 0.01,
    hidden: Hidden = 64,
    seed: Seed = 0,
    gates: Annotated[bool, typer.Option(
        "--gates", help="Also draw the gates of the LSTM at the first length (adding).")] = False,
    gradients: Annotated[bool, typer.Option(
        "--gradients", help="Also draw the gradient reaching each step, first length.")] = False,
    out: Out = Path("memory-lab"),
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Train each cell at each length on a long-memory task with the same budget; compare."""
    if ctx.invoked_subcommand is not None:
        return
    from lstmlab.cli_shell import progress
    from lstmlab.memory.lab import lab_configs, run_lab, save_lab
    from lstmlab.memory.train import MemoryConfig

    names, sizes, chosen = _task(task), _lengths(lengths), _cells(cells)
    base = MemoryConfig(task=names, steps=steps, batch_size=batch, learning_rate=lr,
                        hidden_size=hidden, seed=seed, eval_every=max(steps // 20, 1))
    labels = [config.label for config in lab_configs(base, sizes, chosen)]
    out.mkdir(parents=True, exist_ok=True)  # before training: say at once if it cannot be
    with progress(labels, steps, "steps", quiet, position="step") as on_progress:
        runs = run_lab(base, sizes, chosen, on_progress=on_progress)
    paths = save_lab(runs, out)
    paths += _pictures(runs, out, gates=gates, gradients=gradients, quiet=quiet)
    _print_table(runs)
    if not quiet:
        typer.echo("saved " + ", ".join(str(p) for p in paths))


def _print_table(runs: list[Any]) -> None:
    from lstmlab.memory.lab import format_table

    typer.echo(format_table(runs))


def _pictures(runs: list[Any], out: Path, *, gates: bool, gradients: bool,
              quiet: bool) -> list[Path]:
    """The charts asked for, from the runs at the first length; prints their figures."""
    from lstmlab.memory.gradients import vanishing_ratio
    from lstmlab.memory.lab import save_gates, save_gradients

    first = [run for run in runs if run.config.length == runs[0].config.length]
    paths = []
    if gradients:
        path, norms = save_gradients(first, out)
        paths.append(path)
        for label, values in norms.items():
            if not quiet:
                typer.echo(f"gradient {label}: ||dL/ds_1|| / ||dL/ds_T|| = "
                           f"{vanishing_ratio(values):.3g}")
    if gates:
        lstm = next((run for run in first if run.config.cell == "lstm"), None)
        if lstm is None:
            raise ConfigError("--gates draws an LSTM's gates: add lstm to --cells")
        path, flow = save_gates(lstm, out)
        paths.append(path)
        if not quiet:
            typer.echo(f"gates: markers at steps {flow.marks}, target {flow.target:.3f}, "
                       f"prediction {flow.prediction:.3f}")
    return paths


@memory_app.command("span")
@user_errors
def span_command(
    task: Task = "adding",
    cells: Cells = "rnn,gru,lstm,lstm-chrono",
    lengths: Annotated[str, typer.Option(
        help="Sequence lengths T (copy: the gap), comma-separated.")
    ] = "50,100,200,400,750,1000",
    steps: Steps = 3000,
    budget_minutes: Annotated[float, typer.Option(
        min=0, help="Wall-clock cap per run in minutes (0: none; steps alone are "
                    "reproducible).")] = 0.0,
    batch: Batch = 64,
    lr: Rate = 0.01,
    hidden: Hidden = 128,
    seed: Seed = 0,
    workers: Annotated[int, typer.Option(
        min=0, help="Runs trained at once, one process and thread each (0: every core).")] = 0,
    out: Out = Path("memory-span"),
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Memory span: train each cell at each length with one budget, stop once solved, chart it."""
    from lstmlab.memory.lab import format_table, save_span
    from lstmlab.memory.span import run_span, span_configs, span_line
    from lstmlab.memory.train import MemoryConfig

    names, sizes, chosen = _task(task), _lengths(lengths), _cells(cells)
    base = MemoryConfig(task=names, steps=steps, batch_size=batch, learning_rate=lr,
                        hidden_size=hidden, seed=seed, eval_every=max(steps // 30, 1),
                        max_minutes=budget_minutes)
    runs = run_span(span_configs(base, chosen, sizes), workers=workers or None,
                    on_run=None if quiet else lambda run: typer.echo(_run_line(run)))
    paths = save_span(runs, out)
    typer.echo(format_table(runs))
    line = span_line(runs)
    if not quiet:
        typer.echo("saved " + ", ".join(str(p) for p in paths))
    typer.echo(line)


def _run_line(run: Any) -> str:
    """One line per finished span run: length, variant, score, how and when it stopped."""
    metric = run.task.metric
    how = {"solved": "solved, stopped early", "steps": "step budget used",
           "time": "wall-clock cap reached"}[run.stop_reason]
    return (f"{run.config.task} T={run.config.length} {run.config.variant}: test {metric} "
            f"{run.test[metric]:.4g} ({how} at step {run.steps_run}, {run.seconds:.0f} s wall, "
            f"{run.cpu_seconds:.0f} s CPU)")
