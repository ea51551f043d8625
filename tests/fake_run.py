"""Helpers of the report and CLI tests: a run directory made by hand (no training), a CLI
invoker, and a snapshot of a folder's files to prove that a command left them untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner, Result

from lstmlab.cli import app
from lstmlab.fileio import atomic_write_json
from lstmlab.runs import chart_stem, new_run, write_manifest, write_table

CELLS = ("rnn", "lstm")


def invoke(*args: Any) -> Result:
    """Run ``lstmlab ARGS...`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes, so any change shows."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def draw_chart(stem: Path, title: str) -> None:
    """A tiny line chart saved as ``<stem>.png``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3), dpi=60)
    ax = fig.subplots()
    ax.plot([1, 3, 2, 4])
    ax.set_title(title)
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(stem.with_suffix(".png"))


def _metrics() -> pd.DataFrame:
    rows = []
    for split in ("val", "test"):
        for model, rmse in (("rnn", 5.4), ("lstm", 5.1), ("naive", 5.0), ("drift", 5.3)):
            trained = model in CELLS
            rows.append({"split": split, "model": model, "step": 1, "rmse": rmse,
                         "mae": rmse * 0.7, "mape": 2.5, "smape": 2.4, "mase": rmse / 4.0,
                         "rel_mae": rmse / 5.0, "r2_oos": 1 - (rmse / 5.0) ** 2,
                         "r2_oos_mean": -0.01, "directional_accuracy": 0.52,
                         "pt_p_value": 0.4 if trained else float("nan"),
                         "dm_stat": 0.8 if trained else float("nan"),
                         "dm_p_value": 0.43 if trained else float("nan"),
                         "cw_p_value": 0.3 if trained else float("nan"),
                         "lag_corr": 0.97, "same_day_corr": 0.01})
    return pd.DataFrame(rows)


def make_run(out: Path, name: str = "run") -> Path:
    """A small but complete compare-run directory with hand-made charts and numbers."""
    with new_run(out / name) as folder:
        atomic_write_json(folder / "config.json", {
            "command": "compare", "source": "TSLA",
            "configs": {c: {"cell": c, "hidden_size": 32, "split": [0.7, 0.15, 0.15]}
                        for c in CELLS}})
        write_table(folder, "metrics.csv", _metrics())
        for kind in ("prices", "loss", "predictions", "residuals"):
            draw_chart(chart_stem(folder, kind), kind)
        for cell in CELLS:
            draw_chart(chart_stem(folder, "loss", cell), f"loss {cell}")
        split = {p: {"first": "2013-01-02", "last": "2020-12-31", "windows": 1900}
                 for p in ("train", "val", "test")}
        write_manifest(folder, {
            "command": "compare", "name": name, "source": "TSLA",
            "created": "2024-01-02T15:30:00",
            "data": {"rows": 2768, "first": "2013-01-02", "last": "2023-12-29",
                     "target_column": "close"},
            "split": split, "models": {c: f"models/{c}.safetensors" for c in CELLS},
            "best_model": "lstm", "selected": "naive", "reproducibility": {"lstm": {"seed": 0}},
        })
    return out / name
