"""The HTML report of a backtest run, built from its run directory alone.

It uses the templates of :mod:`lstmlab.pages` (``backtest.html.j2`` in the page shell: one
self-contained file, no network, no script, everything autoescaped): a summary with each
model's pooled verdict against the naive forecast (point and band), the charts, the pooled and
per-refit metrics, the scores of every band, the refits and the configuration.
"""

from __future__ import annotations

import base64
import json
import math
from typing import TYPE_CHECKING, Any, cast

from lstmlab.pages import Cell, Row, Table
from lstmlab.report import inputs_fact
from lstmlab.runs import Run, chart_stem
from lstmlab.vocabulary import display_name

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["band_sentence", "band_sentences", "render_backtest", "verdict_sentence"]

_LEVEL = 0.05  # significance level of every verdict sentence
_HEADINGS = {"rmse_ratio": "ratio", "dm_stat": "DM stat", "dm_p_value": "p (DM)",
             "cw_stat": "CW stat", "cw_p_value": "p (CW)", "pt_p_value": "p (PT)"}
_CHARTS = (
    ("rolling-ratio", "Rolling 63-day RMSE of each model divided by the naive forecast's; below "
                      "1 the model had the smaller errors over that quarter. Grey lines: refits."),
    ("cumulative-difference", "Cumulative squared error of each model minus the naive "
                              "forecast's (Goyal & Welch): where a line falls the model is "
                              "winning, where it rises it is losing. Grey lines: refits."),
    ("coverage", "Share of the last 63 one-step outcomes inside each forecast's band (a model's "
                 "adaptive conformal band, the naive forecast's volatility band) against the "
                 "nominal level (dashed). Grey lines: refits."),
)
_BAND_HEADINGS = {"coverage": "coverage", "width": "width", "width_pct": "width %",
                  "interval_score": "interval score", "interval_dm_stat": "DM stat",
                  "interval_dm_p_value": "p (DM vs naive band)"}


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


def band_sentence(model: str, scores: dict[str, float], naive_score: float,
                  nominal: float) -> str:
    """The coverage and interval score of ``model``'s adaptive conformal band, pooled at step
    1, against the naive volatility band's, claiming a difference only when the
    Diebold-Mariano test of the interval scores finds one at the 5% level."""
    p = scores.get("interval_dm_p_value", math.nan)
    sentence = (f"{display_name(model)}: its {nominal:.0%} adaptive conformal band covered "
                f"{scores['coverage']:.1%} of the one-step outcomes, mean width "
                f"{scores['width_pct']:.2f}% of the forecast; interval score "
                f"{scores['interval_score']:,.4g} against the naive volatility band's "
                f"{naive_score:,.4g}")
    if not math.isfinite(p):
        return sentence + "; no test could be computed."
    if p < _LEVEL:
        word = "better" if scores["interval_score"] < naive_score else "worse"
        return sentence + f"; significantly {word} (Diebold-Mariano p = {p:.3f})."
    return sentence + f"; the difference is not significant (Diebold-Mariano p = {p:.3f})."


def render_backtest(run: Run) -> str:
    """The report of backtest ``run`` as one HTML page (template ``backtest.html.j2``)."""
    from lstmlab.pages import render

    metrics, m = run.table("metrics.csv"), run.manifest
    pooled = metrics[metrics["scope"] == "pooled"].drop(columns=["scope", "refit"])
    figures = [f for kind, caption in _CHARTS if (f := _figure(run, kind, caption))]
    bands = _bands(run)
    nav = [("summary", "Summary"), *([("charts", "Charts")] if figures else []),
           ("metrics", "Metrics"), *([("bands", "Bands")] if bands else []),
           ("blocks", "Blocks"), ("refits", "Refits"), ("config", "Configuration")]
    shown = {key: run.config.get(key) for key in ("settings", "seeds", "configs")}
    return render(
        "backtest.html.j2", title=f"lstmlab backtest: {m['source']}",
        subtitle=f"lstmlab {m['lstmlab_version']} · {m['created'].replace('T', ' ')} · "
                 f"{m['name']}",
        nav=nav, facts=_facts(run), figures=figures,
        verdicts=[*(verdict_sentence(model, scores) for model, scores in m["headline"].items()),
                  *band_sentences(metrics, m["forecast_columns"], _nominal(run.config))],
        pooled=_table(pooled.rename(columns={**_HEADINGS, **_BAND_HEADINGS})), bands=bands,
        blocks=_table(_blocks(run, metrics)), refits=_table(run.table("refits.csv")),
        configuration=json.dumps(shown, indent=2),
    )


