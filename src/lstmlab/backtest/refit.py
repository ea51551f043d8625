"""One refit of a backtest: fit on the block's past, then forecast all its origins in one pass.

A :class:`RefitTask` carries everything a worker process needs (the config, the block, and the
price rows the block reads), so tasks run anywhere: in this process, in a local process pool or
as Ray tasks. Its :attr:`RefitTask.key` hashes the data rows it reads, the config and the block,
so a finished refit is stored once (:func:`save_refit`) and found again by any later backtest
that shares it (:func:`load_refit`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmlab.backtest.plan import Block
from lstmlab.baselines import mean_log_return
from lstmlab.errors import ModelFileError
from lstmlab.evaluation import predict_prices
from lstmlab.manifest import data_sha256

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from lstmlab.config import ForecastConfig

__all__ = ["RefitResult", "RefitTask", "load_refit", "run_refit", "save_refit", "stored_path"]

_FORMAT = "lstmlab.backtest.refit/4"
_ARRAYS = ("origins", "forecasts", "bands", "residual_band", "val_origins",
           "val_forecasts")  # stored beside the weights


@dataclass(frozen=True)
class RefitTask:
    """One (config, block) fit. ``prices`` holds rows ``block.fit_start .. block.last_row``.

    ``previous`` (fine-tuning only) is the task whose fitted weights this one starts from.
    """

    config: ForecastConfig
    block: Block
    prices: pd.DataFrame = field(repr=False)
    previous: RefitTask | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """16 hex digits of a SHA-256 over the rows read, the config, the block and, when
        fine-tuning, the previous task's key: any change gives a new key."""
        b = self.block
        identity = {"format": _FORMAT, "data": data_sha256(self.prices),
                    "config": self.config.to_dict(), "fit_rows": b.refit - b.fit_start,
                    "origins": [b.origins.start - b.fit_start, b.origins.stop - b.fit_start,
                                b.origins.step],
                    "previous": self.previous.key if self.previous else None}
        text = json.dumps(identity, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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

    block, prices = task.block, task.prices
    past = prices.iloc[: block.refit - block.fit_start]  # strictly before the refit date
    config = task.config.replace(split=inner_split(task.config))
    start = time.perf_counter()
    forecaster = Forecaster(config).fit(past, verbose=False, start_state=start_state)
    fit_seconds = time.perf_counter() - start
    origins = np.asarray(block.origins, dtype=np.int64)  # (N,) rows of the whole frame
    forecasts, bands = _forecast_origins(forecaster, prices, origins - block.fit_start)
    val = forecaster.prepared_.val
    val_forecasts = predict_prices(forecaster.model_, forecaster.spec_, val.x, val.last_price)
    history = forecaster.history_
    close = past[config.target_column].to_numpy(dtype=np.float64)
    train_end = int(forecaster.prepared_.train.origin[-1]) + config.horizon  # last train target
    summary = {"epochs": len(history), "best_epoch": forecaster.best_epoch_,
               "stop_reason": forecaster.stop_reason_,
               "val_loss": float(history["val_loss"].min()),
               "mean_return": mean_log_return(close, train_end),  # the mean-return baseline's
               "fit_first": f"{past.index[0]:%Y-%m-%d}", "fit_last": f"{past.index[-1]:%Y-%m-%d}"}
    state = {k: v.detach().cpu().clone() for k, v in forecaster.model_.state_dict().items()}
    calibration = forecaster.calibration_.to_dict()
    return RefitResult(task.key, block.id, config.cell, config.seed, origins, forecasts, bands,
                       np.asarray(forecaster.band_, dtype=np.float64),
                       val.origin + block.fit_start, val_forecasts, fit_seconds, summary,
                       calibration, state)


def _forecast_origins(forecaster: Any, prices: pd.DataFrame, rows: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """From the windows ending at ``rows`` of ``prices``, in one forward pass: the price
    forecasts ``(N, h)`` and the model's own central ``1 - alpha`` band ``(N, h, 2)``."""
    import torch

    from lstmlab.data import windows_for
    from lstmlab.intervals import base_band, model_outputs, point_prices

    model, spec = forecaster.model_, forecaster.spec_
    windows = windows_for(prices, spec)
    first = int(windows.origin[0])
    pick = torch.from_numpy(rows - first)  # (N,) positions among the frame's windows
    outputs = model_outputs(model, windows.x.index_select(0, pick))  # (N, h) or (N, h, P)
    last = windows.last_price[rows - first]  # (N,)
    level = round(1 - forecaster.config.alpha, 10)
    band = np.stack(base_band(model, outputs, spec, last, level), axis=-1)  # (N, h, 2)
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
                  for name in _ARRAYS}}
    meta = {"config": {"cell": result.cell, "seed": result.seed, "format": _FORMAT},
            "manifest": {"key": result.key, "block": result.block,
                         "fit_seconds": result.fit_seconds, "summary": result.summary,
                         "calibration": result.calibration}}
    return persist.save_model(stored_path(folder, result.key), tensors, meta)


def load_refit(folder: Path, key: str) -> RefitResult | None:
    """The stored result of task ``key``, or None when there is none (or it is unreadable)."""
    from lstmlab import persist

    path = stored_path(folder, key)
    if not path.is_file():
        return None
    try:
        tensors, meta = persist.load_model(path)
    except ModelFileError:
        return None  # a damaged entry is simply refitted (and overwritten)
    info = meta["manifest"]
    state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    arrays = {name: tensors[name].numpy() for name in _ARRAYS}
    return RefitResult(key, int(info["block"]), meta["config"]["cell"], int(meta["config"]["seed"]),
                       **arrays, fit_seconds=float(info["fit_seconds"]), summary=info["summary"],
                       calibration=info["calibration"], state=state, cached=True)
