"""Run the lab: every cell at every length on one task with one budget, then table and charts.

Outputs in the chosen folder, each written atomically: ``<task>_results.json`` (settings, test
metrics, learning curves and times of every run), ``<task>_results.csv`` (the table) and
``<task>_learning_curves.png``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lstmlab.fileio import atomic_write_json, atomic_write_text
from lstmlab.memory.charts import learning_curves
from lstmlab.memory.train import MemoryConfig, MemoryRun, train_memory
from lstmlab.vocabulary import ProgressCallback

__all__ = ["format_table", "lab_configs", "run_lab", "save_lab", "table_rows"]


def lab_configs(base: MemoryConfig, lengths: Sequence[int],
                cells: Sequence[str]) -> list[MemoryConfig]:
    """Each of ``cells`` at each of ``lengths``, with ``base``'s task, budget and seed."""
    return [replace(base, length=length, cell=cell) for length in lengths for cell in cells]


def run_lab(base: MemoryConfig, lengths: Sequence[int], cells: Sequence[str], *,
            on_progress: ProgressCallback | None = None) -> list[MemoryRun]:
    """Train each of ``cells`` at each of ``lengths`` with ``base``'s task, budget and seed;
    ``on_progress`` receives each run's learning-curve points (see :func:`train_memory`)."""
    return [train_memory(config, on_progress=on_progress)
            for config in lab_configs(base, lengths, cells)]


def table_rows(runs: Sequence[MemoryRun]) -> list[dict[str, object]]:
    """One row per run: length, cell, test metrics, baseline, score / baseline, seconds."""
    rows = []
    for run in runs:
        metric = run.model.task.metric
        rows.append({
            "task": run.config.task, "length": run.config.length, "cell": run.config.cell,
            **run.test, "baseline": run.baseline,
            "vs_baseline": run.test[metric] / run.baseline, "seconds": run.seconds,
        })
    return rows


def format_table(runs: Sequence[MemoryRun]) -> str:
    """The results as an aligned text table (numbers to 4 significant digits)."""
    rows = table_rows(runs)
    columns = [c for c in rows[0] if c != "task"]
    cells = [[_show(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 100 else f"{value:.4g}"
    return str(value)


def save_lab(runs: Sequence[MemoryRun], out: str | os.PathLike[str]) -> list[Path]:
    """Write the JSON record, the CSV table and the learning-curve chart into ``out``."""
    folder = Path(out)
    task = runs[0].config.task
    rows = table_rows(runs)
    header = ",".join(rows[0])
    csv = "\n".join([header, *(",".join(str(v) for v in row.values()) for row in rows)]) + "\n"
    return [
        atomic_write_json(folder / f"{task}_results.json", [run.summary() for run in runs]),
        atomic_write_text(folder / f"{task}_results.csv", csv),
        learning_curves(runs, folder / f"{task}_learning_curves.png"),
    ]