def band_sentences(metrics: pd.DataFrame, models: list[str], nominal: float) -> list[str]:
    """One :func:`band_sentence` per model of ``models`` with a band, from a backtest's metrics
    table (none for runs made before bands)."""
    if "interval_score" not in metrics.columns:
        return []
    pooled = metrics.query("scope == 'pooled' and step == 1").set_index("model")
    # one row per model of named scores (pandas-stubs types a cell as any scalar)
    naive = float(cast(float, pooled.loc["naive", "interval_score"]))
    return [band_sentence(model, cast(dict[str, float], pooled.loc[model].to_dict()), naive,
                          nominal)
            for model in models
            if model in pooled.index
            and math.isfinite(cast(float, pooled.loc[model, "interval_score"]))]


def _nominal(config: dict[str, Any]) -> float:
    """The bands' nominal level, ``1 - alpha``, from a run's ``config.json``."""
    return 1 - float(next(iter(config["configs"].values()))["alpha"])


def _bands(run: Run) -> Table | None:
    """Every band's pooled one-step scores (None for runs made before bands)."""
    from lstmlab.backtest.bands import METHOD_LABELS

    if not (run.path / "intervals.csv").is_file():
        return None
    scores = run.table("intervals.csv").query("scope == 'pooled' and step == 1")
    scores = scores.drop(columns=["scope", "refit", "step"])
    scores["method"] = scores["method"].map(METHOD_LABELS)
    scores["coverage"] = scores["coverage"].map("{:.1%}".format)
    return _table(scores.rename(columns=_BAND_HEADINGS))


def _facts(run: Run) -> list[tuple[str, str]]:
    m = run.manifest
    s, period = m["settings"], m["period"]
    window = "expanding window" if s["window"] == "expanding" else (
        f"rolling window of {s['train_size']:,} trading days")
    return [
        ("Data", f"{m['source']}: {m['data']['rows']:,} trading days, {m['data']['first']} to "
                 f"{m['data']['last']}"),
        ("Period", f"origins {period['first_origin']} to the last target {period['last_target']}"
                   f" · {period['origins']:,} origins, every {s['step']} day(s)"),
        ("Refits", f"{m['refits']} ({s['refit']}), every {s['refit_every']} trading days, "
                   f"{window}; each fitted only on the days before its refit date"),
        inputs_fact(run.config["configs"]),
        ("Time", f"{m['seconds']['wall']:,.1f} s wall, {m['seconds']['fits']:,.1f} s in fits"),
    ]


def _blocks(run: Run, metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per refit: its date and origins, each model's RMSE ratio to naive with its DM
    and Clark-West p-values, and each other baseline's ratio."""
    rows = metrics[(metrics["scope"] == "block") & (metrics["step"] == 1)]
    wide = rows.pivot(index="refit", columns="model")
    refits = run.table("refits.csv").drop_duplicates("refit").set_index("refit")
    origins = cast("pd.DataFrame", wide["n"])  # one column per model (stubs: a Series)
    table = refits[["refit_date"]].join(origins.iloc[:, :1].set_axis(["origins"], axis=1))
    table["selected on validation"] = run.table("selection.csv").set_index("refit")["selected"]
    for model in run.manifest["forecast_columns"]:
        name = display_name(model)
        table[f"{name} ratio"] = wide["rmse_ratio"][model]
        table[f"{name} p (DM)"] = wide["dm_p_value"][model]
        table[f"{name} p (CW)"] = wide["cw_p_value"][model]
    for baseline in run.manifest["baselines"]:
        if baseline != "naive":
            table[f"{display_name(baseline)} ratio"] = wide["rmse_ratio"][baseline]
    return table.reset_index()


def _figure(run: Run, kind: str, caption: str) -> dict[str, str] | None:
    png = chart_stem(run.path, kind).with_suffix(".png")
    if not png.is_file():
        return None
    return {"png": base64.b64encode(png.read_bytes()).decode("ascii"), "caption": caption}


def _table(frame: pd.DataFrame) -> Table:
    """``frame`` as a :class:`lstmlab.pages.Table`, numbers to four significant digits."""
    rows = [Row([Cell(_text(v)) for v in row]) for row in frame.itertuples(index=False)]
    return Table([(str(c), "") for c in frame.columns], rows)


def _text(value: object) -> str:
    if isinstance(value, float):
        return "–" if not math.isfinite(value) else f"{value:,.4g}"
    return display_name(value) if isinstance(value, str) else str(value)
