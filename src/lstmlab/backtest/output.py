"""A backtest's run directory, like ``compare``'s, with its own tables and charts.

Layout of ``runs/<name>/`` after ``lstmlab backtest``::

    config.json        what was asked: source, settings, cells, seeds, each cell's ForecastConfig
    manifest.json      what happened: data, period, refits, seconds, headline scores
    predictions.csv    one row per (origin, step): origin, step, target_date, refit, actual,
                       each model, each baseline
    metrics.csv        per step, pooled and per refit block: n, RMSE, MAE, ratio to naive, tests
    refits.csv         one row per (refit, cell, seed): dates, epochs, fit seconds, stored or not
    selection.csv      one row per refit: each candidate's validation RMSE, the one selected
    bands.csv          one row per (origin, step, model, method): actual, point, lower, upper
                       (:mod:`lstmlab.backtest.bands`)
    intervals.csv      their scores, pooled and per refit block: coverage, width, interval
                       score, DM test against the naive volatility band
    charts/rolling-ratio.*, charts/cumulative-difference.*, charts/coverage.*
    report.html        the self-contained report (:mod:`lstmlab.backtest.page`)

No model file is kept in the run (each refit has its own model; the refit store keeps them).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lstmlab.fileio import atomic_write_json
from lstmlab.runs import chart_stem, write_manifest, write_table

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from lstmlab.backtest.result import Backtest

__all__ = ["RATIO_WINDOW", "headline", "write_backtest_run"]

RATIO_WINDOW = 63  # forecasts in the rolling RMSE ratio and coverage: about a quarter


def headline(backtest: Backtest) -> dict[str, dict[str, float]]:
    """Per model, the pooled step-1 figures: ``n``, ``rmse_ratio``, ``dm_p_value`` (and any
    further test columns the metrics hold)."""
    pooled = backtest.metrics.query("scope == 'pooled' and step == 1").set_index("model")
    keep = [c for c in pooled.columns if c not in ("scope", "refit", "step")]
    return {model: {c: float(cast(float, pooled.loc[model, c])) for c in keep}
            for model in backtest.models}


def write_backtest_run(folder: Path, prices: pd.DataFrame, backtest: Backtest,
                       asked: dict[str, Any], *, wall_seconds: float,
                       charts: bool = True) -> dict[str, Any]:
    """Fill a new run folder with the backtest's tables, charts, config, manifest and report;
    return the manifest."""
    from lstmlab.report import build_report

    write_table(folder, "predictions.csv", backtest.predictions)
    write_table(folder, "metrics.csv", backtest.metrics)
    write_table(folder, "refits.csv", backtest.refits)
    write_table(folder, "selection.csv", backtest.selection)
    write_table(folder, "bands.csv", backtest.bands)
    write_table(folder, "intervals.csv", backtest.intervals)
    if charts:
        draw_charts(folder, backtest)
    configs = {cell: config.to_dict() for cell, config in backtest.configs.items()}
    atomic_write_json(folder / "config.json", {**asked, "settings": backtest.settings.to_dict(),
                                               "configs": configs})
    table = backtest.predictions
    manifest = {
        "command": "backtest", "name": asked["name"], "source": asked["source"],
        "created": datetime.now().isoformat(timespec="seconds"),
        "data": {"rows": len(prices), "first": f"{prices.index[0]:%Y-%m-%d}",
                 "last": f"{prices.index[-1]:%Y-%m-%d}",
                 "target_column": next(iter(backtest.configs.values())).target_column},
        "period": {"first_origin": f"{table['origin'].min():%Y-%m-%d}",
                   "last_target": f"{table['target_date'].max():%Y-%m-%d}",
                   "origins": int(table["origin"].nunique())},
        "settings": backtest.settings.to_dict(), "cells": list(backtest.configs),
        "models": {}, "forecast_columns": backtest.models, "baselines": backtest.baselines,
        "refits": int(backtest.refits["refit"].nunique()),
        "seconds": {"wall": round(wall_seconds, 2), "fits": round(backtest.fit_seconds, 2)},
        "headline": headline(backtest),
    }
    write_manifest(folder, manifest)
    build_report(folder)
    return manifest


def draw_charts(folder: Path, backtest: Backtest) -> None:
    """The rolling RMSE ratio, the cumulative squared-error difference and the rolling coverage
    of the bands, step 1."""
    import pandas as pd

    from lstmlab import charts
    from lstmlab.backtest.charts import cumulative_difference_chart, rolling_ratio_chart
    from lstmlab.backtest.scoring import cumulative_difference, rolling_ratio
    from lstmlab.vocabulary import display_name

    table, models = backtest.predictions, backtest.models
    refit_dates = pd.to_datetime(backtest.refits["refit_date"].unique())
    names = {m: display_name(m) for m in models}
    ratio = rolling_ratio(table, models, RATIO_WINDOW).dropna(how="all").rename(columns=names)
    figures = {"cumulative-difference": cumulative_difference_chart(
        cumulative_difference(table, models).rename(columns=names), refit_dates)}
    if len(ratio):  # fewer than RATIO_WINDOW forecasts give no rolling ratio
        figures["rolling-ratio"] = rolling_ratio_chart(ratio, refit_dates, RATIO_WINDOW)
        figures["coverage"] = _coverage_chart(backtest, refit_dates)
    for kind, figure in figures.items():
        charts.save_figure(figure, chart_stem(folder, kind))


def _coverage_chart(backtest: Backtest, refit_dates: pd.DatetimeIndex) -> Figure:
    """Rolling coverage of each forecast's headline band, step 1, against ``1 - alpha``."""
    import pandas as pd

    from lstmlab.backtest.bands import METHOD_LABELS, default_bands
    from lstmlab.backtest.charts import coverage_over_time_chart
    from lstmlab.vocabulary import display_name

    bands = default_bands(backtest.bands)
    bands = bands[bands["step"] == 1]
    covered = {}
    for key, rows in bands.groupby(["model", "method"], sort=False):
        model, method = cast(tuple[str, str], key)  # two text columns
        hits = (rows["lower"] <= rows["actual"]) & (rows["actual"] <= rows["upper"])
        covered[f"{display_name(model)}, {METHOD_LABELS[method]}"] = hits.to_numpy()
    dates = pd.DatetimeIndex(bands.loc[bands["model"] == "naive", "target_date"])
    nominal = 1 - next(iter(backtest.configs.values())).alpha
    return coverage_over_time_chart(dates, covered, refit_dates, nominal, RATIO_WINDOW)
