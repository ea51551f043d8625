"""One trial of a sweep: fit one configuration on one series and keep its run directory.

A trial is what ``lstmlab train`` does for one cell (:mod:`lstmlab.jobs` fits the model and
writes the run directory), then summarised as a :class:`TrialResult`. A trial never raises for
a problem with its own data or settings: a broken CSV or a non-finite loss comes back as a
result with ``status="failed"`` and the message, so the rest of the sweep goes on.

Trials are keyed by a stable hash of the series and the whole configuration (:attr:`Trial.key`),
which names the run directory and the stored result, so a rerun of the same sweep finds them.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmlab.errors import LstmlabError
from lstmlab.runs import Run, new_run, read_run, source_stem
from lstmlab.sweep.grid import Series, config_labels, expand_sources, parse_grid
from lstmlab.vocabulary import BRIEF_METRICS

if TYPE_CHECKING:
    from lstmlab.config import ForecastConfig

__all__ = ["Trial", "TrialOptions", "TrialResult", "failed_result", "plan_trials",
           "run_trial", "summarise"]


EpochCallback = Callable[[str, Mapping[str, float]], None]


@dataclass(frozen=True)
class Trial:
    """One (series, configuration) pair of a sweep; ``label`` names the configuration."""

    series: Series
    config: ForecastConfig
    label: str

    @property
    def key(self) -> str:
        """16 hex digits of a SHA-256 over the series and every config field: equal trials of
        two sweeps share a key, and any changed setting gives a new one."""
        identity = {"series": self.series.name, "source": self.series.source,
                    "config": self.config.to_dict()}
        text = json.dumps(identity, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def run_name(self) -> str:
        """Name of the trial's run directory, e.g. ``tsla-lstm-3f2a9c1d0b``."""
        return f"{source_stem(self.series.name)}-{self.config.cell}-{self.key[:10]}"


def plan_trials(sources: Sequence[str], cells: Sequence[str], grid: Sequence[str] = (),
                base: ForecastConfig | None = None) -> list[Trial]:
    """Every (series, configuration) trial of a sweep, series by series, configurations in grid
    order (see :mod:`lstmlab.sweep.grid` for ``sources``, ``cells`` and ``grid``)."""
    series = expand_sources(sources)
    configs = parse_grid(cells, grid, base)
    labels = config_labels(configs)
    return [Trial(s, config, label) for s in series
            for config, label in zip(configs, labels, strict=True)]


@dataclass(frozen=True)
class TrialOptions:
    """How trials run: where tickers are found, missing-value handling, torch threads per
    trial (1 by default, so N cores run N trials) and whether run directories get charts."""

    data_dir: str | None = None
    fill: str | None = None
    threads: int = 1
    charts: bool = True


@dataclass(frozen=True)
class TrialResult:
    """The outcome of a trial, stored as JSON in the sweep folder.

    ``metrics`` (when ``status == "ok"``): ``epochs``, ``val_loss`` (lowest validation loss in
    the history, scaled units), ``val_rmse`` (price units), ``test_<metric>`` for RMSE, MAE,
    MAPE, MASE, R², directional accuracy and the Diebold-Mariano p-value, ``naive_test_rmse``,
    ``test_ratio`` (test RMSE / naive test RMSE) and ``train_seconds``. ``seconds`` is the
    whole trial (loading, training, writing); ``run_dir`` is relative to the sweep folder.
    """

    key: str
    series: str
    label: str
    status: str
    message: str = ""
    seconds: float = 0.0
    run_dir: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    detail: str = ""  # traceback of an unexpected (non-lstmlab) error, for a bug report

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialResult:
        """Read back what :meth:`to_dict` wrote."""
        return cls(**data)


def run_trial(trial: Trial, sweep_dir: Path, options: TrialOptions,
              on_epoch: EpochCallback | None = None) -> TrialResult:
    """Run ``trial`` into ``sweep_dir/runs/<run_name>`` and summarise it.

    If that run directory is already complete (an earlier sweep stopped after writing it but
    before storing its result), it is summarised without training again. The model trains with
    ``options.threads`` PyTorch threads (the trial's key does not depend on it).
    """
    start = time.perf_counter()
    folder = sweep_dir / "runs" / trial.run_name
    try:
        run = read_run(folder) if folder.is_dir() else _train(trial, folder, options, on_epoch)
        metrics = summarise(run, trial.config.cell)
    except Exception as err:  # every failure is recorded; the sweep goes on
        return failed_result(trial, err, time.perf_counter() - start)
    return TrialResult(trial.key, trial.series.name, trial.label, "ok",
                       seconds=time.perf_counter() - start,
                       run_dir=str(folder.relative_to(sweep_dir)), metrics=metrics,
                       config=trial.config.to_dict())


def _train(trial: Trial, folder: Path, options: TrialOptions,
           on_epoch: EpochCallback | None) -> Run:
    from lstmlab import jobs
    from lstmlab.data import load_prices

    prices = load_prices(trial.series.source, data_dir=options.data_dir, fill=options.fill)
    # the forecaster sets its config's thread count while it works: that is where --threads goes
    config = trial.config.replace(num_threads=options.threads)
    fitted = jobs.fit_models(prices, {config.cell: config}, on_epoch)
    asked = {"command": "sweep", "name": trial.run_name, "source": trial.series.source,
             "series": trial.series.name, "cells": [trial.config.cell], "label": trial.label,
             "trial": trial.key, "data_dir": options.data_dir, "fill": options.fill}
    with new_run(folder) as partial:
        jobs.write_run(partial, prices, fitted, asked, charts=options.charts)
    return read_run(folder)


def summarise(run: Run, cell: str) -> dict[str, float]:
    """The figures a leaderboard needs, read from a run directory's tables."""
    metrics = run.table("metrics.csv").set_index(["split", "model"])
    history = run.table("history.csv")
    history = history[history["model"] == cell]
    test, naive = metrics.loc[("test", cell)], metrics.loc[("test", "naive")]
    figures = {"epochs": float(len(history)), "val_loss": float(history["val_loss"].min()),
               "val_rmse": float(metrics.loc[("val", cell), "rmse"])}
    figures.update({f"test_{name}": float(test[name]) for name in BRIEF_METRICS
                    if name in test.index})
    figures["naive_test_rmse"] = float(naive["rmse"])
    figures["test_ratio"] = figures["test_rmse"] / figures["naive_test_rmse"]
    figures["train_seconds"] = float(run.manifest["seconds"][cell])
    # JSON has no NaN: a metric that is undefined (e.g. a constant series) is left out
    return {name: value for name, value in figures.items() if math.isfinite(value)}


def failed_result(trial: Trial, err: Exception, seconds: float = 0.0) -> TrialResult:
    """The result of a trial that raised ``err``; call it inside the ``except`` block so that
    an unexpected error keeps its traceback in ``detail``."""
    expected = isinstance(err, LstmlabError)
    first_line = next(iter(str(err).splitlines()), "")
    message = str(err) if expected else f"{type(err).__name__}: {first_line}"
    return TrialResult(trial.key, trial.series.name, trial.label, "failed", message=message,
                       seconds=seconds, config=trial.config.to_dict(),
                       detail="" if expected else traceback.format_exc())
