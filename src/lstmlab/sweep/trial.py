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
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lstmlab.errors import LstmlabError
from lstmlab.runs import Run, new_run, read_run, source_stem
from lstmlab.sweep.grid import Series, config_labels, expand_sources, parse_grid
from lstmlab.verdicts import at_step
from lstmlab.vocabulary import BASELINES, BRIEF_METRICS, ProgressCallback

if TYPE_CHECKING:
    import pandas as pd

    from lstmlab.config import ForecastConfig

__all__ = ["STATUSES", "Trial", "TrialOptions", "TrialResult", "failed_result", "plan_trials",
           "run_trial", "source_sha256", "summarise"]

# stopped: ended early by the ASHA scheduler; interrupted: Ctrl-C, redone by the next run
STATUSES = ("ok", "failed", "stopped", "interrupted")


@dataclass(frozen=True)
class Trial:
    """One (series, configuration) pair of a sweep; ``label`` names the configuration."""

    series: Series
    config: ForecastConfig
    label: str
    data_sha256: str = ""  # of the price file's bytes when planned ("" if not on disk yet)

    @property
    def key(self) -> str:
        """16 hex digits of a SHA-256 over the series, its data and every config field: equal
        trials of two sweeps share a key; a changed setting or price file gives a new one."""
        identity = {"series": self.series.name, "source": self.series.source,
                    "config": self.config.to_dict()}
        if self.data_sha256:
            identity["data_sha256"] = self.data_sha256
        text = json.dumps(identity, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def run_name(self) -> str:
        """Name of the trial's run directory, e.g. ``tsla-lstm-3f2a9c1d0b``."""
        return f"{source_stem(self.series.name)}-{self.config.cell}-{self.key[:10]}"


def plan_trials(sources: Sequence[str], cells: Sequence[str], grid: Sequence[str] = (),
                base: ForecastConfig | None = None, data_dir: str | None = None) -> list[Trial]:
    """Every (series, configuration) trial of a sweep, series by series, configurations in grid
    order (see :mod:`lstmlab.sweep.grid` for ``sources``, ``cells`` and ``grid``).

    Each trial carries the hash of its price file (found as a trial finds it, ``data_dir``
    first for a ticker), so that a result is reused only for the same data.
    """
    series = expand_sources(sources)
    configs = parse_grid(cells, grid, base)
    labels = config_labels(configs)
    digests = {s.source: source_sha256(s.source, data_dir) for s in series}
    return [Trial(s, config, label, digests[s.source]) for s in series
            for config, label in zip(configs, labels, strict=True)]


def source_sha256(source: str, data_dir: str | None = None) -> str:
    """SHA-256 of the price file that ``source`` names (a path, or ``<TICKER>.csv`` in the
    folders :func:`lstmlab.data.sources.data_dirs` lists); ``""`` when there is none yet."""
    from lstmlab.data.sources import data_dirs

    candidates = [Path(source).expanduser()]
    if not any(sep in source for sep in "/\\"):  # a ticker: where load_prices looks
        candidates += [folder / f"{source.upper()}.csv" for folder in data_dirs(data_dir)]
    for path in candidates:
        try:
            with open(path, "rb") as handle:
                return hashlib.sha256(handle.read()).hexdigest()  # file_digest needs 3.11
        except OSError:  # not there (or not a file): try the next place
            continue
    return ""


@dataclass(frozen=True)
class TrialOptions:
    """How trials run: where tickers are found, missing-value handling, torch threads per
    trial (1 by default, so N cores run N trials), whether run directories get charts, and the
    exchange calendar of the loader's gap check."""

    data_dir: str | None = None
    fill: str | None = None
    threads: int = 1
    charts: bool = True
    calendar: str = "XNYS"


@dataclass(frozen=True)
class TrialResult:
    """The outcome of a trial, stored as JSON in the sweep folder.

    ``metrics`` (when ``status == "ok"``): ``epochs``, ``val_loss`` (lowest validation loss in
    the history, scaled units), ``val_rmse`` (price units), ``test_<metric>`` for RMSE, MAE,
    MAPE, MASE, R², directional accuracy and the Diebold-Mariano p-value, ``naive_test_rmse``,
    ``test_ratio`` (test RMSE / naive test RMSE), ``val_rmse_<baseline>`` for each baseline
    and ``train_seconds``; all over the forecast's steps (their mean when ``horizon > 1``).
    ``seconds`` is the whole trial (loading, training, writing); ``run_dir`` is relative to the
    sweep folder.
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
        """Read back what :meth:`to_dict` wrote; a :class:`ValueError` for anything else (a
        stored file is untrusted: its status, figures and types are checked)."""
        if not isinstance(data, Mapping):
            raise ValueError("not a JSON object")
        result = cls(**data)
        texts = (result.key, result.series, result.label, result.message, result.detail)
        if not all(isinstance(text, str) for text in texts) or result.status not in STATUSES:
            raise ValueError("a name or the status is not what lstmlab writes")
        figures = result.metrics
        if not isinstance(figures, dict) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                for k, v in figures.items()):
            raise ValueError("metrics is not a table of numbers")
        if not isinstance(result.config, dict) or not isinstance(result.seconds, (int, float)):
            raise ValueError("config or seconds has the wrong type")
        if result.run_dir is not None and not isinstance(result.run_dir, str):
            raise ValueError("run_dir is not a path")
        return result


def run_trial(trial: Trial, sweep_dir: Path, options: TrialOptions,
              on_epoch: ProgressCallback | None = None) -> TrialResult:
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
    except _Interrupted as stop:  # no run directory: the next run of the sweep redoes it
        return TrialResult(trial.key, trial.series.name, trial.label, "interrupted",
                           message=str(stop), seconds=time.perf_counter() - start,
                           config=trial.config.to_dict())
    except Exception as err:  # every failure is recorded; the sweep goes on
        return failed_result(trial, err, time.perf_counter() - start)
    return TrialResult(trial.key, trial.series.name, trial.label, "ok",
                       seconds=time.perf_counter() - start,
                       run_dir=str(folder.relative_to(sweep_dir)), metrics=metrics,
                       config=trial.config.to_dict())


def _train(trial: Trial, folder: Path, options: TrialOptions,
           on_epoch: ProgressCallback | None) -> Run:
    from lstmlab import jobs
    from lstmlab.data import load_prices

    prices = load_prices(trial.series.source, data_dir=options.data_dir, fill=options.fill,
                         calendar=options.calendar)
    # the forecaster sets its config's thread count while it works: that is where --threads goes
    config = trial.config.replace(num_threads=options.threads)
    fitted = jobs.fit_models(prices, {config.cell: config}, on_epoch)
    epochs = len(fitted[0].forecaster.history_)
    if fitted[0].forecaster.stop_reason_ == "interrupted":  # the trainer caught Ctrl-C
        raise _Interrupted(f"interrupted after {epochs} of {config.max_epochs} epochs")
    asked = {"command": "sweep", "name": trial.run_name, "source": trial.series.source,
             "series": trial.series.name, "cells": [trial.config.cell], "label": trial.label,
             "trial": trial.key, "data_dir": options.data_dir, "fill": options.fill,
             "calendar": options.calendar}
    with new_run(folder) as partial:
        jobs.write_run(partial, prices, fitted, asked, charts=options.charts)
    return read_run(folder)


class _Interrupted(Exception):
    """Training was stopped by Ctrl-C: the trial is stored as interrupted, not as a result."""


def summarise(run: Run, cell: str) -> dict[str, float]:
    """The figures a leaderboard needs, read from a run directory's tables."""
    metrics = at_step(run.table("metrics.csv"))  # the whole forecast: mean over its steps
    history = run.table("history.csv")
    history = history[history["model"] == cell]
    # a full (split, model) key selects one row, with a column one number (pandas-stubs types
    # both as any scalar)
    test = cast("pd.Series[float]", metrics.loc[("test", cell)])
    naive = cast("pd.Series[float]", metrics.loc[("test", "naive")])
    figures = {"epochs": float(len(history)), "val_loss": float(history["val_loss"].min()),
               "val_rmse": float(cast(float, metrics.loc[("val", cell), "rmse"]))}
    # the baselines' validation RMSEs, so that the leaderboard can select among them too
    figures.update({f"val_rmse_{name}": float(cast(float, metrics.loc[("val", name), "rmse"]))
                    for name in BASELINES if ("val", name) in metrics.index})
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
