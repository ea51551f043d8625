"""The leaderboard of a sweep: the best configuration per series, and how each configuration
does across series.

The best configuration of a series is the one with the lowest **validation RMSE** (on the price
scale, as ``lstmlab compare`` picks its best model). The validation loss that training minimises
is in the target's scaled units, which differ between configurations with another target or
scaler, so it is not used to compare them; the test split is never used to choose. As in
``compare``, the baselines are candidates too: ``selected`` is the best configuration or, when a
baseline had a lower validation RMSE, that baseline; ``verdict`` says how the best configuration
did against the naive forecast on test, worded by :mod:`lstmlab.verdicts` (a "beats" only with a
significant Diebold-Mariano test). Each configuration is then summarised by the **median**,
across series, of its test RMSE divided by the naive forecast's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lstmlab.runs import write_table
from lstmlab.sweep.trial import TrialResult
from lstmlab.verdicts import compare
from lstmlab.vocabulary import BASELINES, BRIEF_METRICS, METRICS, display_name, format_metric

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BEST_COLUMNS", "SELECTED_BY", "Leaderboard", "build_leaderboard", "column_style",
           "format_leaderboard", "write_leaderboard"]

SELECTED_BY = "val_rmse"
# the sweep's own columns; a trial's test metrics are `test_<metric>` (see vocabulary.METRICS)
_COLUMNS = {
    "series": ("Series", "{}"), "label": ("Configuration", "{}"),
    "val_rmse": ("Val RMSE", "{:,.2f}"), "naive_test_rmse": ("Naive test RMSE", "{:,.2f}"),
    "test_ratio": ("Test / naive", "{:.3f}"), "median_ratio": ("Median test / naive", "{:.3f}"),
    "series_count": ("Series", "{}"), "wins": ("Best on", "{}"), "failed": ("Failed", "{}"),
    "stopped": ("Stopped", "{}"), "status": ("Status", "{}"), "seconds": ("Seconds", "{:.1f}"),
    "message": ("Message", "{}"), "selected": ("Selected", "{}"), "verdict": ("Verdict", "{}"),
}
TEST_COLUMNS = [f"test_{name}" for name in BRIEF_METRICS]
BEST_COLUMNS = ["series", "label", "selected", "val_rmse", "test_rmse", "naive_test_rmse",
                "test_ratio", *[c for c in TEST_COLUMNS if c != "test_rmse"], "verdict",
                "run_dir"]


def column_style(column: str) -> tuple[str, str]:
    """``(heading, format)`` of a trial-table column: the sweep's own, or ``test_<metric>``."""
    if column in _COLUMNS:
        return _COLUMNS[column]
    metric = METRICS[column.removeprefix("test_")]
    return f"Test {metric.heading}", metric.format


@dataclass(frozen=True)
class Leaderboard:
    """``trials``: one row per trial (status, message, seconds, run_dir and every metric).
    ``best``: one row per series with a successful trial, its best configuration (``label``).
    ``configurations``: one row per configuration: ``median_ratio``, ``series`` (successful
    trials), ``wins`` (series where it is best), ``failed`` and ``stopped`` counts."""

    trials: pd.DataFrame
    best: pd.DataFrame
    configurations: pd.DataFrame


def build_leaderboard(results: Sequence[TrialResult]) -> Leaderboard:
    """Rank the results of a sweep (any order; failed and stopped trials are only counted)."""
    trials = _trial_table(results)
    ok = trials[(trials["status"] == "ok") & trials[SELECTED_BY].notna()]
    # the first trial of the lowest validation RMSE wins ties, so the choice is stable
    best = ok.loc[ok.groupby("series", sort=False)[SELECTED_BY].idxmin()]
    if len(best):  # (apply on no rows would return a frame, not a column)
        best = best.assign(selected=lambda rows: rows.apply(_selected, axis=1))
        best = best.assign(verdict=lambda rows: rows.apply(_verdict, axis=1))
    best = best.reindex(columns=BEST_COLUMNS).reset_index(drop=True)
    return Leaderboard(trials, best, _configuration_table(trials, best))


