"""The HTML report of a run: one self-contained file, built from the run directory alone.

Everything is inline: charts are embedded as base64 PNG, the stylesheet is in the page, and a
Content-Security-Policy forbids any request to the network (the page has no script at all).
:func:`build_report` can be run again at any time (``lstmlab report RUN_DIR``): it reads only
the files of the run (see :mod:`lstmlab.runs`).
"""

from __future__ import annotations

import base64
import json
import math
import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmlab.fileio import atomic_write_text
from lstmlab.runs import Run, chart_stem, read_run
from lstmlab.vocabulary import (
    EVALUATED_SPLITS,
    INTERVAL_METRICS,
    METRICS,
    SPLIT_LABELS,
    SPLITS,
    Metric,
    display_name,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["build_report", "display_name", "render_page", "render_report", "section", "verdict"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STYLE = (Path(__file__).with_name("report.css")).read_text(encoding="utf-8")


def build_report(run_dir: str | os.PathLike[str]) -> Path:
    """(Re)write ``report.html`` in ``run_dir`` from the run's files; return its path."""
    run = read_run(run_dir)
    return atomic_write_text(run.path / "report.html", render_report(run))


def render_report(run: Run) -> str:
    """The report of ``run`` as one HTML page."""
    metrics = run.table("metrics.csv")
    title = f"lstmlab {run.manifest['command']}: {run.manifest['source']}"
    sections = [
        section("summary", "Summary", _summary(run, metrics)),
        section("prices", "Prices and splits", _figure(run, "prices", None,
                                                         "Price with train / validation / test")),
        section("losses", "Training and validation loss", _loss_figures(run)),
        section("predictions", "Predictions", _prediction_figures(run)),
        section("metrics", "Metrics against the baselines", _metrics_tables(run, metrics)),
        section("intervals", "Forecast bands", _interval_section(run, metrics)),
        section("forecast", "Forecast", _forecast_figures(run)),
        section("config", "Configuration", _configuration(run)),
    ]
    body = "".join(s for s in sections if s)
    created = str(run.manifest.get("created", "")).replace("T", " ")
    name = run.manifest.get("name", run.path.name)
    subtitle = f"lstmlab {run.manifest['lstmlab_version']} · {created} · {name}"
    return render_page(title, subtitle, body, _nav(body))


def render_page(title: str, subtitle: str, body: str, nav: list[tuple[str, str]]) -> str:
    """A self-contained page: header with ``title``, ``subtitle`` (plain text) and links to
    ``nav`` (section id, label), then ``body`` (HTML sections). Also used by the sweep report."""
    links = "".join(f'<a href="#{key}">{escape(label)}</a>' for key, label in nav)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p class=sub>{escape(subtitle)}</p>"
        f"<nav>{links}</nav></header><main>{body}</main></body></html>\n"
    )


def _nav(body: str) -> list[tuple[str, str]]:
    """(id, heading) of the sections present, in page order."""
    names = {"summary": "Summary", "prices": "Prices", "losses": "Losses",
             "predictions": "Predictions", "metrics": "Metrics", "forecast": "Forecast",
             "config": "Configuration"}
    return [(key, label) for key, label in names.items() if f'id="{key}"' in body]


def section(key: str, heading: str, content: str) -> str:
    """``content`` as a page section with id ``key`` and an ``h2`` heading; '' if empty."""
    return f'<section id="{key}"><h2>{heading}</h2>{content}</section>' if content else ""


def _summary(run: Run, metrics: pd.DataFrame) -> str:
    data, split = run.manifest["data"], run.manifest["split"]
    best = run.manifest["best_model"]
    rows = [("Data", f"{escape(str(run.manifest['source']))}: {data['rows']:,} trading days, "
                     f"{data['first']} to {data['last']} ({escape(data['target_column'])})")]
    for part in SPLITS:
        info = split[part]
        rows.append((SPLIT_LABELS[part],
                     f"{info['first']} to {info['last']} · {info['windows']:,} windows"))
    rows.append(("Models", ", ".join(display_name(c) for c in run.cells)))
    rows.append(("Best model", f"<strong>{display_name(best)}</strong> "
                               f"(lowest validation RMSE)"))
    for cell, epochs in _interrupted(run).items():
        rows.append(("Interrupted", f"training of {display_name(cell)} was stopped by Ctrl-C "
                                    f"after {epochs} epochs; the best weights so far are kept"))
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl><p class="verdict">{verdict(metrics, best)}</p>'


def _interrupted(run: Run) -> dict[str, int]:
    """Cells whose training was interrupted, with their epochs (runs before 0.2 lack it)."""
    stopped = run.manifest.get("interrupted") or {}
    return {str(c): int(n) for c, n in stopped.items()} if isinstance(stopped, dict) else {}


def verdict(metrics: pd.DataFrame, best: str) -> str:
    """One sentence: how ``best`` does against the naive forecast on the test split.

    ``metrics`` has columns ``split, model, rmse`` (and ``dm_p_value``), as in ``metrics.csv``.
    """
    test = metrics[metrics["split"] == "test"].set_index("model")
    model, naive = test.loc[best], test.loc["naive"]
    change = model["rmse"] / naive["rmse"] - 1
    word = "lower" if change < 0 else "higher"
    sentence = (f"On the test split, {display_name(best)} has an RMSE of {model['rmse']:,.2f} "
                f"against {naive['rmse']:,.2f} for the naive forecast (tomorrow = today), "
                f"{abs(change):.1%} {word}")
    p_value = model.get("dm_p_value", math.nan)
    if isinstance(p_value, float) and math.isfinite(p_value):
        kind = "a significant" if p_value < 0.05 else "not a significant"
        sentence += (f"; the Diebold-Mariano test (p = {p_value:.2f}) calls this {kind} "
                     f"difference")
    return sentence + "."


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _figure(run: Run, kind: str, cell: str | None, caption: str) -> str:
    """A chart of the run as an embedded figure, or '' when the run has no such chart."""
    png = chart_stem(run.path, kind, cell).with_suffix(".png")
    if not png.is_file():
        return ""
    return f"<figure>{_image(png, caption)}<figcaption>{escape(caption)}</figcaption></figure>"


def _loss_figures(run: Run) -> str:
    overlay = _figure(run, "loss", None, "Train (solid) and validation (dashed) loss per epoch, "
                                         "best validation epoch circled")
    each = [_figure(run, "loss", c, f"{display_name(c)}: train and validation loss")
            for c in run.cells]
    return overlay + _grid(each)


def _prediction_figures(run: Run) -> str:
    models = ", ".join(display_name(c) for c in run.cells)
    return (_figure(run, "predictions", None, f"Actual and predicted price ({models}) against "
                                              f"the naive forecast, validation and test")
            + _figure(run, "residuals", None, "Residuals (actual − predicted) over time"))


def _forecast_figures(run: Run) -> str:
    return _grid([_figure(run, "forecast", c, f"{display_name(c)}: forecast beyond the data, "
                                              f"with its uncertainty band") for c in run.cells])


def _grid(figures: list[str]) -> str:
    shown = [f for f in figures if f]
    return f'<div class="grid">{"".join(shown)}</div>' if shown else ""


def _metrics_tables(run: Run, metrics: pd.DataFrame) -> str:
    columns = [c for c in METRICS if c in metrics.columns]
    tables = []
    for split in reversed(EVALUATED_SPLITS):  # test first: it is the headline
        rows = metrics[metrics["split"] == split]
        if len(rows):
            tables.append(f"<h3>{SPLIT_LABELS[split]}</h3>" + _metrics_table(rows, columns, run))
    note = ("<p class=note>RMSE and MAE in price units; MASE is relative to the naive forecast "
            "(below 1 beats it); p (dir.) tests the direction hit rate against a coin, p (DM) the "
            "squared errors against the naive forecast. Best value per column in bold.</p>")
    return "".join(tables) + note


def _interval_section(run: Run, metrics: pd.DataFrame) -> str:
    """Interval scores on test, then fan, coverage and PIT charts; '' for runs without bands."""
    columns = [c for c in INTERVAL_METRICS if c in metrics.columns]
    rows = metrics[metrics["split"] == "test"]
    if not columns or rows[columns].isna().all().all():
        return ""
    rows = rows[rows[columns].notna().any(axis=1)]
    note = ("<p class=note>Test period, nominal coverage 1 − alpha (see Configuration). The "
            "model's band is adaptive conformal (Gibbs &amp; Candès 2021), run online; "
            "<em>split</em> columns score the split-conformal band. The naive row is the naive "
            "forecast with a band from 60-day return volatility: the band to beat on interval "
            "score (lower is better; it charges width and, 2/alpha-fold, each miss). Widths, "
            "pinball loss and CRPS in price units.</p>")
    figures = [_figure(run, kind, c, f"{display_name(c)}: {caption}") for c in run.cells
               for kind, caption in (("fan", "test forecasts with 50/80/90% bands"),
                                     ("coverage", "rolling coverage on the test period"))]
    pit = _figure(run, "pit", None, "PIT histograms on the test period")
    return (_metrics_table(rows, columns, run, INTERVAL_METRICS) + note
            + _grid([*figures, pit]))


def _metrics_table(rows: pd.DataFrame, columns: list[str], run: Run,
                   table: dict[str, Metric] = METRICS) -> str:
    best_values = {c: _best(rows[c], table[c].better) for c in columns if table[c].better}
    head = "".join(f"<th>{table[c].heading}</th>" for c in columns)
    body = []
    for _, row in rows.iterrows():
        model = row["model"]
        kind = "best" if model == run.manifest["best_model"] else (
            "model" if model in run.cells else "baseline")
        cells = "".join(_cell(row[c], table[c], best_values.get(c)) for c in columns)
        badge = ' <span class="badge">best</span>' if kind == "best" else ""
        body.append(f'<tr class="{kind}"><th>{escape(display_name(model))}{badge}</th>'
                    f"{cells}</tr>")
    return (f'<table class="metrics"><thead><tr><th>Model</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _best(values: pd.Series, direction: int) -> float:
    finite = values[values.notna()]
    return (finite.min() if direction < 0 else finite.max()) if len(finite) else math.nan


def _cell(value: Any, metric: Metric, best: float | None) -> str:
    text = metric.show(value)
    if text == "–":
        return '<td class="na">–</td>'
    return f"<td><strong>{text}</strong></td>" if value == best else f"<td>{text}</td>"


def _configuration(run: Run) -> str:
    configs: dict[str, dict[str, Any]] = run.config["configs"]
    keys = list(dict.fromkeys(k for config in configs.values() for k in config))
    head = "".join(f"<th>{display_name(c)}</th>" for c in configs)
    rows = "".join(
        f"<tr><th>{escape(k)}</th>"
        + "".join(f"<td>{escape(_plain(config.get(k)))}</td>" for config in configs.values())
        + "</tr>" for k in keys)
    manifest = escape(json.dumps(run.manifest.get("reproducibility", {}), indent=2))
    return (f'<table class="config"><thead><tr><th>Setting</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table><details><summary>Reproducibility manifest"
            f"</summary><pre>{manifest}</pre></details>")


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
