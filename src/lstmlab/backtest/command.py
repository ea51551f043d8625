"""``lstmlab backtest``: refit through time, forecast every origin, score the pooled forecasts.

A plain Typer-annotated function, registered by the CLI; PyTorch and pandas are imported inside
it, so registering it keeps ``lstmlab --help`` light.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lstmlab.cli_shell import (
    Alpha,
    Calendar,
    Covariate,
    DataDir,
    Fill,
    Known,
    Loss,
    Quiet,
    Verbose,
    check_cells,
    parse_covariates,
    user_errors,
)
from lstmlab.vocabulary import parse_cells

if TYPE_CHECKING:
    import pandas as pd

    from lstmlab.backtest import Backtest
    from lstmlab.backtest.plan import BacktestSettings
    from lstmlab.config import ForecastConfig

__all__ = ["backtest_command"]


@user_errors
def backtest_command(
    source: Annotated[list[str], typer.Argument(
        help="Ticker (e.g. TSLA) or path of a price CSV; several with --global.",
        show_default=False)],
    start: Annotated[str | None, typer.Option(
        help="First refit date, the first forecast target (default: where the config's test "
             "split would start).")] = None,
    end: Annotated[str | None, typer.Option(help="Last target date (default: the data's end).")
                   ] = None,
    refit_every: Annotated[int, typer.Option(min=1, help="Trading days between refits.")] = 63,
    window: Annotated[str, typer.Option(help="expanding (all the past) or rolling.")
                      ] = "expanding",
    train_size: Annotated[int | None, typer.Option(
        min=1, help="Rows each rolling fit sees (train and validation).")] = None,
    refit: Annotated[str, typer.Option(
        help="full (a new model per refit) or finetune (continue the previous one).")] = "full",
    step: Annotated[int, typer.Option(min=1, help="Trading days between forecast origins.")] = 1,
    cells: Annotated[str, typer.Option(help="Comma-separated cells: rnn, lstm, gru.",
                                       callback=check_cells)] = "lstm",
    seeds: Annotated[int, typer.Option(
        min=1, help="Seeds per cell (the cell's forecast is their mean).")] = 1,
    jobs: Annotated[int, typer.Option(
        min=0, help="Worker processes, one thread each (0: one per core; 1: no pool).")] = 0,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to run the refits on (e.g. 10.0.0.5:6379 or auto).")] = None,
    store: Annotated[Path | None, typer.Option(
        help="Folder of finished refits, reused by reruns (default: OUT/.refits).")] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Maximum epochs.")
                      ] = None,
    hidden_size: Annotated[int | None, typer.Option(min=1, help="Units per layer.")] = None,
    lookback: Annotated[int | None, typer.Option(min=1, help="Days in each window.")] = None,
    horizon: Annotated[int | None, typer.Option(min=1, help="Days ahead at once.")] = None,
    target: Annotated[str | None, typer.Option(help="price, return, log_return or change.")
                      ] = None,
    split: Annotated[str | None, typer.Option(
        help="TRAIN,VAL,TEST fractions; each refit splits its past TRAIN:VAL.")] = None,
    seed: Annotated[int | None, typer.Option(help="First seed.")] = None,
    loss: Loss = None, alpha: Alpha = None,
    train_loss_sample: Annotated[int, typer.Option(
        min=0, help="Training windows each epoch's train loss is estimated on (0: all of them, "
                    "exact; the curve is not used to stop, so refits need no exact one).")
                                 ] = 256,
    charts: Annotated[bool, typer.Option(help="Draw the two charts.")] = True,
    covariate: Covariate = None, known: Known = None,
    global_model: Annotated[bool, typer.Option(
        "--global", help="At each refit, one model fitted on every SOURCE's past; each series "
                         "scored against its own baselines.")] = False,
    series_id: Annotated[bool, typer.Option(
        "--series-id", help="With --global: a one-hot input per series.")] = False,
    data_dir: DataDir = None, fill: Fill = None, calendar: Calendar = None,
    out: Annotated[Path, typer.Option(help="Folder that receives the run directory.")
                   ] = Path("runs"),
    name: Annotated[str | None, typer.Option(help="Run directory name.")] = None,
    quiet: Quiet = False, verbose: Verbose = False,
) -> None:
    """Backtest over many forecast origins: refit every REFIT_EVERY days on the past only,
    forecast each origin, and score the pooled forecasts against the baselines. Each refit
    reads the --covariate series up to its refit date only, like the series itself; a --known
    table is read whole (known in advance), its scaler fitted on the refit's past. With
    --global, one model per refit over every SOURCE; the run holds one backtest per series."""
    from lstmlab import runs
    from lstmlab.backtest.plan import BacktestSettings
    from lstmlab.data import load_prices
    from lstmlab.pipeline import load_inputs
    from lstmlab.trading_days import DEFAULT_CALENDAR

    if len(source) > 1 and not global_model:
        raise typer.BadParameter(f"give one source, or --global to backtest one model on all "
                                 f"{len(source)}", param_hint="SOURCE")
    calendar = calendar or DEFAULT_CALENDAR
    began = time.perf_counter()
    configs = _configs(cells, max_epochs=epochs, hidden_size=hidden_size, lookback=lookback,
                       horizon=horizon, target=target, split=split, seed=seed,
                       train_loss_sample=train_loss_sample, loss=loss, alpha=alpha,
                       covariates=parse_covariates(covariate) or None,
                       known=parse_covariates(known, "--known", ()) or None,
                       calendar=calendar if known else None)
    first = next(iter(configs.values()))
    series = {runs.source_stem(s).upper() if global_model else s:
              load_prices(s, data_dir=data_dir, fill=fill, calendar=calendar) for s in source}
    reference = next(iter(series.values()))
    covariates = load_inputs(first, data_dir=data_dir)
    settings = BacktestSettings(start or _test_start(reference, first, covariates), end,
                                refit_every, window, train_size, refit, step)
    run = _Run(configs, settings, {
        "seeds": [first.seed + i for i in range(seeds)], "jobs": jobs, "address": address,
        "store": store or out / ".refits", "calendar": calendar, "covariates": covariates})
    shown = "+".join(series) if global_model else source[0]
    target_dir = runs.run_path(out, name or runs.default_run_name(shown, "backtest"),
                               unique=name is None)
    asked = {"command": "backtest", "name": target_dir.name, "source": shown,
             "data_dir": str(data_dir) if data_dir else None, "fill": fill, "calendar": calendar,
             "cells": list(configs), "seeds": seeds, "jobs": jobs, "address": address,
             "covariates": list(covariates)}
    if global_model:
        run.global_backtest(series, series_id, target_dir, asked, began, charts, quiet)
    else:
        run.backtest(reference, target_dir, asked, began, charts, quiet)


@dataclass(frozen=True)
class _Run:
    """What both kinds of backtest share: the configs, the settings, the engine's options."""

    configs: dict[str, ForecastConfig]
    settings: BacktestSettings
    options: dict[str, Any]  # seeds, jobs, address, store, calendar, covariates

    def backtest(self, prices: pd.DataFrame, target: Path, asked: dict[str, Any],
                 began: float, charts: bool, quiet: bool) -> None:
        """One series: check, run, write the run directory, print the verdicts."""
        from lstmlab import runs
        from lstmlab.backtest.output import write_backtest_run
        from lstmlab.backtest.plan import plan_blocks
        from lstmlab.backtest.run import run_backtest

        first = next(iter(self.configs.values()))
        plan_blocks(prices, first, self.settings, self.options["calendar"],
                    covariates=self.options["covariates"])  # every check before any work
        with _progress(quiet) as (on_start, on_refit):
            result = run_backtest(prices, self.configs, self.settings, **self.options,
                                  on_start=on_start, on_refit=on_refit)
        with runs.new_run(target) as folder:
            write_backtest_run(folder, prices, result, asked,
                               wall_seconds=time.perf_counter() - began, charts=charts)
        _print(result, target, quiet)

    def global_backtest(self, series: dict[str, pd.DataFrame], series_id: bool, target: Path,
                        asked: dict[str, Any], began: float, charts: bool,
                        quiet: bool) -> None:
        """Several series, one model per refit: ``pooled.csv`` and ``refits.csv`` at the top,
        a backtest run directory per series inside."""
        from lstmlab import runs
        from lstmlab.backtest.output import write_backtest_run
        from lstmlab.backtest.panel import plan_global, run_global_backtest

        plan_global(series, self.configs, self.settings, self.options["seeds"],
                    calendar=self.options["calendar"], covariates=self.options["covariates"])
        with _progress(quiet) as (on_start, on_refit):
            result = run_global_backtest(series, self.configs, self.settings,
                                         series_id=series_id, **self.options,
                                         on_start=on_start, on_refit=on_refit)
        with runs.new_run(target) as folder:
            runs.write_table(folder, "pooled.csv", result.pooled(), index=True)
            runs.write_table(folder, "refits.csv", result.refits)
            for name, backtest in result.per_series.items():
                (folder / runs.check_run_name(name)).mkdir()
                write_backtest_run(folder / name, series[name], backtest,
                                   {**asked, "name": name, "source": name, "global": True,
                                    "series_id": series_id},
                                   wall_seconds=time.perf_counter() - began, charts=charts)
        for name, backtest in result.per_series.items():
            if not quiet:
                typer.echo(f"{name}:")
            _print(backtest, target / name, quiet)


