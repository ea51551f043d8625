"""One refit of a backtest: fit on the block's past, then forecast all its origins in one pass.

A :class:`RefitTask` carries everything a worker process needs (the config, the block, the
price rows the block reads and the same dates of each past covariate), so tasks run anywhere: in
this process, in a local process pool or as Ray tasks. Its :attr:`RefitTask.key` hashes the data
rows it reads, the config and the block, so a finished refit is stored once (:func:`save_refit`)
and found again by any later backtest that shares it (:func:`load_refit`).

Covariates are cut exactly like the series: the fit sees the covariate rows dated before the
refit date only (:func:`past_of`), and a forecast from an origin reads covariate rows up to the
origin's date, through the same window builder as the series.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmlab.backtest.plan import Block
from lstmlab.baselines import mean_log_return
from lstmlab.errors import ModelFileError, TrainingError
from lstmlab.evaluation import predict_prices
from lstmlab.manifest import data_sha256

if TYPE_CHECKING:
    import pandas as pd
    import torch
    from torch import nn

    from lstmlab.config import ForecastConfig
    from lstmlab.data import Prepared, WindowSpec

__all__ = ["ARRAYS", "RefitResult", "RefitTask", "cut_dates", "forecast_origins", "load_refit",
           "model_state", "past_of", "read_stored", "run_refit", "save_refit", "series_result",
           "stored_path"]

_FORMAT = "lstmlab.backtest.refit/4"
ARRAYS = ("origins", "forecasts", "bands", "residual_band", "val_origins",
           "val_forecasts")  # stored beside the weights


@dataclass(frozen=True)
class RefitTask:
    """One (config, block) fit. ``prices`` holds rows ``block.fit_start .. block.last_row``;
    ``covariates`` each past covariate's rows over the same dates (:func:`cut_dates`).

    ``previous`` (fine-tuning only) is the task whose fitted weights this one starts from.
    """

    config: ForecastConfig
    block: Block
    prices: pd.DataFrame = field(repr=False)
    previous: RefitTask | None = field(default=None, repr=False)
    covariates: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """16 hex digits of a SHA-256 over the rows read (covariates included), the config, the
        block and, when fine-tuning, the previous task's key: any change gives a new key."""
        b = self.block
        identity: dict[str, Any] = {
            "format": _FORMAT, "data": data_sha256(self.prices),
            "config": self.config.to_dict(), "fit_rows": b.refit - b.fit_start,
            "origins": [b.origins.start - b.fit_start, b.origins.stop - b.fit_start,
                        b.origins.step],
            "previous": self.previous.key if self.previous else None}
        if self.covariates:  # absent without covariates: earlier stored refits keep their key
            identity["covariates"] = {name: data_sha256(frame)
                                      for name, frame in self.covariates.items()}
        return digest_key(identity)

    def run(self, start_state: dict[str, torch.Tensor] | None = None) -> RefitResult:
        """:func:`run_refit` of this task (the engine's interface)."""
        return run_refit(self, start_state)

    def load(self, folder: Path) -> RefitResult | None:
        """This task's stored result in ``folder``, if any (the engine's interface)."""
        return load_refit(folder, self.key)


def digest_key(identity: dict[str, Any]) -> str:
    """16 hex digits of a SHA-256 of ``identity`` as sorted JSON: a stored refit's name."""
    text = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cut_dates(frames: Mapping[str, pd.DataFrame], first: pd.Timestamp | None,
              last: pd.Timestamp, keep: Collection[str] = ()) -> dict[str, pd.DataFrame]:
    """Each frame's rows dated from ``first`` (None: its start) through ``last``; the frames
    named in ``keep`` (known tables, known in advance) are not cut at ``last``."""
    return {name: frame.loc[first:None if name in keep else last]
            for name, frame in frames.items()}


def past_of(task: RefitTask) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """What the task's fit may read: its price rows before the refit date, its covariate
    rows up to the same last date (none on or after the refit date), and its known tables
    whole (the last training windows read the days ahead of them)."""
    past = task.prices.iloc[: task.block.refit - task.block.fit_start]
    known = {name for name, _ in task.config.known}
    return past, cut_dates(task.covariates, None, past.index[-1], keep=known)