def _selected(row: pd.Series) -> str:
    """The series' best configuration, or the baseline with a lower validation RMSE."""
    candidates = {name: row.get(f"val_rmse_{name}", math.nan) for name in BASELINES}
    candidates = {k: v for k, v in candidates.items() if isinstance(v, float) and math.isfinite(v)}
    candidates[row["label"]] = row[SELECTED_BY]
    return min(candidates, key=lambda k: (candidates[k], k not in BASELINES))


def _verdict(row: pd.Series) -> str:
    """How the best configuration did against naive on test, under the wording rule."""
    sentence = compare(str(row["label"]), "naive", row["test_rmse"], row["naive_test_rmse"],
                       row.get("test_dm_p_value", math.nan), label=f"configuration {row['label']}")
    if row["selected"] != row["label"]:
        sentence = (f"No configuration had a lower validation RMSE than the "
                    f"{display_name(row['selected']).lower()} forecast; on test {sentence}")
    return sentence[0].upper() + sentence[1:]


def _trial_table(results: Sequence[TrialResult]) -> pd.DataFrame:
    import pandas as pd

    rows = [{"series": r.series, "label": r.label, "status": r.status, "message": r.message,
             "seconds": r.seconds, "run_dir": r.run_dir, "key": r.key, **r.metrics}
            for r in results]
    frame = pd.DataFrame.from_records(rows)
    for column in ("val_rmse", "test_rmse", "naive_test_rmse", "test_ratio"):
        if column not in frame:
            frame[column] = float("nan")  # no trial succeeded
    return frame


def _configuration_table(trials: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    labels = list(dict.fromkeys(trials["label"]))
    groups = trials.groupby("label", sort=False)
    status = groups["status"]
    table = pd.DataFrame({
        "label": labels,
        "median_ratio": [groups.get_group(k).query("status == 'ok'")["test_ratio"].median()
                         for k in labels],
        "series": [int((status.get_group(k) == "ok").sum()) for k in labels],
        "wins": [int((best["label"] == k).sum()) for k in labels],
        "failed": [int((status.get_group(k) == "failed").sum()) for k in labels],
        "stopped": [int((status.get_group(k) == "stopped").sum()) for k in labels],
    })
    return table.sort_values("median_ratio", kind="stable", na_position="last").reset_index(
        drop=True)


def write_leaderboard(board: Leaderboard, sweep_dir: Path) -> list[Path]:
    """Write ``trials.csv``, ``leaderboard.csv`` and ``configurations.csv`` into the sweep."""
    return [write_table(sweep_dir, "trials.csv", board.trials),
            write_table(sweep_dir, "leaderboard.csv", board.best),
            write_table(sweep_dir, "configurations.csv", board.configurations)]


def format_leaderboard(board: Leaderboard) -> str:
    """The leaderboard as plain text: best configuration per series, then per configuration,
    then the failed trials with their messages."""
    best = _formatted(board.best, BEST_COLUMNS[:7])
    configs = _formatted(board.configurations.rename(columns={"series": "series_count"}),
                         ["label", "median_ratio", "series_count", "wins", "failed", "stopped"])
    verdicts = [f"  {r.series}: {r.verdict}" for r in board.best.itertuples()]
    parts = ["Best configuration per series (lowest val RMSE)", _text(best), *verdicts, "",
             "Per configuration: median test RMSE / naive across series", _text(configs)]
    failed = board.trials[board.trials["status"] != "ok"]
    if len(failed):
        parts += ["", f"{len(failed)} trial(s) without a result:"]
        parts += [f"  {r.series} {r.label}: {r.status}: {r.message}" for r in failed.itertuples()]
    return "\n".join(parts)


def _formatted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``frame`` as text, under their headings (see :func:`column_style`)."""
    styles = {c: column_style(c) for c in columns}
    return frame.assign(**{c: frame[c].map(lambda v, f=fmt: format_metric(v, f))
                           for c, (_, fmt) in styles.items()})[columns].rename(
        columns={c: heading for c, (heading, _) in styles.items()})


def _text(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False) if len(frame) else "  (none)"
