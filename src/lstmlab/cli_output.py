"""What the ``lstmlab`` commands show: progress on stderr, result tables on stdout (rich).

With ``quiet`` there is no progress and each command prints one line, the path it wrote, so
scripts can use it. Consoles are created per call, so test runners that swap ``sys.stdout``
see the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lstmlab.report import verdict
from lstmlab.vocabulary import BRIEF_METRICS, METRICS, SPLIT_LABELS, display_name

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from lstmlab.jobs import EpochCallback, Forecast
    from lstmlab.runs import Run

__all__ = ["epoch_progress", "print_data_line", "print_data_summary", "print_forecast",
           "print_run", "status"]

_WIDTH = 110  # when not writing to a terminal, wide enough for the metrics table


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = _WIDTH
    return console


@contextmanager
def epoch_progress(cells: Sequence[str], max_epochs: int,
                   quiet: bool) -> Iterator[EpochCallback | None]:
    """A progress bar per cell on stderr, advanced by the yielded per-epoch callback."""
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("epochs"), TimeElapsedColumn(), TextColumn("{task.fields[losses]}"))
    with Progress(*columns, console=_console(stderr=True)) as progress:
        tasks = {cell: progress.add_task(display_name(cell), total=max_epochs, losses="",
                                         start=False) for cell in cells}

        def finish(cell: str) -> None:  # early stopping ends a bar before its total
            task = progress.tasks[tasks[cell]]
            if task.started and not task.finished:
                progress.update(tasks[cell], total=task.completed or 1)

        def on_epoch(cell: str, record: Mapping[str, float]) -> None:
            for other in cells[:cells.index(cell)]:
                finish(other)
            progress.start_task(tasks[cell])  # its clock starts with its first epoch
            losses = (f"train {record['train_loss']:.4f}  val {record['val_loss']:.4f}  "
                      f"lr {record['lr']:.1e}")
            progress.update(tasks[cell], completed=int(record["epoch"]), losses=losses)

        yield on_epoch
        for cell in cells:
            finish(cell)


@contextmanager
def status(message: str, quiet: bool) -> Iterator[None]:
    """A spinner with ``message`` on stderr while the block runs."""
    if quiet:
        yield
        return
    with _console(stderr=True).status(message):
        yield


def print_data_summary(source: str, summary: dict[str, Any], chart: Path, quiet: bool) -> None:
    """The ``lstmlab data`` summary: dates, rows, missing values, notes, split sizes."""
    if quiet:
        typer.echo(str(chart))
        return
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{source}[/]: {summary['rows']:,} rows, {summary['first']} to "
                  f"{summary['last']}, missing values: {summary['missing_values']}")
    for note in summary["notes"]:
        console.print(f"  note: {note}")
    table = Table("split", "first target", "last target", title="Split", title_justify="left")
    table.add_column("windows", justify="right")
    for name, split in summary["split"].items():
        table.add_row(name, split["first"], split["last"], f"{split['windows']:,}")
    console.print(table)
    console.print(f"price chart: {chart}")


def print_data_line(source: str, summary: dict[str, Any], quiet: bool) -> None:
    """One line on stderr before training: the data and the split sizes."""
    if quiet:
        return
    sizes = ", ".join(f"{name} {split['windows']:,}" for name, split in summary["split"].items())
    _console(stderr=True).print(f"{source}: {summary['rows']:,} rows, {summary['first']} to "
                                f"{summary['last']}; windows: {sizes}")


def _metrics_table(metrics: pd.DataFrame, split: str, best: str) -> Table:
    from rich.table import Table

    columns = [c for c in BRIEF_METRICS if c in metrics.columns]
    table = Table("model", title=f"{SPLIT_LABELS[split].lower()} metrics", title_justify="left")
    for column in columns:
        table.add_column(METRICS[column].heading, justify="right")
    for _, row in metrics[metrics["split"] == split].iterrows():
        cells = [METRICS[c].show(row[c]) for c in columns]
        style = "bold green" if row["model"] == best else None
        table.add_row(display_name(row["model"]), *cells, style=style)
    return table


def print_run(run: Run, quiet: bool) -> None:
    """The result of ``train``/``compare``: test metrics, best model, verdict, paths."""
    if quiet:
        typer.echo(str(run.path))
        return
    console = _console()
    metrics = run.table("metrics.csv")
    best = run.manifest["best_model"]
    console.print(_metrics_table(metrics, "test", best))
    seconds = ", ".join(f"{display_name(c)} {s:.1f} s" for c, s in run.manifest["seconds"].items())
    console.print(f"best model (lowest validation RMSE): [bold]{display_name(best)}[/]; "
                  f"training time: {seconds}")
    console.print(verdict(metrics, best))
    console.print(f"run: {run.path}\nreport: {run.path / 'report.html'}")


def print_forecast(run: Run, prices: pd.DataFrame, forecast: Forecast, quiet: bool) -> None:
    """The forecast table, anchored on the last actual price, and where it was written."""
    csv = run.path / f"forecast-{forecast.cell}.csv"
    if quiet:
        typer.echo(str(csv))
        return
    from rich.table import Table

    column = run.manifest["data"]["target_column"]
    last_date, last = prices.index[-1], float(prices[column].iloc[-1])
    console = _console()
    console.print(f"{display_name(forecast.cell)} forecast from the last {column} "
                  f"{last:,.2f} on {last_date:%Y-%m-%d}; band: {forecast.band}")
    table = Table("date")
    for heading in ("prediction", "lower", "upper", "change"):
        table.add_column(heading, justify="right")
    for date, row in forecast.table.iterrows():
        table.add_row(f"{date:%Y-%m-%d}", f"{row['prediction']:,.2f}", f"{row['lower']:,.2f}",
                      f"{row['upper']:,.2f}", f"{row['prediction'] / last - 1:+.2%}")
    console.print(table)
    chart = run.path / "charts" / f"forecast-{forecast.cell}.png"
    console.print(f"table: {csv}\nchart: {chart}\nreport: {run.path / 'report.html'}")