@dataclass
class RefitResult:
    """What one refit produced: forecasts ``(N, h)`` in price units at ``origins`` (rows of the
    whole frame), the same on its own validation windows (``val_origins``, ``val_forecasts``,
    for choosing among models and baselines), the fit's own seconds, its training summary and
    its weights.

    For the backtest's bands (:mod:`lstmlab.backtest.bands`): ``bands (N, h, 2)``, the model's
    own central ``1 - alpha`` band at the origins (lower, upper; a point model's is its
    forecast twice), ``residual_band (h, 2)``, the quantiles of its validation log errors
    (``Forecaster.band_``), and ``calibration``, its conformal calibration
    (``BandCalibration.to_dict()``)."""

    key: str
    block: int
    cell: str
    seed: int
    origins: np.ndarray
    forecasts: np.ndarray
    bands: np.ndarray
    residual_band: np.ndarray
    val_origins: np.ndarray
    val_forecasts: np.ndarray
    fit_seconds: float
    summary: dict[str, Any]
    calibration: dict[str, Any] = field(repr=False)
    state: dict[str, torch.Tensor] = field(repr=False)
    cached: bool = False

    def save(self, folder: Path) -> Path:
        """:func:`save_refit` of this result (the engine's interface)."""
        return save_refit(folder, self)


def run_refit(task: RefitTask, start_state: dict[str, torch.Tensor] | None = None
              ) -> RefitResult:
    """Fit ``task.config`` on the rows before the refit, then forecast the block's origins.

    ``start_state`` (fine-tuning) holds the weights training starts from. The forecasts of all
    origins come from one batched forward pass. Everything runs with the config's PyTorch
    threads (one by default), as the forecaster's own methods do.
    """
    from lstmlab.runtime import torch_threads

    with torch_threads(task.config.num_threads):
        return _refit(task, start_state)


def _refit(task: RefitTask, start_state: dict[str, torch.Tensor] | None) -> RefitResult:
    from lstmlab.backtest.plan import inner_split
    from lstmlab.forecaster import Forecaster

    past, past_covariates = past_of(task)
    config = task.config.replace(split=inner_split(task.config))
    start = time.perf_counter()
    forecaster = Forecaster(config).fit(past, verbose=False, start_state=start_state,
                                        covariates=past_covariates)
    fit_seconds = time.perf_counter() - start
    summary = training_summary(forecaster.history_, forecaster.best_epoch_,
                               forecaster.stop_reason_)
    state = {k: v.detach().cpu().clone() for k, v in forecaster.model_.state_dict().items()}
    calibration = forecaster.calibration_
    if calibration is None:  # a fitted Forecaster always has one; only old loaded files lack it
        raise TrainingError("the refit's forecaster has no band calibration")
    return series_result(task, forecaster.model_, forecaster.prepared_, fit_seconds, summary,
                         state, calibration.to_dict(), forecaster.band_)


def training_summary(history: pd.DataFrame, best_epoch: int | None,
                     stop_reason: str | None) -> dict[str, Any]:
    """How one fit's training went, for the refit table."""
    return {"epochs": len(history), "best_epoch": best_epoch, "stop_reason": stop_reason,
            "val_loss": float(history["val_loss"].min())}