def _configs(cells: str, **options: Any) -> dict[str, ForecastConfig]:
    from lstmlab.config import ForecastConfig

    if options.get("split") is not None:
        try:
            options["split"] = tuple(float(p) for p in options["split"].split(","))
        except ValueError:
            from lstmlab.errors import ConfigError

            raise ConfigError(f"--split must be three fractions TRAIN,VAL,TEST for a backtest, "
                              f"got {options['split']!r}") from None
    given = {k: v for k, v in options.items() if v is not None}
    return {cell: ForecastConfig(cell=cell, **given) for cell in parse_cells(cells)}


def _test_start(prices: Any, config: ForecastConfig, covariates: dict[str, Any]) -> str:
    """The first target date of the config's test split on ``prices``."""
    from lstmlab.pipeline import prepare_for

    return prepare_for(config, prices, covariates=covariates).split_dates["test"]["first"]


Callbacks = tuple[Callable[[int, int], None] | None, Callable[[object], None] | None]


@contextmanager
def _progress(quiet: bool) -> Iterator[Callbacks]:
    """The shell's progress bar over the refits; yields (on_start, on_refit)."""
    from lstmlab.cli_shell import console, progress

    with progress(["refits"], 0, "refits", quiet, position="done") as on_progress:
        if on_progress is None:
            yield None, None
            return
        state = {"done": 0, "total": 0}

        def on_start(total: int, stored: int) -> None:
            if stored:
                console(stderr=True).print(f"resuming: {stored} of {total} refits are stored "
                                           f"already")
            state["total"] = total

        def on_refit(result: object) -> None:  # a RefitResult or a GlobalRefitResult
            state["done"] += 1
            on_progress("refits", {**state})

        yield on_start, on_refit


def _print(result: Backtest, run_dir: Path, quiet: bool) -> None:
    from lstmlab.backtest.output import headline
    from lstmlab.backtest.page import band_sentences, verdict_sentence

    if quiet:
        typer.echo(str(run_dir))
        return
    for model, scores in headline(result).items():
        typer.echo(verdict_sentence(model, scores))
    nominal = 1 - next(iter(result.configs.values())).alpha
    for sentence in band_sentences(result.metrics, result.models, nominal):
        typer.echo(sentence)
    typer.echo(f"refits: {result.refits['refit'].nunique()}, fit time {result.fit_seconds:.1f} s"
               f"\nrun: {run_dir}\nreport: {run_dir / 'report.html'}")
