"""The ``lstmlab`` command line: a thin Typer layer over the library.

Heavy modules (torch, pandas, matplotlib) are imported inside the commands, never at module
level, so that ``lstmlab --help`` answers quickly. Exit codes: 0 success, 1 a failure (a user
error is printed as one ``error: ...`` line; ``--verbose`` adds the traceback), 2 a usage error.
The work itself lives in :mod:`lstmlab.jobs`; this module parses and calls it. The options,
error wrapper, console and progress style that every command shares (``sweep`` and ``memory``
too) are in :mod:`lstmlab.cli_shell`; the result tables in :mod:`lstmlab.cli_output`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lstmlab._version import __version__
from lstmlab.backtest.command import backtest_command
from lstmlab.cli_shell import (
    Alpha,
    Calendar,
    CalendarFeatures,
    Covariate,
    DataDir,
    Fill,
    Known,
    Loss,
    Quiet,
    Verbose,
    check_cells,
    check_one_cell,
    parse_covariates,
    user_errors,
)
from lstmlab.explain.command import explain_command
from lstmlab.memory.command import memory_app
from lstmlab.sweep.command import sweep_command

if TYPE_CHECKING:
    import pandas as pd

    from lstmlab.config import ForecastConfig

app = typer.Typer(
    name="lstmlab",
    help="Recurrent neural networks (RNN, LSTM, GRU) for time series: train, compare, see inside.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help and one-line usage errors, without loading rich
)
Source = Annotated[str, typer.Argument(help="Ticker (e.g. TSLA) or path of a price CSV.",
                                       show_default=False)]
RunDir = Annotated[Path, typer.Argument(help="A run directory written by train or compare.",
                                        show_default=False)]
Out = Annotated[Path, typer.Option(help="Folder that receives run directories and charts.")]
Name = Annotated[str | None, typer.Option(
    help="Run directory name (default: <source>-<command>-<time>).")]
Epochs = Annotated[int | None, typer.Option("--epochs", min=1, help="Maximum training epochs.")]
Hidden = Annotated[int | None, typer.Option("--hidden-size", min=1, help="Units per layer.")]
Layers = Annotated[int | None, typer.Option("--layers", min=1, help="Stacked recurrent layers.")]
Lookback = Annotated[int | None, typer.Option(min=1, help="Days in each input window.")]
Horizon = Annotated[int | None, typer.Option(min=1, help="Days ahead predicted at once.")]
Target = Annotated[str | None, typer.Option(help="price, return, log_return or change.")]
Split = Annotated[str | None, typer.Option(
    help="Three fractions 'TRAIN,VAL,TEST' or two dates 'VAL_START,TEST_START'.")]
Batch = Annotated[int | None, typer.Option("--batch-size", min=1, help="Windows per batch.")]
Rate = Annotated[float | None, typer.Option("--lr", help="Learning rate.")]
Seed = Annotated[int | None, typer.Option(help="Random seed (same seed, same results).")]
Seeds = Annotated[int, typer.Option(min=1, help="Train this many seeds of each model: the "
                                    "metrics' mean and spread, and a seed-ensemble row.")]
Device = Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1, ...")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lstmlab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Recurrent neural networks (RNN, LSTM, GRU) for time series."""


def _split(value: str | None) -> tuple[Any, ...] | None:
    if value is None:
        return None
    parts = tuple(p.strip() for p in value.split(","))
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        return parts  # dates: the data module checks them against the series


def _config(cell: str, **options: Any) -> ForecastConfig:
    """A ForecastConfig with the defaults, overridden by the options that were given."""
    from lstmlab.config import ForecastConfig

    if options.get("features") is not None:
        options["features"] = tuple(f.strip() for f in options["features"].split(","))
    options["split"] = _split(options.get("split"))
    return ForecastConfig(cell=cell, **{k: v for k, v in options.items() if v is not None})


def _inputs(covariate: list[str] | None, calendar_features: bool,
            calendar: str | None, known: list[str] | None = None) -> dict[str, Any]:
    """Config fields of the extra inputs: past covariates, calendar facts and known tables."""
    fields: dict[str, Any] = {"covariates": parse_covariates(covariate) or None,
                              "known": parse_covariates(known, "--known", ()) or None}
    if calendar_features or known:
        fields.update(calendar_features=calendar_features, calendar=calendar or "XNYS")
    return fields


