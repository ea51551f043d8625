"""The work behind ``lstmlab explain``: build a walk, write its page, link it from the report.

A forecasting run gets ``explain.html`` for its best model and ``explain-<cell>.html`` for any
other cell asked for, so that explaining a second model never overwrites the first page. The
adding problem gets the same names inside its own folder (``explain.html`` for the LSTM).

Next to a forecasting run's page, ``explain.json`` (``explain-<cell>.json``) holds the walk's
attribution summed per input (:func:`attribution_by_input`): how much each own feature, each
past covariate and the calendar facts moved that forecast; the run's report shows it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lstmlab.explain.page import PAGE_NAME, write_page
from lstmlab.fileio import atomic_write_json

if TYPE_CHECKING:
    from lstmlab.data import WindowSpec
    from lstmlab.explain.walk import Walk

__all__ = ["Made", "attribution_by_input", "explain_adding", "explain_run", "page_name"]

CALENDAR_GROUP = "calendar facts"  # the calendar columns' group in attribution_by_input


@dataclass(frozen=True)
class Made:
    """A page written by ``lstmlab explain``: where, how big, and how long it took."""

    path: Path
    bytes: int
    seconds: float
    note: str  # one line on what was walked


def page_name(cell: str, default_cell: str) -> str:
    """``explain.html`` for the default cell, ``explain-<cell>.html`` for the others."""
    return PAGE_NAME if cell == default_cell else f"explain-{cell}.html"


def explain_run(run_dir: str | os.PathLike[str], cell: str | None = None,
                window: str | None = None, data_dir: str | os.PathLike[str] | None = None
                ) -> Made:
    """Walk a run's model (default: its best) through the window ending on ``window``."""
    start = time.perf_counter()
    from lstmlab.data import load_prices
    from lstmlab.explain.walk import forecast_walk
    from lstmlab.forecaster import Forecaster
    from lstmlab.pipeline import load_inputs
    from lstmlab.report import build_report
    from lstmlab.runs import read_run
    from lstmlab.runtime import torch_threads

    run = read_run(run_dir)
    best = run.manifest["best_model"]
    cell = cell or best
    forecaster = Forecaster.load(run.model_path(cell), device="cpu")
    source = run.config.get("source_file") or run.config["source"]
    saved_dir = run.config.get("data_dir")
    folder = data_dir or saved_dir
    prices = load_prices(source, data_dir=folder, fill=run.config.get("fill"))
    covariates = load_inputs(forecaster.config, data_dir=folder)
    with torch_threads(forecaster.config.num_threads):
        walk = forecast_walk(forecaster, prices, window, source=str(run.manifest["source"]),
                             covariates=covariates)
    path = write_page(walk, run.path, page_name(cell, best))
    atomic_write_json(path.with_suffix(".json"), {
        "window": walk.subtitle, "units": walk.attribution.units,
        "by_input": attribution_by_input(walk, forecaster.spec_)})
    build_report(run.path)  # its "Inside the model" section links the page
    return Made(path, path.stat().st_size, time.perf_counter() - start, walk.subtitle)


def attribution_by_input(walk: Walk, spec: WindowSpec) -> dict[str, float]:
    """The walk's attribution summed over the window's steps, per input, in ``spec.inputs``
    order: each own feature, each past covariate (all its features together), the calendar
    facts (all of them together), then each known table (all its columns and steps together)."""
    from lstmlab.data.known import CALENDAR_FEATURES

    totals = walk.attribution.values.sum(axis=0)  # (F,)
    groups = [*spec.features, *(name for name, wanted in spec.covariates for _ in wanted)]
    groups += [CALENDAR_GROUP] * (len(CALENDAR_FEATURES) * spec.horizon if spec.calendar else 0)
    groups += [name for _ in range(spec.horizon) for name, wanted in spec.known for _ in wanted]
    out: dict[str, float] = {}
    for group, value in zip(groups, totals, strict=True):
        out[group] = out.get(group, 0.0) + float(value)
    return out


def explain_adding(folder: str | os.PathLike[str], cell: str = "lstm", length: int = 100,
                   steps: int = 2000, seed: int = 0) -> Made:
    """Train (or reload) an adding-problem model in ``folder`` and walk it through a sequence."""
    start = time.perf_counter()
    from lstmlab.explain.adding import adding_model, adding_walk
    from lstmlab.memory.train import MemoryConfig
    from lstmlab.runtime import torch_threads

    config = MemoryConfig(task="adding", cell=cell, length=length, steps=steps, seed=seed,
                          eval_every=max(steps // 10, 1))
    with torch_threads(1):  # small tensors: a second thread only waits for the first
        kept = adding_model(folder, config)
        walk = adding_walk(kept, config, seed)
    path = write_page(walk, folder, page_name(cell, "lstm"))
    how = "trained now" if kept.trained else "reloaded"
    return Made(path, path.stat().st_size, time.perf_counter() - start,
                f"{walk.subtitle} ({how})")
