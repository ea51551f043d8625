"""``lstmlab memory``: train RNN, LSTM and GRU on a long-memory task at several lengths.

A plain Typer-annotated function, registered by the CLI with
``app.command("memory")(memory_command)``. PyTorch and matplotlib are imported inside the
function, so registering it keeps ``lstmlab --help`` light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lstmlab.cli_shell import Out, Quiet, Verbose, check_cells, user_errors

__all__ = ["memory_command"]

TASK_NAMES = ("adding", "copy")


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


@user_errors
def memory_command(
    task: Annotated[str, typer.Option(help="adding or copy.")] = "adding",
    lengths: Annotated[str, typer.Option(
        help="Sequence lengths T (copy: the gap), comma-separated.")] = "50,100,200,400",
    cells: Annotated[str, typer.Option(help="Cells to compare: rnn, lstm, gru.",
                                       callback=check_cells)] = "rnn,lstm,gru",
    steps: Annotated[int, typer.Option(min=1, help="Training steps per run (one batch each).")
                     ] = 2000,
    batch: Annotated[int, typer.Option(min=1, help="Sequences per training batch.")] = 64,
    lr: Annotated[float, typer.Option(help="Adam learning rate (held, then cosine decay).")
                  ] = 0.01,
    hidden: Annotated[int, typer.Option(min=1, help="Units of the recurrent layer.")] = 64,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same results).")] = 0,
    out: Out = Path("memory-lab"),
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Train each cell at each length on a long-memory task with the same budget; compare."""
    from lstmlab.cli_shell import progress
    from lstmlab.memory.lab import format_table, lab_configs, run_lab, save_lab
    from lstmlab.memory.train import MemoryConfig

    names, sizes, chosen = _task(task), _lengths(lengths), cells.split(",")
    base = MemoryConfig(task=names, steps=steps, batch_size=batch, learning_rate=lr,
                        hidden_size=hidden, seed=seed, eval_every=max(steps // 20, 1))
    labels = [config.label for config in lab_configs(base, sizes, chosen)]
    out.mkdir(parents=True, exist_ok=True)  # before training: say at once if it cannot be
    with progress(labels, steps, "steps", quiet, position="step") as on_progress:
        runs = run_lab(base, sizes, chosen, on_progress=on_progress)
    paths = save_lab(runs, out)
    typer.echo(format_table(runs))
    if not quiet:
        typer.echo("saved " + ", ".join(str(p) for p in paths))