def _load(source: str, data_dir: Path | None, fill: str | None,
          calendar: str | None) -> pd.DataFrame:
    """The command's prices, loaded and checked once (every later step takes this frame)."""
    from lstmlab.data import load_prices
    from lstmlab.trading_days import DEFAULT_CALENDAR

    return load_prices(source, data_dir=data_dir, fill=fill,
                       calendar=calendar or DEFAULT_CALENDAR)


@app.command()
@user_errors
def data(source: Source, data_dir: DataDir = None, fill: Fill = None,
         calendar: Calendar = None, lookback: Lookback = None, horizon: Horizon = None,
         split: Split = None, out: Out = Path("runs"), quiet: Quiet = False,
         verbose: Verbose = False) -> None:
    """Summarise a price series (dates, rows, missing values, split sizes) and chart it."""
    from lstmlab import charts, jobs, runs
    from lstmlab.cli_output import print_data_summary
    from lstmlab.cli_shell import status

    with status("loading prices and drawing the chart", quiet):
        prices = _load(source, data_dir, fill, calendar)
        config = _config("lstm", lookback=lookback, horizon=horizon, split=split)
        summary = jobs.describe_data(prices, config)
        spans = {name: (s["first"], s["last"]) for name, s in summary["split"].items()}
        figure = charts.price_chart(prices[config.target_column], spans)
        png, _ = charts.save_figure(figure, out / f"{runs.source_stem(source)}-prices")
    print_data_summary(source, summary, png, quiet)


def _train_job(command: str, source: str, configs: dict[str, ForecastConfig], *,
               data_dir: Path | None, fill: str | None, calendar: str | None, out: Path,
               name: str | None, quiet: bool, seeds: int = 1, workers: int = 1) -> None:
    """Load, fit every config (``seeds`` seeds each; ``workers`` processes at once, 0: one per
    core), write the run directory, print the results."""
    from lstmlab import jobs, runs
    from lstmlab.cli_output import print_data_line, print_run
    from lstmlab.cli_shell import progress, status
    from lstmlab.pipeline import load_inputs

    prices = _load(source, data_dir, fill, calendar)
    first = next(iter(configs.values()))
    covariates = load_inputs(first, data_dir=data_dir)
    summary = jobs.describe_data(prices, first, covariates)  # bad settings fail here
    wanted = out / runs.check_run_name(name or runs.default_run_name(source, command))
    with runs.new_run(wanted, unique=name is None) as folder:  # the name is reserved here
        target = runs.final_path(folder)
        asked = {"command": command, "name": target.name, "source": source,
                 # a CSV source, absolute, so that `forecast` finds it again from any folder
                 "source_file": str(Path(source).resolve()) if Path(source).is_file() else None,
                 "cells": list(configs), "data_dir": str(data_dir) if data_dir else None,
                 "fill": fill, "calendar": calendar, "seeds": seeds}
        print_data_line(source, summary, quiet)
        max_epochs = max(c.max_epochs for c in configs.values())
        with progress(list(configs), max_epochs, "epochs", quiet,
                      ordered=workers == 1) as on_epoch:
            fitted = jobs.fit_models(prices, configs, on_epoch, covariates, seeds=seeds,
                                     jobs=workers)
        with status("writing models, charts and the report", quiet):
            jobs.write_run(folder, prices, fitted, asked, jobs=workers)
    print_run(runs.read_run(target), quiet)
    stopped = jobs.interrupted(fitted)
    if stopped:  # Ctrl-C during training: the run holds the best weights so far
        done = ", ".join(f"{cell} after {epochs} of {configs[cell].max_epochs} epochs"
                         for cell, epochs in stopped.items())
        typer.echo(f"interrupted: training stopped ({done}); the best model so far is saved "
                   f"in {target}", err=True)
        raise typer.Exit(130)


