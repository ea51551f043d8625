"""What the ``lstmlab`` commands print: result tables on stdout, in the console style of
:mod:`lstmlab.cli_shell`.

With ``quiet`` each command prints one line, the path it wrote, so scripts can use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

from lstmlab.cli_shell import console, safe
from lstmlab.verdicts import at_step, lag_sentence, run_summary
from lstmlab.vocabulary import BRIEF_METRICS, METRICS, SPLIT_LABELS, display_name

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from lstmlab.jobs import Forecast
    from lstmlab.runs import Run

__all__ = ["print_data_line", "print_data_summary", "print_forecast", "print_run"]


def print_data_summary(source: str, summary: dict[str, Any], chart: Path, quiet: bool) -> None:
    """The ``lstmlab data`` summary: dates, rows, missing values, notes, split sizes."""
    if quiet:
        typer.echo(str(chart))
        return
    from rich.table import Table

    out = console()
    out.print(f"[bold]{safe(source)}[/]: {summary['rows']:,} rows, {summary['first']} to "
              f"{summary['last']}, missing values: {summary['missing_values']}")
    for note in summary["notes"]:
        out.print(f"  note: {safe(note)}")
    table = Table("split", "first target", "last target", title="Split", title_justify="left")
    table.add_column("windows", justify="right")
    for name, split in summary["split"].items():
        table.add_row(name, split["first"], split["last"], f"{split['windows']:,}")
    out.print(table)
    out.print(f"price chart: {safe(chart)}")


def print_data_line(source: str, summary: dict[str, Any], quiet: bool) -> None:
    """One line on stderr before training: the data and the split sizes."""
    if quiet:
        return
    sizes = ", ".join(f"{name} {split['windows']:,}" for name, split in summary["split"].items())
    console(stderr=True).print(f"{safe(source)}: {summary['rows']:,} rows, {summary['first']} to "
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
        table.add_row(safe(display_name(row["model"])), *cells, style=style)
    return table


def print_run(run: Run, quiet: bool) -> None:
    """The result of ``train``/``compare``: test metrics, best model, verdict, paths."""
    if quiet:
        typer.echo(str(run.path))
        return
    out = console()
    metrics = run.table("metrics.csv")
    best, selected = run.manifest["best_model"], run.manifest["selected"]
    out.print(_metrics_table(at_step(metrics).reset_index(), "test", selected))
    seconds = ", ".join(f"{display_name(c)} {s:.1f} s" for c, s in run.manifest["seconds"].items())
    out.print(f"best trained model (lowest validation RMSE): [bold]{safe(display_name(best))}[/]; "
              f"training time: {safe(seconds)}")
    out.print(run_summary(metrics, selected), markup=False)
    if (run.path / "seeds.csv").is_file():
        spread = at_step(run.table("seeds.csv")).loc["test"]
        for cell, row in spread.iterrows():
            out.print(f"{display_name(str(cell))} over {int(row['seeds'])} seeds, test RMSE: mean "
                      f"{row['rmse_mean']:,.3f}, sd {row['rmse_sd']:,.3f}", markup=False)
    step_one = at_step(metrics, 1).loc["test"]
    for cell in run.cells:
        out.print(f"lag check ({display_name(cell)}): " + lag_sentence(
            float(cast(float, step_one.loc[cell, "lag_corr"])),
            float(cast(float, step_one.loc[cell, "same_day_corr"]))),
            markup=False)
    out.print(safe(f"run: {run.path}\nreport: {run.path / 'report.html'}"))


def print_forecast(run: Run, prices: pd.DataFrame, forecast: Forecast, quiet: bool) -> None:
    """The forecast table, anchored on the last actual price, and where it was written."""
    csv = run.path / f"forecast-{forecast.cell}.csv"
    if quiet:
        typer.echo(str(csv))
        return
    from rich.table import Table

    column = run.manifest["data"]["target_column"]
    last_date, last = prices.index[-1], float(prices[column].iloc[-1])
    out = console()
    out.print(safe(f"{display_name(forecast.cell)} forecast from the last {column} "
                   f"{last:,.2f} on {last_date:%Y-%m-%d}; band: {forecast.band}"))
    table = Table("date")
    for heading in ("prediction", "lower", "upper", "change"):
        table.add_column(heading, justify="right")
    for date, row in forecast.table.iterrows():
        table.add_row(f"{date:%Y-%m-%d}", f"{row['prediction']:,.2f}", f"{row['lower']:,.2f}",
                      f"{row['upper']:,.2f}", f"{row['prediction'] / last - 1:+.2%}")
    out.print(table)
    chart = run.path / "charts" / f"forecast-{forecast.cell}.png"
    out.print(safe(f"table: {csv}\nchart: {chart}\nreport: {run.path / 'report.html'}"))


def print_global(pooled: pd.DataFrame, folder: Path, quiet: bool) -> None:
    """The per-series test table of a global model, and where it was written."""
    from rich.table import Table

    out = console()
    if quiet:
        out.print(safe(str(folder)))
        return
    table = Table(title="global model, test period", title_justify="left")
    for heading in ("series", "RMSE", "naive RMSE", "ratio", "p (DM)"):
        table.add_column(heading, justify="left" if heading == "series" else "right")
    for series, row in pooled.iterrows():
        table.add_row(safe(str(series)), f"{row['rmse']:,.2f}", f"{row['naive_rmse']:,.2f}",
                      f"{row['ratio_to_naive']:.3f}", f"{row['dm_p_value']:.3f}")
    out.print(table)
    significant = (pooled["dm_p_value"] < 0.05) & (pooled["ratio_to_naive"] < 1)
    out.print(f"significantly better than naive (DM, 5%) on {int(significant.sum())} of "
              f"{len(pooled)} series; median ratio {pooled['ratio_to_naive'].median():.3f}")
    out.print(safe(f"run: {folder}"))
