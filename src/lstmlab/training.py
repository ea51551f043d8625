"""A generic supervised training loop for in-memory tensors.

It knows nothing about recurrent nets or prices: it takes a model, training and validation
tensors and :class:`TrainSettings`, and returns the per-epoch history. Train and validation
losses in the history are measured the same way, over the whole split in evaluation mode at the
end of each epoch, so the two curves of a loss chart are comparable; the running mean of the
training batches (taken while the weights were still moving, with dropout on) is kept as an
extra column, ``train_batch_loss``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd
import torch
from torch import nn

from lstmlab.errors import TrainingError

__all__ = [
    "HISTORY_COLUMNS", "TensorSplit", "TrainResult", "TrainSettings", "evaluate_loss", "train",
]

HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "lr", "seconds", "train_batch_loss"]
_EVAL_CHUNK = 8192  # rows per forward pass when measuring a whole split


class TensorSplit(NamedTuple):
    """Inputs and targets of one split, already on the training device."""

    x: torch.Tensor  # (N, T, F)
    y: torch.Tensor  # (N, horizon)


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings of :func:`train` (a subset of ``ForecastConfig``)."""

    max_epochs: int = 50
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0  # 0: no clipping
    patience: int = 10  # 0: no early stopping
    lr_patience: int = 4
    lr_factor: float = 0.5  # 1: never reduce
    seed: int = 0
    restore_best: bool = True  # False: keep the last epoch's weights (fine-tuning)


@dataclass
class TrainResult:
    """What :func:`train` returns; the model itself holds the best weights afterwards."""

    history: pd.DataFrame
    best_epoch: int
    stop_reason: str  # "max_epochs", "early_stopping" or "interrupted"


EpochCallback = Callable[[dict[str, float]], None]


def train(
    model: nn.Module,
    train_split: TensorSplit,
    val_split: TensorSplit,
    settings: TrainSettings,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Train ``model`` in place and restore the weights of its best validation epoch.

    (Unless ``settings.restore_best`` is false: then the last epoch's weights stay.)

    Stops early after ``settings.patience`` epochs without validation improvement, reduces the
    learning rate on a plateau, raises :class:`TrainingError` on a non-finite loss (naming the
    epoch), and on Ctrl-C stops cleanly with the best weights so far.
    """
    loss_fn = loss_fn or nn.functional.mse_loss
    optimizer = _make_optimizer(model, settings)
    scheduler = None
    if settings.lr_factor < 1.0:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=settings.lr_factor, patience=settings.lr_patience
        )
    generator = torch.Generator().manual_seed(settings.seed)
    records: list[dict[str, float]] = []
    best_loss, best_epoch, best_state = math.inf, 0, copy.deepcopy(model.state_dict())
    stop_reason = "max_epochs"
    try:
        for epoch in range(1, settings.max_epochs + 1):
            start = time.perf_counter()
            batch_loss = _train_epoch(model, train_split, optimizer, loss_fn, settings, generator)
            train_loss = evaluate_loss(model, train_split, loss_fn)
            val_loss = evaluate_loss(model, val_split, loss_fn)
            _check_finite(epoch, batch_loss, train_loss, val_loss)
            record = {
                "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - start,
                "train_batch_loss": batch_loss,
            }
            records.append(record)
            if val_loss < best_loss:
                best_loss, best_epoch = val_loss, epoch
                best_state = copy.deepcopy(model.state_dict())
            if on_epoch is not None:
                on_epoch(record)
            if settings.patience and epoch - best_epoch >= settings.patience:
                stop_reason = "early_stopping"
                break
            if scheduler is not None:
                scheduler.step(val_loss)
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    if settings.restore_best:
        model.load_state_dict(best_state)
    history = pd.DataFrame.from_records(records, columns=HISTORY_COLUMNS)
    history["epoch"] = history["epoch"].astype(int)
    return TrainResult(history=history, best_epoch=best_epoch, stop_reason=stop_reason)


def _train_epoch(
    model: nn.Module,
    data: TensorSplit,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    settings: TrainSettings,
    generator: torch.Generator,
) -> float:
    """One pass over shuffled mini-batches; returns the mean batch loss (sample-weighted)."""
    model.train()
    n = data.x.shape[0]
    order = torch.randperm(n, generator=generator).to(data.x.device)
    total = torch.zeros((), device=data.x.device)  # summed on device: no sync per batch
    for start in range(0, n, settings.batch_size):
        idx = order[start : start + settings.batch_size]
        loss = loss_fn(model(data.x[idx]), data.y[idx])
        optimizer.zero_grad(set_to_none=True)
        torch.autograd.backward(loss)
        if settings.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        total += loss.detach() * idx.numel()
    return float(total) / n


@torch.no_grad()
def evaluate_loss(
    model: nn.Module,
    data: TensorSplit,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """Mean loss over a whole split in evaluation mode (no dropout, no gradient)."""
    loss_fn = loss_fn or nn.functional.mse_loss
    model.eval()
    n = data.x.shape[0]
    total = 0.0
    for start in range(0, n, _EVAL_CHUNK):
        x, y = data.x[start : start + _EVAL_CHUNK], data.y[start : start + _EVAL_CHUNK]
        total += float(loss_fn(model(x), y)) * x.shape[0]
    return total / n


def _make_optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[settings.optimizer]
    optimizer: torch.optim.Optimizer = kind(model.parameters(), lr=settings.learning_rate,
                                            weight_decay=settings.weight_decay)
    return optimizer


def _check_finite(epoch: int, *losses: float) -> None:
    if not all(math.isfinite(loss) for loss in losses):
        raise TrainingError(
            f"the loss became non-finite ({', '.join(f'{x:g}' for x in losses)}) in epoch "
            f"{epoch}; lower the learning rate, enable gradient clipping, or check the data "
            f"for extreme values"
        )
