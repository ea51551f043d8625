"""One training core for every model in the package: a step loop, and an epoch loop built on it.

It knows nothing about recurrent nets, prices or memory tasks. Two levels:

* :func:`run_steps` takes one optimiser step per batch of any iterable of :class:`TensorSplit`
  batches (fresh task batches, random rows, shuffled mini-batches), with an optional learning
  rate ``schedule(step)`` and an ``on_step(step, loss, batch)`` callback that may stop the loop
  by returning ``True``. The memory lab (:mod:`lstmlab.memory.train`) and its gate-flow training
  call it directly with a fixed step budget.
* :func:`train` is the forecaster's epoch loop: each epoch is one :func:`run_steps` call over
  shuffled mini-batches, followed by whole-split losses in evaluation mode, early stopping,
  learning-rate reduction on a plateau, and restoring the best weights (:class:`BestWeights`).

Train and validation losses in the epoch history are measured the same way, over the whole split
in evaluation mode at the end of each epoch, so the two curves of a loss chart are comparable;
the running mean of the training batches (taken while the weights were still moving, with
dropout on) is kept as an extra column, ``train_batch_loss``. ``TrainSettings.train_loss_sample
= N`` measures ``train_loss`` on N training windows drawn once per fit instead of the whole split
(:func:`train_loss_windows`), an estimate labelled in the history's ``train_loss_sample`` column;
it is cheaper when a model is refitted many times, and the fitted weights do not change.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd
import torch
from torch import nn

from lstmlab.errors import TrainingError

__all__ = [
    "HISTORY_COLUMNS", "BestWeights", "LossFn", "StepCallback", "TensorSplit", "TrainResult",
    "TrainSettings", "check_finite", "evaluate_loss", "make_optimizer", "optimizer_step",
    "run_steps", "train", "train_loss_windows",
]

HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "lr", "seconds", "train_batch_loss",
                   "train_loss_sample"]
_EVAL_CHUNK = 8192  # rows per forward pass when measuring a whole split

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class TensorSplit(NamedTuple):
    """Inputs and targets of one split or batch, already on the training device."""

    x: torch.Tensor  # (N, T, F)
    y: torch.Tensor  # (N, horizon), or whatever the loss compares the model's output with


StepCallback = Callable[[int, torch.Tensor, TensorSplit], "bool | None"]
"""``on_step(step, loss, batch)``: ``step`` counts from 1, ``loss`` is the batch loss (a
detached scalar tensor, not synchronised); return ``True`` to stop the loop after this step."""


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
    train_loss_sample: int = 0  # 0: train_loss over the whole split; N: over N windows (estimate)


@dataclass
class TrainResult:
    """What :func:`train` returns; the model itself holds the best weights afterwards."""

    history: pd.DataFrame
    best_epoch: int
    stop_reason: str  # "max_epochs", "early_stopping" or "interrupted"


EpochCallback = Callable[[dict[str, float]], None]


# ----------------------------------------------------------------------------- the step loop
def optimizer_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, batch: TensorSplit, loss_fn: LossFn,
    grad_clip: float = 0.0,
) -> torch.Tensor:
    """One step on ``batch``: loss, backward, global gradient-norm clip (if > 0), update.

    Returns the detached loss; it is not read back to the CPU here, so a caller on a GPU decides
    when to synchronise.
    """
    loss = loss_fn(model(batch.x), batch.y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.detach()


def run_steps(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[TensorSplit],
    *,
    loss_fn: LossFn | None = None,
    grad_clip: float = 0.0,
    schedule: Callable[[int], float] | None = None,
    on_step: StepCallback | None = None,
) -> int:
    """Take one optimiser step per batch, in training mode; return the number of steps taken.

    ``loss_fn`` defaults to mean squared error. ``schedule(i)`` (``i`` = 0, 1, ...) sets the
    learning rate of every parameter group before step ``i + 1``. ``on_step`` is called after each
    step (see :data:`StepCallback`); the loop ends when ``batches`` is exhausted or ``on_step``
    returns ``True``. The model is put back into training mode before every step, so a callback
    may evaluate it in between.
    """
    loss_fn = loss_fn or nn.functional.mse_loss
    taken = 0
    for batch in batches:
        if schedule is not None:
            for group in optimizer.param_groups:
                group["lr"] = schedule(taken)
        model.train()
        loss = optimizer_step(model, optimizer, batch, loss_fn, grad_clip)
        taken += 1
        if on_step is not None and on_step(taken, loss, batch):
            break
    return taken


class BestWeights:
    """A copy of the model's weights at its lowest score so far, to restore at the end."""

    def __init__(self, model: nn.Module) -> None:
        self.loss = math.inf
        self.at = 0  # the epoch (or step) of the best score; 0: none yet
        self.state = copy.deepcopy(model.state_dict())

    def update(self, model: nn.Module, loss: float, at: int) -> bool:
        """Keep the weights if ``loss`` is the lowest so far; return whether it was."""
        if not loss < self.loss:
            return False
        self.loss, self.at = loss, at
        self.state = copy.deepcopy(model.state_dict())
        return True

    def restore(self, model: nn.Module) -> None:
        """Load the kept weights into ``model``."""
        model.load_state_dict(self.state)


