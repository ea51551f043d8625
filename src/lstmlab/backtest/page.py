"""The HTML report of a backtest run, built from its run directory alone.

It uses the page shell of :mod:`lstmlab.report` (one self-contained file, no network, no
script): a summary with each model's pooled verdict against the naive forecast, the two charts,
the pooled and per-refit metrics, the refits and the configuration.
"""

from __future__ import annotations

import base64
import json
import math
from html import escape
from typing import TYPE_CHECKING

from lstmlab.report import render_page, section
from lstmlab.runs import Run, chart_stem
from lstmlab.vocabulary import display_name

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["render_backtest", "verdict_sentence"]

_LEVEL = 0.05  # significance level of every verdict sentence
_CHARTS = (
    ("rolling-ratio", "Rolling 63-day RMSE of each model divided by the naive forecast's; below "
                      "1 the model had the smaller errors over that quarter. Grey lines: refits."),
    ("cumulative-difference", "Cumulative squared error of each model minus the naive "
                              "forecast's (Goyal & Welch): where a line falls the model is "
                              "winning, where it rises it is losing. Grey lines: refits."),
)


def verdict_sentence(model: str, scores: dict[str, float]) -> str:
    """How ``model`` compares with the naive forecast, pooled at step 1, in words that claim a
    difference only when the Diebold-Mariano test finds one at the 5% level; the Clark-West
    p-value (the nested-model test) follows."""
    ratio, p = scores["rmse_ratio"], scores.get("dm_p_value", math.nan)
    cw = scores.get("cw_p_value", math.nan)
    nested = f"; Clark-West p = {cw:.3f}" if math.isfinite(cw) else ""
    change = f"{abs(ratio - 1):.1%} {'lower' if ratio < 1 else 'higher'}"
    sentence = (f"{display_name(model)}: pooled one-step RMSE {ratio:.3f}x the naive "
                f"forecast's ({change}) over {int(scores['n']):,} origins")
    if not math.isfinite(p):
        return sentence + "; no test could be computed."
    if p < _LEVEL:
        word = "better" if ratio < 1 else "worse"
        return (sentence + f"; significantly {word} than naive (Diebold-Mariano p = {p:.3f}"
                f"{nested}).")
    return (sentence + f"; the difference is not significant (Diebold-Mariano p = {p:.2f}"
            f"{nested}).")


def render_backtest(run: Run) -> str:
    """The report of backtest ``run`` as one HTML page."""
    metrics = run.table("metrics.csv")
    m = run.manifest
    sections = [
        section("summary", "Summary", _summary(run)),
        section("charts", "Over time", "".join(_figure(run, k, c) for k, c in _CHARTS)),
        section("metrics", "Pooled metrics per step", _table(
            metrics[metrics["scope"] == "pooled"].drop(columns=["scope", "refit"]))),
        section("blocks", "Per refit block (step 1)", _table(_blocks(run, metrics))),
        section("refits", "Refits", _table(run.table("refits.csv"))),
        section("config", "Configuration", _configuration(run)),
    ]
    body = "".join(s for s in sections if s)
    nav = [(key, label) for key, label in (("summary", "Summary"), ("charts", "Charts"),
           ("metrics", "Metrics"), ("blocks", "Blocks"), ("refits", "Refits"),
           ("config", "Configuration")) if f'id="{key}"' in body]
    subtitle = f"lstmlab {m['lstmlab_version']} · {m['created'].replace('T', ' ')} · {m['name']}"
    return render_page(f"lstmlab backtest: {m['source']}", subtitle, body, nav)


def _summary(run: Run) -> str:
    m = run.manifest
    s, period = m["settings"], m["period"]
    window = "expanding window" if s["window"] == "expanding" else (
        f"rolling window of {s['train_size']:,} trading days")
    rows = [
        ("Data", f"{escape(str(m['source']))}: {m['data']['rows']:,} trading days, "
                 f"{m['data']['first']} to {m['data']['last']}"),
        ("Period", f"origins {period['first_origin']} to the last target {period['last_target']}"
                   f" · {period['origins']:,} origins, every {s['step']} day(s)"),
        ("Refits", f"{m['refits']} ({s['refit']}), every {s['refit_every']} trading days, "
                   f"{window}; each fitted only on the days before its refit date"),
        ("Time", f"{m['seconds']['wall']:,.1f} s wall, {m['seconds']['fits']:,.1f} s in fits"),
    ]
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    verdicts = "".join(f'<p class="verdict">{escape(verdict_sentence(model, scores))}</p>'
                       for model, scores in m["headline"].items())
    return f'<dl class="facts">{items}</dl>{verdicts}'


def _blocks(run: Run, metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per refit: its date and origins, each model's RMSE ratio to naive with its DM
    and Clark-West p-values, and each other baseline's ratio."""
    rows = metrics[(metrics["scope"] == "block") & (metrics["step"] == 1)]
    wide = rows.pivot(index="refit", columns="model")
    refits = run.table("refits.csv").drop_duplicates("refit").set_index("refit")
    table = refits[["refit_date"]].join(wide["n"].iloc[:, :1].set_axis(["origins"], axis=1))
    table["selected on validation"] = run.table("selection.csv").set_index("refit")["selected"]
    for model in run.manifest["forecast_columns"]:
        name = display_name(model)
        table[f"{name} ratio"] = wide["rmse_ratio"][model]
        table[f"{name} DM p"] = wide["dm_p_value"][model]
        table[f"{name} CW p"] = wide["cw_p_value"][model]
    for baseline in run.manifest["baselines"]:
        if baseline != "naive":
            table[f"{display_name(baseline)} ratio"] = wide["rmse_ratio"][baseline]
    return table.reset_index()


def _figure(run: Run, kind: str, caption: str) -> str:
    png = chart_stem(run.path, kind).with_suffix(".png")
    if not png.is_file():
        return ""
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return ""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_text(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _text(value: object) -> str:
    if isinstance(value, float):
        return "–" if not math.isfinite(value) else f"{value:,.4g}"
    return display_name(value) if isinstance(value, str) else str(value)


def _configuration(run: Run) -> str:
    shown = {key: run.config.get(key) for key in ("settings", "seeds", "configs")}
    return f"<pre>{escape(json.dumps(shown, indent=2))}</pre>"