def series_result(task: RefitTask, model: nn.Module, prepared: Prepared, fit_seconds: float,
                  summary: dict[str, Any], state: dict[str, torch.Tensor],
                  calibration: dict[str, Any], residual_band: list[list[float]]
                  ) -> RefitResult:
    """The result of ``task`` from the fitted ``model`` (as it reads this series), the windows
    ``prepared`` of its past, its conformal ``calibration`` and validation ``residual_band``:
    the block's forecasts and bands, the validation forecasts and the series' own training
    yardsticks next to the fit's ``summary``."""
    block, config = task.block, task.config
    past, _ = past_of(task)
    origins = np.asarray(block.origins, dtype=np.int64)  # (N,) rows of the whole frame
    forecasts, bands = forecast_origins(model, prepared.spec, task.prices,
                                        origins - block.fit_start, config.alpha,
                                        task.covariates)
    val = prepared.val
    val_forecasts = predict_prices(model, prepared.spec, val.x, val.last_price)
    close = past[config.target_column].to_numpy(dtype=np.float64)
    train_end = int(prepared.train.origin[-1]) + config.horizon  # the last training target
    summary = {**summary, "mean_return": mean_log_return(close, train_end),  # the baseline's
               "fit_first": f"{past.index[0]:%Y-%m-%d}", "fit_last": f"{past.index[-1]:%Y-%m-%d}"}
    return RefitResult(task.key, block.id, config.cell, config.seed, origins, forecasts, bands,
                       np.asarray(residual_band, dtype=np.float64),
                       val.origin + block.fit_start, val_forecasts, fit_seconds, summary,
                       calibration, state)


def forecast_origins(model: nn.Module, spec: WindowSpec, prices: pd.DataFrame, rows: np.ndarray,
                     alpha: float, covariates: Mapping[str, pd.DataFrame] | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """From the windows ending at ``rows`` of ``prices``, in one forward pass: ``model``'s price
    forecasts ``(N, h)`` and its own central ``1 - alpha`` band ``(N, h, 2)``. Each window reads
    its covariates up to its own last date only."""
    import torch

    from lstmlab.data import windows_for
    from lstmlab.intervals import base_band, model_outputs, point_prices

    windows = windows_for(prices, spec, covariates)
    first = int(windows.origin[0])
    pick = torch.from_numpy(rows - first)  # (N,) positions among the frame's windows
    outputs = model_outputs(model, windows.x.index_select(0, pick))  # (N, h) or (N, h, P)
    last = windows.last_price[rows - first]  # (N,)
    band = np.stack(base_band(model, outputs, spec, last, round(1 - alpha, 10)),
                    axis=-1)  # (N, h, 2)
    return point_prices(model, outputs, spec, last), band


def stored_path(folder: Path, key: str) -> Path:
    """Where the refit with ``key`` is stored in ``folder``."""
    return folder / f"{key}.safetensors"


def save_refit(folder: Path, result: RefitResult) -> Path:
    """Store ``result`` as ``folder/<key>.safetensors`` (weights, forecasts and summary)."""
    import torch

    from lstmlab import persist

    tensors = {**{f"model.{k}": v for k, v in result.state.items()},
               **{name: torch.from_numpy(np.ascontiguousarray(getattr(result, name)))
                  for name in ARRAYS}}
    meta = {"config": {"cell": result.cell, "seed": result.seed, "format": _FORMAT},
            "manifest": {"key": result.key, "block": result.block,
                         "fit_seconds": result.fit_seconds, "summary": result.summary,
                         "calibration": result.calibration}}
    return persist.save_model(stored_path(folder, result.key), tensors, meta)


def read_stored(folder: Path, key: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
    """The tensors and metadata stored for task ``key``, or None when there are none or the file
    is damaged (the task is then simply refitted, and the file overwritten)."""
    from lstmlab import persist

    path = stored_path(folder, key)
    if not path.is_file():
        return None
    try:
        return persist.load_model(path)
    except ModelFileError:
        return None


def model_state(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The fitted model's weights among a stored refit's tensors."""
    return {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}


def load_refit(folder: Path, key: str) -> RefitResult | None:
    """The stored result of task ``key``, or None when there is none (or it is unreadable)."""
    stored = read_stored(folder, key)
    if stored is None:
        return None
    tensors, meta = stored
    try:
        info = meta["manifest"]
        arrays = {name: tensors[name].numpy() for name in ARRAYS}
        return RefitResult(key, int(info["block"]), meta["config"]["cell"],
                           int(meta["config"]["seed"]), **arrays,
                           fit_seconds=float(info["fit_seconds"]), summary=info["summary"],
                           calibration=info["calibration"], state=model_state(tensors),
                           cached=True)
    except (KeyError, TypeError, ValueError):
        return None  # not what lstmlab writes: refitted (and overwritten)