# ---------------------------------------------------------------------------- the epoch loop
def train(
    model: nn.Module,
    train_split: TensorSplit,
    val_split: TensorSplit,
    settings: TrainSettings,
    *,
    loss_fn: LossFn | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Train ``model`` in place and restore the weights of its best validation epoch.

    (Unless ``settings.restore_best`` is false: then the last epoch's weights stay.)

    Stops early after ``settings.patience`` epochs without validation improvement, reduces the
    learning rate on a plateau, raises :class:`TrainingError` on a non-finite loss (naming the
    epoch), and on Ctrl-C stops cleanly with the best weights so far.
    """
    loss_fn = loss_fn or nn.functional.mse_loss
    optimizer = make_optimizer(model, settings)
    scheduler = None
    if settings.lr_factor < 1.0:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=settings.lr_factor, patience=settings.lr_patience
        )
    generator = torch.Generator().manual_seed(settings.seed)
    measured = train_loss_windows(train_split, settings.train_loss_sample, settings.seed)
    records: list[dict[str, float]] = []
    best = BestWeights(model)
    stop_reason = "max_epochs"
    try:
        for epoch in range(1, settings.max_epochs + 1):
            record = _run_epoch(model, optimizer, train_split, measured, val_split, settings,
                                loss_fn, generator, epoch)
            records.append(record)
            best.update(model, record["val_loss"], epoch)
            if on_epoch is not None:
                on_epoch(record)
            if settings.patience and epoch - best.at >= settings.patience:
                stop_reason = "early_stopping"
                break
            if scheduler is not None:
                scheduler.step(record["val_loss"])
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    if settings.restore_best:
        best.restore(model)
    history = pd.DataFrame.from_records(records, columns=HISTORY_COLUMNS)
    history["epoch"] = history["epoch"].astype(int)
    return TrainResult(history=history, best_epoch=best.at, stop_reason=stop_reason)


def _run_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_split: TensorSplit,
    measured: TensorSplit,
    val_split: TensorSplit,
    settings: TrainSettings,
    loss_fn: LossFn,
    generator: torch.Generator,
    epoch: int,
) -> dict[str, float]:
    """One pass over shuffled mini-batches, then the epoch's history record (``train_loss`` on
    the ``measured`` windows, :func:`train_loss_windows`)."""
    start = time.perf_counter()
    batch_loss = _train_epoch(model, train_split, optimizer, loss_fn, settings, generator)
    train_loss = evaluate_loss(model, measured, loss_fn)
    val_loss = evaluate_loss(model, val_split, loss_fn)
    check_finite(f"in epoch {epoch}", batch_loss, train_loss, val_loss)
    return {
        "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
        "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - start,
        "train_batch_loss": batch_loss, "train_loss_sample": settings.train_loss_sample,
    }


def train_loss_windows(train_split: TensorSplit, sample: int, seed: int) -> TensorSplit:
    """The windows ``train_loss`` is measured on: all of ``train_split`` (``sample`` 0, exact),
    or ``sample`` of them drawn once per fit with ``seed`` (an estimate of the same mean at a
    fraction of the cost of a forward over the whole split). The draw uses its own generator,
    so the training batches, and hence the fitted weights, do not depend on ``sample``."""
    n = train_split.x.shape[0]
    if not sample or sample >= n:
        return train_split
    chosen = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:sample]
    idx = chosen.sort().values.to(train_split.x.device)  # (sample,)
    return TensorSplit(train_split.x[idx], train_split.y[idx])


def _train_epoch(
    model: nn.Module,
    data: TensorSplit,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn,
    settings: TrainSettings,
    generator: torch.Generator,
) -> float:
    """One pass of :func:`run_steps` over shuffled mini-batches; the sample-weighted mean loss."""
    total = torch.zeros((), device=data.x.device)  # summed on device: no sync per batch

    def accumulate(step: int, loss: torch.Tensor, batch: TensorSplit) -> None:
        nonlocal total
        total += loss * batch.x.shape[0]

    batches = _shuffled(data, settings.batch_size, generator)
    run_steps(model, optimizer, batches, loss_fn=loss_fn, grad_clip=settings.grad_clip,
              on_step=accumulate)
    return float(total) / data.x.shape[0]


def _shuffled(data: TensorSplit, batch_size: int, generator: torch.Generator
              ) -> Iterator[TensorSplit]:
    """Mini-batches of ``data`` in an order drawn from ``generator`` (the last may be short)."""
    order = torch.randperm(data.x.shape[0], generator=generator).to(data.x.device)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield TensorSplit(data.x[idx], data.y[idx])


@torch.no_grad()
def evaluate_loss(
    model: nn.Module,
    data: TensorSplit,
    loss_fn: LossFn | None = None,
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


def make_optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    """Adam or AdamW over all of ``model``'s parameters, as ``settings`` say."""
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[settings.optimizer]
    optimizer: torch.optim.Optimizer = kind(model.parameters(), lr=settings.learning_rate,
                                            weight_decay=settings.weight_decay)
    return optimizer


def check_finite(where: str, *losses: float) -> None:
    """Raise :class:`TrainingError` naming ``where`` (``"in epoch 3"``) if a loss is not finite."""
    if not all(math.isfinite(loss) for loss in losses):
        raise TrainingError(
            f"the loss became non-finite ({', '.join(f'{x:g}' for x in losses)}) {where}; "
            f"lower the learning rate, enable gradient clipping, or check the data for "
            f"extreme values"
        )
