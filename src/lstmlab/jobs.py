"""The work behind ``lstmlab data``, ``train``, ``compare`` and ``forecast``, as plain functions.

The CLI only parses options, shows progress and prints; everything it runs is here, so each
job can be called and tested from Python too. Training jobs write a run directory through
:func:`lstmlab.runs.new_run` (whole or not at all); see :mod:`lstmlab.runs` for its layout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lstmlab.fileio import atomic_write_json
from lstmlab.report import build_report
from lstmlab.runs import Run, chart_stem, write_manifest, write_table
from lstmlab.seeds import ensemble_metrics, ensemble_name, seed_configs, seed_spread
from lstmlab.verdicts import at_step, select_forecaster
from lstmlab.vocabulary import SPLITS, ProgressCallback, display_name

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from lstmlab.config import ForecastConfig
    from lstmlab.data import Prepared
    from lstmlab.evaluation import Evaluation
    from lstmlab.forecaster import Forecaster

__all__ = ["Fitted", "Forecast", "describe_data", "fit_models", "forecast_run", "interrupted",
           "write_run"]



@dataclass(frozen=True)
class Fitted:
    """One trained model of a run: its forecaster, the windows it was fitted and scored on, its
    scores, and the training time."""

    cell: str
    forecaster: Forecaster
    prepared: Prepared
    evaluation: Evaluation  # with the seed ensemble's rows when several seeds were trained
    seconds: float
    spread: pd.DataFrame | None = None  # metrics across seeds (lstmlab.seeds.seed_spread)


def describe_data(prices: pd.DataFrame, config: ForecastConfig,
                  covariates: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """Rows, date range, notes on what loading did, and each split's dates and window count.

    ``covariates``: the frames of the config's covariate and known sources
    (:func:`lstmlab.pipeline.load_inputs`).
    """
    from lstmlab.pipeline import prepare_for

    prepared = prepare_for(config, prices, covariates=covariates)
    return {
        "rows": len(prices),
        "first": f"{prices.index[0]:%Y-%m-%d}",
        "last": f"{prices.index[-1]:%Y-%m-%d}",
        "target_column": config.target_column,
        "missing_values": int(prices.isna().sum().sum()),
        "notes": prepared.notes,  # the loading notes, then those of the windowing
        "split": _split_summary(prepared),
    }


def _split_summary(prepared: Prepared) -> dict[str, dict[str, Any]]:
    return {name: {**prepared.split_dates[name], "windows": len(getattr(prepared, name).dates)}
            for name in SPLITS}


def fit_models(prices: pd.DataFrame, configs: Mapping[str, ForecastConfig],
               on_epoch: ProgressCallback | None = None,
               covariates: Mapping[str, pd.DataFrame] | None = None, *,
               seeds: int = 1, jobs: int = 1) -> list[Fitted]:
    """Fit and evaluate one forecaster per cell on the same prices (and the same covariate
    frames, loaded once by the caller); results in config order.

    ``seeds > 1`` trains that many seeds of each config (:mod:`lstmlab.seeds`): the first is the
    cell's model; the spread across seeds and the seed ensemble's scores come with it. The cells
    are independent, so with ``jobs`` other than 1 they train at once in worker processes, one
    thread each (``jobs=0``: one per core; see :mod:`lstmlab.parallel`); ``on_epoch`` still sees
    every epoch of every cell, here.
    """
    from lstmlab.parallel import relay, run_parallel, workers_for

    local = workers_for(jobs, len(configs)) <= 1
    with relay(on_epoch, local) as report:
        pieces = [(cell, config, prices, covariates, report, seeds)
                  for cell, config in configs.items()]
        return run_parallel(_fit_cell, pieces, jobs=jobs)


def _fit_cell(piece: tuple[str, ForecastConfig, pd.DataFrame,
                           Mapping[str, pd.DataFrame] | None, ProgressCallback | None, int]
              ) -> Fitted:
    """One cell of :func:`fit_models`: its seeds, their ensemble and spread."""
    import pandas as pd

    from lstmlab.pipeline import prepare_for

    cell, config, prices, covariates, on_epoch, seeds = piece
    report = (lambda record: on_epoch(cell, record)) if on_epoch else None
    start = time.perf_counter()
    prepared = prepare_for(config, prices, covariates=covariates)
    runs = [_fit_one(seeded, prices, prepared, report, covariates)
            for seeded in seed_configs(config, seeds)]
    (forecaster, evaluation), spread = runs[0], None
    if seeds > 1:
        ensemble = ensemble_metrics([f for f, _ in runs], prepared, prices)
        evaluation = replace(evaluation, metrics=pd.concat([evaluation.metrics, ensemble]))
        spread = seed_spread([e for _, e in runs], cell)
    return Fitted(cell, forecaster, prepared, evaluation, time.perf_counter() - start, spread)


def _fit_one(config: ForecastConfig, prices: pd.DataFrame, prepared: Prepared,
             report: Callable[[dict[str, float]], None] | None,
             covariates: Mapping[str, pd.DataFrame] | None) -> tuple[Forecaster, Evaluation]:
    from lstmlab.forecaster import Forecaster

    forecaster = Forecaster(config).fit(prices, prepared=prepared, verbose=False,
                                        on_epoch=report, covariates=covariates)
    return forecaster, forecaster.evaluate(prices, prepared=prepared, covariates=covariates)


def write_run(folder: Path, prices: pd.DataFrame, fitted: list[Fitted],
              asked: dict[str, Any], *, charts: bool = True, jobs: int = 1) -> dict[str, Any]:
    """Fill a new run folder: models, tables, charts, config, manifest, then the report.

    ``asked`` is what the user asked for (``command``, ``name``, ``source``...), saved in
    ``config.json``. ``charts=False`` skips the charts (most of the writing time; sweeps of many
    trials use it), and the report then shows tables only. ``jobs`` other than 1 draws the charts
    in that many worker processes (0: one per core). Returns the manifest.
    """
    models = {}
    for item in fitted:
        models[item.cell] = f"models/{item.cell}.safetensors"
        item.forecaster.save(folder / models[item.cell])
    metrics = _combined_metrics(fitted)
    predictions = _combined_predictions(fitted)
    write_table(folder, "metrics.csv", metrics)
    write_table(folder, "predictions.csv", predictions, index=True)
    write_table(folder, "history.csv", _combined_history(fitted))
    spreads = [item.spread for item in fitted if item.spread is not None]
    if spreads:
        import pandas as pd

        write_table(folder, "seeds.csv", pd.concat(spreads, ignore_index=True))
    if charts:
        _draw_charts(_training_charts(folder, prices, fitted, predictions)
                     + _interval_charts(folder, prices, fitted), jobs)
    configs = {item.cell: item.forecaster.config.to_dict() for item in fitted}
    atomic_write_json(folder / "config.json", {**asked, "configs": configs})
    prepared = fitted[0].prepared
    manifest = {
        "command": asked["command"], "name": asked["name"], "source": asked["source"],
        "created": datetime.now().isoformat(timespec="seconds"),
        "data": {"rows": len(prices), "first": f"{prices.index[0]:%Y-%m-%d}",
                 "last": f"{prices.index[-1]:%Y-%m-%d}",
                 "target_column": prepared.spec.target_column},
        "split": _split_summary(prepared), "models": models,
        "best_model": _best_model(metrics, list(models)),
        "selected": select_forecaster(at_step(metrics)),
        "seconds": {item.cell: round(item.seconds, 2) for item in fitted},
        "seeds": {item.cell: int(item.spread["seeds"].iloc[0]) if item.spread is not None
                  else 1 for item in fitted},
        "interrupted": interrupted(fitted),
        "reproducibility": {item.cell: item.forecaster.manifest_ for item in fitted},
    }
    write_manifest(folder, manifest)
    build_report(folder)
    return manifest


def interrupted(fitted: list[Fitted]) -> dict[str, int]:
    """The cells whose training Ctrl-C stopped, with the epochs they completed."""
    return {item.cell: len(item.forecaster.history_) for item in fitted
            if item.forecaster.stop_reason_ == "interrupted"}


def _combined_metrics(fitted: list[Fitted]) -> pd.DataFrame:
    """Every model's rows and, once, the baselines' rows; columns ``split, model, ...``."""
    import pandas as pd

    cells = [item.cell for item in fitted]
    frames = [fitted[0].evaluation.metrics.reset_index()]
    for item in fitted[1:]:
        rows = item.evaluation.metrics.reset_index()
        frames.append(rows[rows["model"].isin([item.cell, ensemble_name(item.cell)])])
    table = pd.concat(frames, ignore_index=True)
    ranks = {"_split": table["split"].map({"val": 0, "test": 1}).fillna(2),
             "_model": table["model"].map({c: i for i, c in enumerate(cells)}).fillna(len(cells))}
    ordered = table.assign(**ranks).sort_values(list(ranks), kind="stable")
    return ordered.drop(columns=list(ranks)).reset_index(drop=True)


def _combined_predictions(fitted: list[Fitted]) -> pd.DataFrame:
    """Date-indexed split, actual, the baselines and one column per model."""
    frame = fitted[0].evaluation.predictions.drop(columns=fitted[0].cell)
    for item in fitted:
        frame[item.cell] = item.evaluation.predictions[item.cell]
    return frame


def _combined_history(fitted: list[Fitted]) -> pd.DataFrame:
    import pandas as pd

    return pd.concat([item.forecaster.history_.assign(model=item.cell) for item in fitted],
                     ignore_index=True)


def _best_model(metrics: pd.DataFrame, cells: list[str]) -> str:
    """The trained cell with the lowest validation RMSE over all steps (the test split is not
    used to choose); ``selected`` also counts the baselines (:mod:`lstmlab.verdicts`)."""
    val = at_step(metrics).loc["val"]
    return str(val.loc[val.index.isin(cells), "rmse"].idxmin())


# One chart to draw: the stem it is saved under, the function that draws it, and its arguments.
# The functions live at module level in lstmlab.charts / lstmlab.interval_charts, so a piece
# pickles by reference and a worker process can draw it.
ChartPiece = tuple[Path, Callable[..., "Figure"], tuple[Any, ...], dict[str, Any]]


def _draw_charts(pieces: list[ChartPiece], jobs: int) -> None:
    """Draw and save every chart; they are independent, so with ``jobs`` other than 1 they are
    drawn in worker processes (rendering is most of a run's writing time)."""
    from lstmlab.parallel import run_parallel

    run_parallel(_draw_chart, pieces, jobs=jobs)


def _draw_chart(piece: ChartPiece) -> None:
    from lstmlab import charts

    stem, draw, args, kwargs = piece
    charts.save_figure(draw(*args, **kwargs), stem)


def _training_charts(folder: Path, prices: pd.DataFrame, fitted: list[Fitted],
                     predictions: pd.DataFrame) -> list[ChartPiece]:
    from lstmlab import charts

    prepared = fitted[0].prepared
    spans = {name: (span["first"], span["last"]) for name, span in prepared.split_dates.items()}
    series = prices[prepared.spec.target_column].rename(prepared.spec.target_column)
    histories = {display_name(item.cell): item.forecaster.history_ for item in fitted}
    named = predictions.rename(columns={item.cell: display_name(item.cell) for item in fitted})
    models = list(histories)
    pieces: list[ChartPiece] = [
        (chart_stem(folder, "prices"), charts.price_chart, (series, spans), {}),
        (chart_stem(folder, "predictions"), charts.prediction_chart, (named, models), {}),
        (chart_stem(folder, "residuals"), charts.residual_chart, (named, models), {}),
        (chart_stem(folder, "loss"), charts.loss_chart, (histories,), {}),
    ]
    if len(fitted) > 1:  # one loss chart per model too: the overlay gets crowded
        pieces += [(chart_stem(folder, "loss", item.cell), charts.loss_chart,
                    ({name: history},), {})
                   for item, (name, history) in zip(fitted, histories.items(), strict=True)]
    return pieces


def _interval_charts(folder: Path, prices: pd.DataFrame, fitted: list[Fitted],
                     days: int = 120) -> list[ChartPiece]:
    """Per model: a fan chart of the last ``days`` test days and coverage over the test period;
    one PIT histogram of the models with a distribution head."""
    from lstmlab import interval_charts
    from lstmlab.interval_metrics import pit_histogram

    pieces: list[ChartPiece] = []
    pits = {}
    for item in fitted:
        bands = item.evaluation.bands
        if bands is None:
            continue
        name = display_name(item.cell)
        predicted = item.evaluation.predictions[item.cell]
        fan = bands.bands.iloc[-days:].assign(prediction=predicted.loc[bands.bands.index[-days:]])
        history = prices[item.forecaster.config.target_column]
        alpha = item.forecaster.config.alpha
        pieces += [
            (chart_stem(folder, "fan", item.cell), interval_charts.fan_chart, (history, fan, (
                f"{name}: test-period forecasts with adaptive-conformal 50/80/90% bands, "
                f"last {len(fan)} days")), {"history_days": 60}),
            (chart_stem(folder, "coverage", item.cell), interval_charts.coverage_chart, (
                cast("pd.DatetimeIndex", bands.bands.index), bands.covered, 1 - alpha,
                f"{name}: coverage of the {1 - alpha:.0%} bands over the test period "
                f"(rolling 63 days)"), {}),
        ]
        if bands.pit is not None:
            pits[f"{name} ({item.forecaster.config.loss})"] = pit_histogram(bands.pit)
    if pits:
        pieces.append((chart_stem(folder, "pit"), interval_charts.pit_chart,
                       (pits, "PIT histograms on the test period: flat is calibrated"), {}))
    return pieces


@dataclass(frozen=True)
class Forecast:
    """A forecast made from a run: which model, the table, and how its band was made."""

    cell: str
    table: pd.DataFrame
    band: str


def forecast_run(run: Run, prices: pd.DataFrame, steps: int, cell: str | None = None, *,
                 method: str = "adaptive", calendar: str | None = None,
                 data_dir: str | None = None) -> Forecast:
    """Forecast ``steps`` trading days past ``prices`` with a run's model; save table and chart.

    The days are the sessions of the exchange ``calendar`` (default: XNYS, see
    :mod:`lstmlab.trading_days`); ``method`` calibrates the band (see ``Forecaster.forecast``).
    A model with past covariates loads their latest prices (``data_dir``: where tickers are
    looked up), and one with known tables reads them again from their paths.

    Writes ``forecast-<cell>.csv`` and ``charts/forecast-<cell>.*`` (a fan chart when the model
    has calibrated bands) into the run, then rebuilds its report. The model is loaded on the
    CPU, wherever it was trained.
    """
    from lstmlab import charts
    from lstmlab.forecaster import Forecaster
    from lstmlab.interval_charts import fan_chart
    from lstmlab.trading_days import DEFAULT_CALENDAR

    cell = cell or run.manifest["best_model"]
    forecaster = Forecaster.load(run.model_path(cell), device="cpu")
    from lstmlab.pipeline import load_inputs

    covariates = load_inputs(forecaster.config, data_dir=data_dir)
    table = forecaster.forecast(prices, steps, method=method,
                                calendar=calendar or DEFAULT_CALENDAR, covariates=covariates)
    write_table(run.path, f"forecast-{cell}.csv", table, index=True)
    history = prices[forecaster.config.target_column]
    title = f"{display_name(cell)}: {steps}-day forecast from {prices.index[-1]:%Y-%m-%d}"
    figure = (charts.forecast_chart(history, table, title=title)
              if forecaster.calibration_ is None else fan_chart(history, table, title))
    charts.save_figure(figure, chart_stem(run.path, "forecast", cell))
    build_report(run.path)
    return Forecast(cell, table, table.attrs["interval"])
