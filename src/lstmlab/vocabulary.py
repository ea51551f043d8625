"""The names used across lstmlab, each defined once: cells, targets, scalers, baselines, splits,
display names, and the one table of metrics (heading, format, which direction is better).

Every other module imports its names from here, so that adding a cell, a baseline or a metric
means editing this file and the module that computes it, and the report, the command-line
tables, the sweep page, the leaderboard and the trial records follow. This module imports
nothing heavy: the command line reads it before any model is loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lstmlab.errors import ConfigError

__all__ = [
    "BASELINES", "BRIEF_METRICS", "CELLS", "CELL_INITS", "EVALUATED_SPLITS", "INITS", "MEAN_STEP",
    "METRICS", "METRIC_NAMES", "SCALERS", "SPLITS", "SPLIT_LABELS", "TARGETS",
    "WALK_FORWARD_SPLIT", "Metric",
    "ProgressCallback", "display_name", "format_metric", "parse_cells",
]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")  # recurrent cells, as in `make_layer`
INITS: tuple[str, ...] = ("default", "forget_bias", "chrono")  # cell initialisations, cells.py
CELL_INITS: dict[str, tuple[str, ...]] = {  # the initialisations each cell offers
    "rnn": ("default",), "lstm": INITS, "gru": INITS}  # the RNN has no gate to bias
# How the library reports progress, and all it says while it works (it prints nothing):
# ``(task, record)``, e.g. ``("lstm", {"epoch": 3, "train_loss": ..., "val_loss": ...})``.
ProgressCallback = Callable[[str, Mapping[str, float]], None]

TARGETS: tuple[str, ...] = ("price", "return", "log_return", "change")  # see data/targets.py
SCALERS: tuple[str, ...] = ("standard", "minmax", "none")  # see data/scale.py
BASELINES: tuple[str, ...] = ("naive", "drift", "moving_average", "mean_return")  # see baselines.py

SPLITS: tuple[str, ...] = ("train", "val", "test")  # chronological, see data/split.py
EVALUATED_SPLITS: tuple[str, ...] = ("val", "test")  # scored against the baselines
MEAN_STEP = "mean"  # the `step` of the metrics row averaged over a multi-step forecast's steps
WALK_FORWARD_SPLIT = "test_walk_forward"  # the test period, refitted before each block
SPLIT_LABELS: dict[str, str] = {"train": "Train", "val": "Validation", "test": "Test",
                                WALK_FORWARD_SPLIT: "Test (walk-forward)"}

_DISPLAY_NAMES: dict[str, str] = {
    "rnn": "Simple RNN", "lstm": "LSTM", "gru": "GRU",
    "naive": "Naive (tomorrow = today)", "drift": "Drift", "moving_average": "Moving average",
    "mean_return": "Mean return",
}


def parse_cells(cells: str | Sequence[str]) -> list[str]:
    """Cell names from ``"rnn,lstm"`` or a sequence: trimmed, lower-case, de-duplicated, in order.

    Raises :class:`ConfigError` naming any unknown cell, or when none is given.
    """
    parts = cells.split(",") if isinstance(cells, str) else cells
    chosen = list(dict.fromkeys(c.strip().lower() for c in parts if c.strip()))
    unknown = [c for c in chosen if c not in CELLS]
    if unknown or not chosen:
        shown = ", ".join(map(repr, unknown)) if unknown else "none given"
        raise ConfigError(f"unknown cell {shown}; choose from {', '.join(CELLS)}")
    return chosen


def display_name(model: str) -> str:
    """Human name of a cell or baseline (``lstm`` -> ``LSTM``, ``naive`` -> ``Naive (...)``)."""
    if model.endswith("_ensemble") and model != "_ensemble":  # lstmlab.seeds.ensemble_name
        return f"{display_name(model.removesuffix('_ensemble'))} seed ensemble"
    return _DISPLAY_NAMES.get(model, model.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Metric:
    """How one metric is shown and ranked.

    ``better`` is -1 when lower is better, +1 when higher is better and 0 for a statistic that is
    not ranked (a test statistic or a p-value). ``brief`` metrics are the ones the compact tables
    show (the command line's result table, the sweep's trial records and leaderboard).
    """

    name: str
    heading: str
    format: str
    better: int
    brief: bool

    def show(self, value: Any) -> str:
        """``value`` formatted for a table; ``–`` when it is missing or not finite."""
        return format_metric(value, self.format)


def format_metric(value: Any, fmt: str) -> str:
    """``fmt.format(value)``, or ``–`` for ``None``, NaN and infinities."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return fmt.format(value)


# Order is the column order of every metrics table (metrics.forecast_metrics returns this order).
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("rmse", "RMSE", "{:,.2f}", -1, True),
    Metric("mae", "MAE", "{:,.2f}", -1, True),
    Metric("mape", "MAPE", "{:.2f}%", -1, False),
    Metric("smape", "sMAPE", "{:.2f}%", -1, False),
    Metric("mase", "MASE", "{:.3f}", -1, True),
    Metric("rel_mae", "MAE / naive", "{:.3f}", -1, False),
    Metric("r2_oos", "R² oos (vs 0)", "{:.4f}", 1, True),
    Metric("r2_oos_mean", "R² oos (vs mean)", "{:.4f}", 1, False),
    Metric("directional_accuracy", "Direction", "{:.1%}", 1, True),
    Metric("pt_p_value", "p (PT)", "{:.3f}", 0, False),
    Metric("dm_stat", "DM stat", "{:.2f}", 0, False),
    Metric("dm_p_value", "p (DM)", "{:.3f}", 0, True),
    Metric("cw_p_value", "p (CW)", "{:.3f}", 0, False),
    Metric("lag_corr", "Lag corr.", "{:.2f}", 0, True),
    Metric("same_day_corr", "Same-day corr.", "{:.2f}", 0, False),
)}
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
BRIEF_METRICS: tuple[str, ...] = tuple(name for name, m in METRICS.items() if m.brief)
