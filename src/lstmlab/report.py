"""The HTML report of a run: one self-contained file, built from the run directory alone.

Everything is inline: charts are embedded as base64 PNG, the stylesheet is in the page, and a
Content-Security-Policy forbids any request to the network (the page has no script at all).
The page is the template ``report.html.j2`` (see :mod:`lstmlab.pages`); this module only
gathers what it shows. :func:`build_report` can be run again at any time
(``lstmlab report RUN_DIR``): it reads only the files of the run (see :mod:`lstmlab.runs`).
"""

from __future__ import annotations

import base64
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lstmlab.fileio import atomic_write_text
from lstmlab.pages import Cell, Row, Table, best_values, metric_cells, render
from lstmlab.runs import Run, chart_stem, read_run
from lstmlab.verdicts import at_step, lag_sentence, overall_step, run_summary
from lstmlab.vocabulary import (
    ALL_METRICS,
    EVALUATED_SPLITS,
    INTERVAL_METRICS,
    MEAN_STEP,
    METRICS,
    SPLIT_LABELS,
    SPLITS,
    display_name,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["build_report", "display_name", "inputs_fact", "render_report", "summary_text"]

_NAV = {"summary": "Summary", "prices": "Prices", "losses": "Losses",
        "predictions": "Predictions", "metrics": "Metrics", "intervals": "Bands",
        "forecast": "Forecast", "explain": "Inside", "config": "Configuration"}


def build_report(run_dir: str | os.PathLike[str]) -> Path:
    """(Re)write ``report.html`` in ``run_dir`` from the run's files; return its path."""
    run = read_run(run_dir)
    if run.manifest.get("command") == "backtest":
        from lstmlab.backtest.page import render_backtest

        return atomic_write_text(run.path / "report.html", render_backtest(run))
    return atomic_write_text(run.path / "report.html", render_report(run))


def render_report(run: Run) -> str:
    """The report of ``run`` as one HTML page."""
    metrics = run.table("metrics.csv")
    figures = _figures(run)
    interval_table = _interval_table(run, metrics)
    explain_pages = sorted(p.name for p in run.path.glob("explain*.html"))  # `lstmlab explain`
    present = {"summary": True, "prices": figures["prices"],
               "losses": figures["loss"] or figures["losses"],
               "predictions": figures["predictions"] or figures["residuals"], "metrics": True,
               "intervals": interval_table is not None, "forecast": figures["forecasts"],
               "explain": explain_pages, "config": True}
    shown = [key for key, has in present.items() if has]
    created = str(run.manifest.get("created", "")).replace("T", " ")
    name = run.manifest.get("name", run.path.name)
    return render(
        "report.html.j2",
        title=f"lstmlab {run.manifest['command']}: {run.manifest['source']}",
        subtitle=f"lstmlab {run.manifest['lstmlab_version']} · {created} · {name}",
        nav=[(key, _NAV[key]) for key in shown], shown=shown, figures=figures,
        facts=_facts(run), verdict=summary_text(run, metrics),
        metric_tables=_metric_tables(run, metrics), interval_table=interval_table,
        config_table=_config_table(run),
        manifest=json.dumps(run.manifest.get("reproducibility", {}), indent=2),
        explain_pages=explain_pages,
        attributions={name: text for name in explain_pages
                      if (text := _attribution_text(run.path / name)) is not None},
    )


def _facts(run: Run) -> list[tuple[str, str]]:
    data, split = run.manifest["data"], run.manifest["split"]
    facts = [("Data", f"{run.manifest['source']}: {data['rows']:,} trading days, "
                      f"{data['first']} to {data['last']} ({data['target_column']})")]
    facts += [(SPLIT_LABELS[part], f"{split[part]['first']} to {split[part]['last']} · "
                                   f"{split[part]['windows']:,} windows") for part in SPLITS]
    facts.append(("Models", ", ".join(display_name(c) for c in run.cells)))
    facts.append(inputs_fact(run.config["configs"]))
    best = display_name(run.manifest["best_model"])
    facts.append(("Best trained model", f"{best} (lowest validation RMSE)"))
    facts.append(("Selected", f"{display_name(run.manifest['selected'])} (lowest validation "
                              f"RMSE among the models and the baselines)"))
    for cell, epochs in _interrupted(run).items():
        facts.append(("Interrupted", f"training of {display_name(cell)} was stopped by Ctrl-C "
                                     f"after {epochs} epochs; the best weights so far are kept"))
    return facts


def _interrupted(run: Run) -> dict[str, int]:
    """Cells whose training was interrupted, with their epochs (runs before 0.2 lack it)."""
    stopped = run.manifest.get("interrupted") or {}
    return {str(c): int(n) for c, n in stopped.items()} if isinstance(stopped, dict) else {}


def summary_text(run: Run, metrics: pd.DataFrame) -> str:
    """The selection, the tested verdict against naive (:mod:`lstmlab.verdicts`), the lag check
    of each model, and the placebo's percentile when it has been run for the ticker."""
    step_one = at_step(metrics, 1).loc["test"]
    lags = [f"Lag check ({display_name(c)}): " + lag_sentence(
        float(cast(float, step_one.loc[c, "lag_corr"])),
        float(cast(float, step_one.loc[c, "same_day_corr"])))
        for c in run.cells]
    parts = [run_summary(metrics, run.manifest["selected"]), *lags, _placebo(run)]
    return " ".join(p for p in parts if p)


def _placebo(run: Run) -> str:
    """What ``benchmarks/placebo.py`` found for the run's ticker, when it has been run and its
    result sits in ``placebo/<TICKER>.json`` beside the run."""
    ticker = Path(str(run.manifest["source"])).stem.upper()
    path = run.path.parent / "placebo" / f"{ticker}.json"
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
        percentile, real = float(result["percentile"]), float(result["real_ratio"])
        series = len(result["placebo_ratios"])
        epochs = int(result["config"]["max_epochs"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    finding = ("evidence that the real series holds something the model learned"
               if percentile <= 5 else "no evidence of skill beyond what a random walk allows")
    return (f"Placebo ({path.name}: the default configuration, at most {epochs} epochs): the "
            f"real test RMSE / naive ratio "
            f"{real:.4f} lies at the {percentile:.0f}th percentile of {series} ratios on "
            f"random walks with {ticker}'s training mean and volatility: {finding}.")


def _figures(run: Run) -> dict[str, Any]:
    """The run's charts as ``{png, caption}`` (None, or an empty list, when not drawn)."""
    models = ", ".join(display_name(c) for c in run.cells)

    def each(kind: str, caption: str) -> list[dict[str, str]]:
        found = [_figure(run, kind, c, f"{display_name(c)}: {caption}") for c in run.cells]
        return [f for f in found if f]

    return {
        "prices": _figure(run, "prices", None, "Price with train / validation / test"),
        "loss": _figure(run, "loss", None, "Train (solid) and validation (dashed) loss per "
                                           "epoch, best validation epoch circled"),
        "losses": each("loss", "train and validation loss"),
        "predictions": _figure(run, "predictions", None, f"Actual and predicted price "
                               f"({models}) against the naive forecast, validation and test"),
        "residuals": _figure(run, "residuals", None, "Residuals (actual − predicted) over time"),
        "forecasts": each("forecast", "forecast beyond the data, with its uncertainty band"),
        "bands": [f for pair in zip(each("fan", "test forecasts with 50/80/90% bands"),
                                    each("coverage", "rolling coverage on the test period"),
                                    strict=False) for f in pair]
                 + [f for f in [_figure(run, "pit", None, "PIT histograms on the test period")]
                    if f],
    }


def _figure(run: Run, kind: str, cell: str | None, caption: str) -> dict[str, str] | None:
    png = chart_stem(run.path, kind, cell).with_suffix(".png")
    if not png.is_file():
        return None
    return {"png": base64.b64encode(png.read_bytes()).decode("ascii"), "caption": caption}


def _metric_tables(run: Run, metrics: pd.DataFrame) -> list[tuple[str, Table]]:
    """One table per scored split and headline step (step 1, and the mean over the steps of a
    multi-step forecast), test first (it is the headline)."""
    columns = [c for c in METRICS if c in metrics.columns]
    steps = {"1": "step 1"} if overall_step(metrics) == "1" else {
        "1": "step 1", MEAN_STEP: "mean over steps"}
    tables = []
    for split in reversed(EVALUATED_SPLITS):
        for step, label in steps.items():
            table = at_step(metrics, step).reset_index()
            # a metrics table's columns are names (pandas-stubs types the keys as Hashable)
            rows = cast(list[dict[str, Any]],
                        table[table["split"] == split].to_dict(orient="records"))
            if rows:
                tables.append((f"{SPLIT_LABELS[split]}, {label}",
                               _metric_table(rows, columns, run)))
    return tables


def _interval_table(run: Run, metrics: pd.DataFrame) -> Table | None:
    """The test rows' interval scores (models with bands and the naive volatility band)."""
    # the split-conformal widths stay in metrics.csv: the page has room for one set of widths
    columns = [c for c in INTERVAL_METRICS
               if c in metrics.columns and c not in ("split_width", "split_width_pct")]
    test = metrics[metrics["split"] == "test"]
    if not columns:
        return None
    records = cast(list[dict[str, Any]], test.to_dict(orient="records"))  # named columns
    rows = [r for r in records
            if any(isinstance(r[c], float) and math.isfinite(r[c]) for c in columns)]
    return _metric_table(rows, columns, run) if rows else None


def _metric_table(rows: list[dict[str, Any]], columns: list[str], run: Run) -> Table:
    best = best_values(rows, columns)
    table = Table([("Model", ""), *((ALL_METRICS[c].heading, "") for c in columns)])
    for row in rows:
        model = row["model"]
        kind = "best" if model == run.manifest["selected"] else (
            "model" if model in run.cells else "baseline")
        name = Cell(display_name(model), head=True, badge="selected" if kind == "best" else None)
        table.rows.append(Row([name, *metric_cells(row, columns, best)], css=kind))
    return table


def _attribution_text(page: Path) -> str | None:
    """The attribution per input that ``lstmlab explain`` wrote next to ``page``, as one line;
    None when there is none or it is not what lstmlab writes (the run folder is untrusted)."""
    try:
        saved = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        by_input = {str(k): float(v) for k, v in saved["by_input"].items()}
        units, window = str(saved["units"]), str(saved["window"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    shown = "; ".join(f"{name} {value:+.3g}" for name, value in by_input.items())
    return f"integrated-gradients attribution ({units}) of its forecast, {window}, per input: "\
           f"{shown}"


def inputs_fact(configs: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """``("Inputs", text)``: what the models read (the first config's inputs, which every cell of
    a run shares): own features, each past covariate with its features, calendar facts, each
    known table with its columns."""
    config = next(iter(configs.values()))
    parts = [f"own {', '.join(config['features'])}"] if config.get("features") else []
    covariates: dict[str, list[str]] = config.get("covariates") or {}
    parts.append("past covariates " + "; ".join(
        f"{name} ({', '.join(features)})" for name, features in covariates.items())
        if covariates else "no past covariates")
    if config.get("calendar_features"):
        parts.append(f"calendar facts of the forecast days ({config['calendar']})")
    known: dict[str, list[str]] = config.get("known") or {}
    if known:
        parts.append("known on the forecast days " + "; ".join(
            f"{name} ({', '.join(columns)})" for name, columns in known.items()))
    return "Inputs", " · ".join(parts)


def _config_table(run: Run) -> Table:
    configs: dict[str, dict[str, Any]] = run.config["configs"]
    keys = list(dict.fromkeys(k for config in configs.values() for k in config))
    table = Table([("Setting", ""), *((display_name(c), "") for c in configs)], css="config")
    for key in keys:
        values = [Cell(_plain(config.get(key))) for config in configs.values()]
        table.rows.append(Row([Cell(key, head=True), *values]))
    return table


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