@app.command()
@user_errors
def train(source: Annotated[list[str], typer.Argument(
              help="Ticker or CSV file; several with --global.", show_default=False)],
          cell: Annotated[str, typer.Option(help="rnn, lstm or gru.",
                                            callback=check_one_cell)] = "lstm",
          epochs: Epochs = None, hidden_size: Hidden = None, layers: Layers = None,
          dropout: Annotated[float | None, typer.Option(help="Dropout in [0, 1).")] = None,
          lookback: Lookback = None, horizon: Horizon = None, target: Target = None,
          features: Annotated[str | None, typer.Option(help="Comma-separated inputs.")] = None,
          split: Split = None, batch_size: Batch = None, lr: Rate = None,
          patience: Annotated[int | None, typer.Option(min=0, help="Early-stopping patience; "
                                                       "0 never stops.")] = None,
          seed: Seed = None, seeds: Seeds = 1, device: Device = None, loss: Loss = None,
          alpha: Alpha = None, data_dir: DataDir = None, fill: Fill = None,
          calendar: Calendar = None, covariate: Covariate = None,
          calendar_features: CalendarFeatures = False, known: Known = None,
          global_model: Annotated[bool, typer.Option(
              "--global", help="One model on the windows of every SOURCE, each scaled on its "
                               "own training part; scored per series.")] = False,
          series_id: Annotated[bool, typer.Option(
              "--series-id", help="With --global: a one-hot input per series (a learned "
                                  "embedding).")] = False,
          out: Out = Path("runs"), name: Name = None, quiet: Quiet = False,
          verbose: Verbose = False) -> None:
    """Train one model and write a run directory (config, history, metrics, charts, model).

    With --global, one model over several series: prints and writes its per-series scores."""
    config = _config(cell, max_epochs=epochs, hidden_size=hidden_size, num_layers=layers,
                     dropout=dropout, lookback=lookback, horizon=horizon, target=target,
                     features=features, split=split, batch_size=batch_size, learning_rate=lr,
                     patience=patience, seed=seed, device=device, loss=loss, alpha=alpha,
                     **_inputs(covariate, calendar_features, calendar, known))
    if global_model:
        _global_job(source, config, series_id, data_dir=data_dir, fill=fill, calendar=calendar,
                    out=out, name=name, quiet=quiet)
        return
    if len(source) > 1:
        raise typer.BadParameter(f"give one source, or --global to train one model on all "
                                 f"{len(source)}", param_hint="SOURCE")
    _train_job("train", source[0], {cell: config}, data_dir=data_dir, fill=fill,
               calendar=calendar, out=out, name=name, quiet=quiet, seeds=seeds)


def _global_job(sources: list[str], config: ForecastConfig, series_id: bool, *,
                data_dir: Path | None, fill: str | None, calendar: str | None, out: Path,
                name: str | None, quiet: bool) -> None:
    """Fit one global model on every source, score it per series, write the tables and the
    model (``model.safetensors``, :meth:`GlobalForecaster.load`)."""
    from lstmlab import runs
    from lstmlab.cli_output import print_global
    from lstmlab.cli_shell import progress
    from lstmlab.data.covariates import load_covariates
    from lstmlab.fileio import atomic_write_json
    from lstmlab.panel import GlobalForecaster

    series = {runs.source_stem(s).upper(): _load(s, data_dir, fill, calendar) for s in sources}
    covariates = load_covariates([n for n, _ in config.covariates], data_dir=data_dir)
    target = runs.run_path(out, name or runs.default_run_name("+".join(series), "global"),
                           unique=name is None)
    with runs.new_run(target) as folder:
        with progress(["global"], config.max_epochs, "epochs", quiet) as on_epoch:
            report = (lambda record: on_epoch("global", record)) if on_epoch else None
            model = GlobalForecaster(config, series_id=series_id).fit(
                series, on_epoch=report, covariates=covariates)
        evaluation = model.evaluate(series, covariates=covariates)
        model.save(folder / "model.safetensors")
        runs.write_table(folder, "metrics.csv", evaluation.metrics.reset_index())
        runs.write_table(folder, "pooled.csv", evaluation.pooled, index=True)
        atomic_write_json(folder / "config.json", {
            "command": "train --global", "sources": sources, "series_id": series_id,
            "covariates": [name for name, _ in config.covariates], "config": config.to_dict()})
    print_global(evaluation.pooled, target, quiet)


