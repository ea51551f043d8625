"""Train one recurrent cell on one memory task with a fixed budget of optimiser steps.

Every step draws a fresh batch from the task, so there is no epoch and no overfitting to a fixed
training set; the test set is drawn once, first, from the same seeded generator. Training uses the
layers' fast path (no gate recording).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor, nn

from lstmlab.errors import ConfigError, TrainingError
from lstmlab.layers import make_layer
from lstmlab.memory.tasks import Task, TaskBatch, get_task
from lstmlab.validation import require_int
from lstmlab.vocabulary import ProgressCallback

__all__ = [
    "MemoryConfig", "MemoryNet", "MemoryRun", "build_model", "evaluate", "learning_rate",
    "train_memory", "train_step",
]


@dataclass(frozen=True)
class MemoryConfig:
    """Settings of one memory run; the same budget is given to every cell compared."""

    task: str = "adding"  # "adding" or "copy"
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    length: int = 100  # T: adding sequence length, or copy gap
    steps: int = 2000  # optimiser steps, one fresh batch each
    batch_size: int = 64
    learning_rate: float = 0.01  # Adam's peak rate, decayed by `learning_rate()`
    hidden_size: int = 64
    grad_clip: float = 1.0  # max global gradient norm
    eval_every: int = 100  # steps between test evaluations (learning-curve points)
    test_size: int = 1000  # test sequences, drawn once
    seed: int = 0

    def __post_init__(self) -> None:
        get_task(self.task)  # raises ConfigError for an unknown task
        for name in ("length", "steps", "batch_size", "hidden_size", "eval_every", "test_size"):
            require_int(name, getattr(self, name))
        for name in ("learning_rate", "grad_clip"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"memory config field {name}={value!r}: use a number > 0")

    @property
    def label(self) -> str:
        """The run's short name in progress reports, e.g. ``adding T=100 lstm``."""
        return f"{self.task} T={self.length} {self.cell}"


class MemoryNet(nn.Module):
    """A recurrent layer (from `make_layer`) and a linear head reading what the task needs."""

    def __init__(self, task: Task, cell: str, hidden_size: int) -> None:
        super().__init__()
        self.task = task
        self.layer = make_layer(cell, task.input_size, hidden_size)
        self.head = nn.Linear(hidden_size, task.output_size)

    def forward(self, x: Tensor) -> Tensor:
        """Map inputs (B, T, input_size) to the task's prediction."""
        output, _ = self.layer(x)  # (B, T, H)
        y: Tensor = self.head(self.task.readout(output))
        return y


def build_model(config: MemoryConfig) -> MemoryNet:
    """The untrained model of ``config``, its weights drawn from ``config.seed``."""
    torch.manual_seed(config.seed)
    return MemoryNet(get_task(config.task), config.cell, config.hidden_size)


@dataclass
class MemoryRun:
    """The outcome of `train_memory`: the trained model, its learning curve and test metrics."""

    config: MemoryConfig
    model: MemoryNet
    baseline: float  # the task's memoryless score at this length
    test: dict[str, float]  # final test metrics
    seconds: float  # wall-clock training time
    history: list[dict[str, float]] = field(default_factory=list)  # step, train_loss, test_loss

    def summary(self) -> dict[str, object]:
        """A JSON-ready record of the run (no weights)."""
        return {"config": asdict(self.config), "baseline": self.baseline, "test": self.test,
                "seconds": self.seconds, "history": self.history}


def learning_rate(step: int, steps: int, peak: float) -> float:
    """Constant ``peak`` for the first half, then a cosine decay to ``peak / 20`` at the end.

    The constant phase leaves time to escape the plateau at the baseline; the decay then settles
    the solution so the final test score is not taken at a noisy step.
    """
    half = steps // 2
    if step < half:
        return peak
    progress = (step - half) / max(steps - half, 1)
    floor = peak / 20
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def evaluate(model: MemoryNet, data: TaskBatch) -> dict[str, float]:
    """The task's metrics of ``model`` on ``data``."""
    model.eval()
    metrics = model.task.metrics(model(data.x), data.y)
    model.train()
    return metrics


def train_step(model: MemoryNet, optimizer: torch.optim.Optimizer, data: TaskBatch,
               grad_clip: float) -> float:
    """One optimiser step on ``data`` with the global gradient norm clipped; returns the loss."""
    loss = model.task.loss(model(data.x), data.y)
    if not torch.isfinite(loss):
        raise TrainingError(
            f"memory training loss became {loss.item()}: lower --lr or the sequence length"
        )
    optimizer.zero_grad(set_to_none=True)
    torch.autograd.backward(loss)
    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.item()


def train_memory(config: MemoryConfig, *,
                 on_progress: ProgressCallback | None = None) -> MemoryRun:
    """Train ``config.cell`` on ``config.task`` for ``config.steps`` steps and test it.

    ``on_progress`` receives ``(config.label, point)`` for each learning-curve point.
    """
    task = get_task(config.task)
    generator = torch.Generator().manual_seed(config.seed)
    test_data = task.batch(config.test_size, config.length, generator)
    model = build_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    history: list[dict[str, float]] = []
    losses: list[float] = []
    start = time.perf_counter()
    for step in range(1, config.steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step - 1, config.steps, config.learning_rate)
        data = task.batch(config.batch_size, config.length, generator)
        losses.append(train_step(model, optimizer, data, config.grad_clip))
        if step % config.eval_every == 0 or step == config.steps:
            test = evaluate(model, test_data)[task.metric]
            point = {"step": step, "train_loss": sum(losses) / len(losses), "test_loss": test,
                     "seconds": time.perf_counter() - start}
            history.append(point)
            losses.clear()
            if on_progress is not None:
                on_progress(config.label, point)
    seconds = time.perf_counter() - start
    return MemoryRun(config, model, task.baseline(config.length), evaluate(model, test_data),
                     seconds, history)
