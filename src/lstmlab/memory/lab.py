"""Run the lab: every cell at every length on one task with one budget, then table and charts.

Outputs in the chosen folder, each written atomically: ``<task>_results.json`` (settings, test
metrics, learning curves and times of every run), ``<task>_results.csv`` (the table) and
``<task>_learning_curves.png``; on request the gradient chart (:func:`save_gradients`) and the
gate heatmaps of a trained LSTM (:func:`save_gates`). The command and ``benchmarks/memory.py``
both draw through these functions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lstmlab.errors import ConfigError
from lstmlab.fileio import atomic_write_json, atomic_write_text
from lstmlab.memory.charts import gate_heatmaps, gradient_chart, learning_curves, span_chart
from lstmlab.memory.train import MemoryConfig, MemoryRun, build_model, train_memory
from lstmlab.vocabulary import ProgressCallback

if TYPE_CHECKING:
    import numpy as np

    from lstmlab.memory.flow import GateFlow

__all__ = [
    "format_table", "lab_configs", "run_lab", "save_gates", "save_gradients", "save_lab",
    "save_span", "table_rows",
]


def lab_configs(base: MemoryConfig, lengths: Sequence[int],
                cells: Sequence[tuple[str, str | None]]) -> list[MemoryConfig]:
    """Each ``(cell, init)`` of ``cells`` at each of ``lengths``, with ``base``'s budget."""
    return [replace(base, length=length, cell=cell, init=init)
            for length in lengths for cell, init in cells]


def run_lab(base: MemoryConfig, lengths: Sequence[int], cells: Sequence[tuple[str, str | None]],
            *, on_progress: ProgressCallback | None = None) -> list[MemoryRun]:
    """Train each ``(cell, init)`` of ``cells`` at each of ``lengths`` with ``base``'s budget;
    ``on_progress`` receives each run's learning-curve points (see :func:`train_memory`)."""
    return [train_memory(config, on_progress=on_progress)
            for config in lab_configs(base, lengths, cells)]


def table_rows(runs: Sequence[MemoryRun]) -> list[dict[str, object]]:
    """One row per run: length, cell, test metrics, baseline, score / baseline, seconds.

    Runs that stop once solved (the memory span) also get ``solved`` and ``steps`` (taken).
    """
    rows = []
    for run in runs:
        metric = run.task.metric
        row: dict[str, object] = {
            "task": run.config.task, "length": run.config.length, "cell": run.config.variant,
            **run.test, "baseline": run.baseline, "vs_baseline": run.test[metric] / run.baseline,
        }
        if run.config.stop_when_solved:
            row |= {"solved": run.task.solved(run.test), "steps": run.steps_run}
        rows.append({**row, "seconds": run.seconds})
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
    task = runs[0].config.task
    return [*_save_records(runs, Path(out), f"{task}_results"),
            learning_curves(runs, Path(out) / f"{task}_learning_curves.png")]


def save_span(runs: Sequence[MemoryRun], out: str | os.PathLike[str]) -> list[Path]:
    """Write a memory-span sweep: JSON record, CSV table and the span chart into ``out``."""
    task = runs[0].config.task
    return [*_save_records(runs, Path(out), f"{task}_span"),
            span_chart(runs, Path(out) / f"{task}_span.png")]


def _save_records(runs: Sequence[MemoryRun], folder: Path, stem: str) -> list[Path]:
    """``<stem>.json`` (every run's summary) and ``<stem>.csv`` (the table), atomically."""
    rows = table_rows(runs)
    header = ",".join(rows[0])
    csv = "\n".join([header, *(",".join(str(v) for v in row.values()) for row in rows)]) + "\n"
    return [atomic_write_json(folder / f"{stem}.json", [run.summary() for run in runs]),
            atomic_write_text(folder / f"{stem}.csv", csv)]


def save_gradients(runs: Sequence[MemoryRun], out: str | os.PathLike[str], *, count: int = 256,
                   seed: int = 12345) -> tuple[Path, dict[str, np.ndarray]]:
    """The vanishing-gradient chart of ``runs`` (one length), untrained and trained.

    For each run, ``||dL/ds_t||`` is measured on ``count`` fresh test sequences for the model at
    initialisation (same seed) and after training. Returns the chart's path and the norms by
    label (``"lstm, trained"``), from which :func:`~lstmlab.memory.gradients.vanishing_ratio`
    gives the printed figures.
    """
    import torch

    from lstmlab.memory.gradients import hidden_gradient_norms

    lengths = {run.config.length for run in runs}
    if len(lengths) != 1:
        raise ConfigError(f"the gradient chart compares runs of one length, got {sorted(lengths)}")
    length, task = lengths.pop(), runs[0].task
    data = task.batch(count, length, torch.Generator().manual_seed(seed))
    norms = {}
    for run in runs:
        norms[f"{run.config.variant}, untrained"] = hidden_gradient_norms(
            build_model(run.config), data, task)
        norms[f"{run.config.variant}, trained"] = hidden_gradient_norms(run.model, data, task)
    path = gradient_chart(norms, Path(out) / f"{task.name}_gradient_norms.png",
                          title=f"{task.name.capitalize()}, T = {length}: gradient reaching "
                                f"each step's state")
    return path, norms


def save_gates(run: MemoryRun, out: str | os.PathLike[str], *, seed: int = 7
               ) -> tuple[Path, GateFlow]:
    """Gate heatmaps of a trained adding-problem LSTM on one fresh sequence, and the recording."""
    from lstmlab.memory.flow import adding_flow

    if run.config.task != "adding" or run.config.cell != "lstm":
        raise ConfigError(f"gate heatmaps are drawn for an LSTM on the adding problem, got "
                          f"{run.config.variant} on {run.config.task}")
    flow = adding_flow(run.model, run.config.length, seed=seed)
    path = gate_heatmaps(
        flow.gates, Path(out) / "gates_adding.png", marks=flow.marks, signal=flow.signal,
        order=flow.order, signal_label="value\n(red: marked)",
        title=f"{run.config.variant.upper()} on the adding problem (T = {run.config.length}): "
              f"target {flow.target:.3f}, prediction {flow.prediction:.3f}")
    return path, flow
