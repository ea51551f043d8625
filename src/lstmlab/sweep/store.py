"""The sweep folder: what a sweep keeps on disk, so that a rerun resumes it.

Layout of a sweep folder (``--out``)::

    sweep.json           the latest invocation: sources, cells, grid and its trials
    results/<key>.json   one stored TrialResult per finished trial (ok, failed or stopped)
    runs/<run_name>/     one run directory per successful trial, as ``lstmlab train`` writes
    trials.csv           every trial of the latest invocation with its status and metrics
    leaderboard.csv      per series, the best configuration by validation RMSE
    configurations.csv   per configuration, the median test RMSE ratio to the naive forecast
    report.html          the leaderboard as a self-contained page
    tune/                Ray Tune's own records, written only by ``--asha`` sweeps

Results are keyed by :attr:`lstmlab.sweep.trial.Trial.key`, so any sweep run into the same
folder reuses every trial it shares with earlier ones. Every file is written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lstmlab.fileio import atomic_write_json
from lstmlab.sweep.trial import Trial, TrialResult

__all__ = ["load_results", "pending", "save_result", "write_plan"]


def load_results(sweep_dir: Path,
                 on_damaged: Callable[[Path, str], None] | None = None) -> dict[str, TrialResult]:
    """Every stored result of the folder, by trial key (empty for a new folder).

    A damaged result file (cut short by a full disk, edited, or not one lstmlab wrote) is
    skipped, so its trial runs again and overwrites it; ``on_damaged`` hears of each one.
    """
    results = {}
    for path in sorted((sweep_dir / "results").glob("*.json")):
        try:
            result = TrialResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
            if f"{result.key}.json" != path.name:
                raise ValueError(f"it holds the result of trial {result.key}")
        except (OSError, ValueError, TypeError, RecursionError) as err:
            if on_damaged:
                on_damaged(path, f"{type(err).__name__}: {str(err)[:200]}")
            continue
        results[result.key] = result
    return results


def save_result(sweep_dir: Path, result: TrialResult) -> Path:
    """Store one trial's result as ``results/<key>.json``."""
    return atomic_write_json(sweep_dir / "results" / f"{result.key}.json", result.to_dict())


def pending(trials: Sequence[Trial], done: dict[str, TrialResult],
            retry_failed: bool = False) -> list[Trial]:
    """The trials still to run: those without a stored result (and, with ``retry_failed``,
    those whose stored result is a failure). An interrupted trial is always run again."""
    def finished(trial: Trial) -> bool:
        result = done.get(trial.key)
        return (result is not None and result.status != "interrupted"
                and not (retry_failed and result.status == "failed"))

    return [trial for trial in trials if not finished(trial)]


def write_plan(sweep_dir: Path, trials: Sequence[Trial], asked: dict[str, Any]) -> Path:
    """Write ``sweep.json``: what was asked and the trials it expands to."""
    listed = [{"key": t.key, "series": t.series.name, "source": t.series.source,
               "label": t.label, "run_name": t.run_name} for t in trials]
    configs = {t.label: t.config.to_dict() for t in trials}
    return atomic_write_json(sweep_dir / "sweep.json",
                             {**asked, "configs": configs, "trials": listed})