@app.command()
@user_errors
def compare(source: Source,
            cells: Annotated[str, typer.Option(help="Comma-separated cells to train.",
                                               callback=check_cells)] = "rnn,lstm",
            epochs: Epochs = None, hidden_size: Hidden = None, layers: Layers = None,
            lookback: Lookback = None, horizon: Horizon = None, target: Target = None,
            split: Split = None, seed: Seed = None, seeds: Seeds = 1, device: Device = None,
            loss: Loss = None, alpha: Alpha = None,
            jobs: Annotated[int, typer.Option(
                min=0, help="Cells trained at once, one process and thread each (0: one per "
                            "core; 1: one after another in this process).")] = 0,
            data_dir: DataDir = None, fill: Fill = None, calendar: Calendar = None,
            covariate: Covariate = None, calendar_features: CalendarFeatures = False,
            known: Known = None, out: Out = Path("runs"), name: Name = None, quiet: Quiet = False,
            verbose: Verbose = False) -> None:
    """Train each cell on the same data and seed (at once, one process each), score them
    against the baselines.

    Prints the test metrics and writes a run directory with every chart and the HTML report.
    """
    configs = {cell: _config(cell, max_epochs=epochs, hidden_size=hidden_size,
                             num_layers=layers, lookback=lookback, horizon=horizon,
                             target=target, split=split, seed=seed, device=device,
                             loss=loss, alpha=alpha,
                             **_inputs(covariate, calendar_features, calendar, known))
               for cell in cells.split(",")}
    _train_job("compare", source, configs, data_dir=data_dir, fill=fill, calendar=calendar,
               out=out, name=name, quiet=quiet, seeds=seeds, workers=jobs)


@app.command()
@user_errors
def forecast(run_dir: RunDir,
             steps: Annotated[int, typer.Option(min=1, help="Trading days to forecast.")] = 5,
             data: Annotated[str | None, typer.Option(
                 "--data", help="Ticker or CSV with the latest prices (default: the run's "
                                "source).")] = None,
             cell: Annotated[str | None, typer.Option(
                 help="Which model of the run (default: its best).",
                 callback=check_one_cell)] = None,
             interval: Annotated[str, typer.Option(
                 help="Band calibration: adaptive (adaptive conformal, follows volatility) or "
                      "split (split conformal).")] = "adaptive",
             data_dir: DataDir = None, fill: Fill = None, calendar: Calendar = None,
             quiet: Quiet = False, verbose: Verbose = False) -> None:
    """Forecast the next trading days from a run's saved model and the latest data.

    The band is calibrated (see --interval); the output says how, and its measured coverage.
    The days are the sessions of the exchange calendar (default: the run's, else XNYS)."""
    from lstmlab import jobs, runs
    from lstmlab.cli_output import print_forecast
    from lstmlab.cli_shell import status
    from lstmlab.verdicts import forecast_warning

    run = runs.read_run(run_dir)
    cell = cell or run.manifest["best_model"]
    source = data or run.config.get("source_file") or run.config["source"]
    saved_dir = run.config.get("data_dir")
    calendar = calendar or run.config.get("calendar")
    with status("loading the prices and the model, forecasting", quiet):
        prices = _load(source, data_dir or (Path(saved_dir) if saved_dir else None), fill,
                       calendar)
        warning = forecast_warning(run.manifest.get("selected", cell), cell)
        if warning and cell in run.cells:  # the user should know this model lost on validation
            typer.echo(warning, err=True)
        made = jobs.forecast_run(run, prices, steps, cell, method=interval, calendar=calendar,
                                 data_dir=str(data_dir) if data_dir else saved_dir)
    print_forecast(run, prices, made, quiet)


@app.command()
@user_errors
def report(run_dir: RunDir, quiet: Quiet = False, verbose: Verbose = False) -> None:
    """(Re)build the run's self-contained HTML report."""
    from lstmlab.report import build_report

    path = build_report(run_dir)
    typer.echo(str(path) if quiet else f"report: {path}")


@app.command()
@user_errors
def export(run_dir: RunDir,
           fmt: Annotated[str, typer.Option("--format", help="File format: onnx.")] = "onnx",
           cell: Annotated[str | None, typer.Option(
               help="Which model of the run (default: its best).",
               callback=check_one_cell)] = None,
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", help="File to write (default: <run>/models/<cell>.<format>).")
           ] = None,
           quiet: Quiet = False, verbose: Verbose = False) -> None:
    """Export a run's model for other runtimes: an ONNX graph from raw window to price."""
    from lstmlab.cli_shell import status
    from lstmlab.export import export_run

    with status("exporting the model", quiet):
        path = export_run(run_dir, fmt=fmt, cell=cell, out=output)
    typer.echo(str(path) if quiet else f"exported: {path}")


app.add_typer(memory_app, name="memory")  # the long-memory lab; it prints its own errors
app.command("sweep")(sweep_command)  # many tickers x configurations on Ray
app.command("backtest")(backtest_command)  # many forecast origins, refits on the past only
app.command("explain")(explain_command)  # the "flow of the memory" page


def main() -> None:
    """Entry point of the ``lstmlab`` console script."""
    app()
