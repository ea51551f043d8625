"""Train one recurrent cell on one memory task with a fixed budget of optimiser steps.

Every step draws a fresh batch from the task, so there is no epoch and no overfitting to a fixed
training set; the test set is drawn once, first, from the same seeded generator. The steps run on
the package's one training core (:func:`lstmlab.training.run_steps`), the model is the package's
one network (:class:`lstmlab.model.SequenceRegressor`) with the task's readout, and training uses
the layers' fast path (no gate recording).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from lstmlab.errors import ConfigError, TrainingError
from lstmlab.layers import layer_class
from lstmlab.memory.tasks import AddingTask, CopyTask, Scores, TaskBatch, get_task
from lstmlab.model import SequenceRegressor
from lstmlab.training import run_steps
from lstmlab.validation import require_int
from lstmlab.vocabulary import ProgressCallback

__all__ = [
    "MemoryConfig", "MemoryRun", "build_model", "describe_point", "evaluate", "learning_rate",
    "train_memory",
]


@dataclass(frozen=True)
class MemoryConfig:
    """Settings of one memory run; the same budget is given to every cell compared."""

    task: str = "adding"  # "adding" or "copy"
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    init: str | None = None  # "default", "forget_bias" or "chrono"; None: the cell's own
    t_max: float | None = None  # init="chrono" only; None: the task's sequence steps
    length: int = 100  # T: adding sequence length, or copy gap
    steps: int = 2000  # optimiser steps, one fresh batch each
    batch_size: int = 64
    learning_rate: float = 0.01  # Adam's peak rate, decayed by `learning_rate()`
    hidden_size: int = 64
    grad_clip: float = 1.0  # max global gradient norm
    eval_every: int = 100  # steps between test evaluations (learning-curve points)
    test_size: int = 1000  # test sequences, drawn once
    seed: int = 0
    stop_when_solved: bool = False  # end at the first test point that solves the task
    max_minutes: float = 0.0  # wall-clock cap, checked at test points; 0: none (reproducible)

    def __post_init__(self) -> None:
        get_task(self.task)  # raises ConfigError for an unknown task
        for name in ("length", "steps", "batch_size", "hidden_size", "eval_every", "test_size"):
            require_int(name, getattr(self, name))
        for name in ("learning_rate", "grad_clip"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"memory config field {name}={value!r}: use a number > 0")
        if not (isinstance(self.max_minutes, (int, float)) and self.max_minutes >= 0):
            raise ConfigError(f"memory config field max_minutes={self.max_minutes!r}: use a "
                              f"number >= 0 (0: no cap)")
        layer_class(self.cell).cell_class.check_init(**self.cell_options())

    def cell_options(self) -> dict[str, Any]:
        """``init`` and ``t_max`` for the cells; chrono's ``t_max`` defaults to the task's steps."""
        t_max = self.t_max
        if self.init == "chrono" and t_max is None:
            t_max = get_task(self.task).steps(self.length)  # the longest possible dependency
        return {"init": self.init, "t_max": t_max}

    @property
    def variant(self) -> str:
        """The cell and its initialisation as one name: ``lstm``, ``lstm-chrono``, ``gru``."""
        return self.cell if self.init is None else f"{self.cell}-{self.init}"

    @property
    def label(self) -> str:
        """The run's short name in progress reports, e.g. ``adding T=100 lstm-chrono``."""
        return f"{self.task} T={self.length} {self.variant}"


def build_model(config: MemoryConfig) -> SequenceRegressor:
    """The untrained model of ``config``, its weights drawn from ``config.seed``.

    A :class:`~lstmlab.model.SequenceRegressor` whose head reads what the task needs (the last
    step for the adding problem, every step for the copy task).
    """
    task = get_task(config.task)
    torch.manual_seed(config.seed)
    return SequenceRegressor(config.cell, task.input_size, config.hidden_size, task.output_size,
                             readout=task.readout, **config.cell_options())


@dataclass
class MemoryRun:
    """The outcome of `train_memory`: the trained model, its learning curve and test metrics."""

    config: MemoryConfig
    model: SequenceRegressor
    baseline: float  # the task's memoryless score at this length
    test: dict[str, float]  # final test metrics
    seconds: float  # wall-clock training time
    history: list[dict[str, float]] = field(default_factory=list)  # step, train_loss, test_loss
    stop_reason: str = "steps"  # "steps" (budget used), "solved" or "time" (max_minutes)
    steps_run: int = 0  # optimiser steps taken
    cpu_seconds: float = 0.0  # CPU time of this process while training: on a shared machine,
    # closer than the wall time to what the run takes alone (one thread)

    @property
    def task(self) -> AddingTask | CopyTask:
        """The task the model was trained on."""
        return get_task(self.config.task)

    def summary(self) -> dict[str, object]:
        """A JSON-ready record of the run (no weights)."""
        return {"config": asdict(self.config), "variant": self.config.variant,
                "baseline": self.baseline, "test": self.test, "solved": self.task.solved(self.test),
                "stop_reason": self.stop_reason, "steps_run": self.steps_run,
                "seconds": self.seconds, "cpu_seconds": self.cpu_seconds,
                "history": self.history}


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
def evaluate(model: nn.Module, task: Scores, data: TaskBatch) -> dict[str, float]:
    """The task's metrics of ``model`` on ``data``, in evaluation mode."""
    model.eval()
    return task.metrics(model(data.x), data.y)


class _LearningCurve:
    """The step callback of :func:`train_memory`: losses, test points, log lines."""

    def __init__(self, config: MemoryConfig, model: nn.Module, test_data: TaskBatch,
                 on_progress: ProgressCallback | None) -> None:
        self.config, self.model, self.test_data = config, model, test_data
        self.on_progress = on_progress
        self.task = get_task(config.task)
        self.history: list[dict[str, float]] = []
        self.losses: list[float] = []
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        self.stop_reason = "steps"

    def __call__(self, step: int, loss: Tensor, batch: TaskBatch) -> bool:
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(
                f"memory training loss became {value} at step {step}: lower --lr or the "
                f"sequence length"
            )
        self.losses.append(value)
        if step % self.config.eval_every and step != self.config.steps:
            return False
        test = evaluate(self.model, self.task, self.test_data)
        point = {"step": step, "train_loss": sum(self.losses) / len(self.losses),
                 "test_loss": test[self.task.metric], "seconds": time.perf_counter() - self.start,
                 "cpu_seconds": time.process_time() - self.cpu_start}
        self.history.append(point)
        self.losses.clear()
        if self.on_progress is not None:
            self.on_progress(self.config.label, point)
        if self.config.stop_when_solved and self.task.solved(test):
            self.stop_reason = "solved"
        elif self.config.max_minutes and point["seconds"] > 60 * self.config.max_minutes:
            self.stop_reason = "time"
        return self.stop_reason != "steps"


def describe_point(label: str, point: Mapping[str, float]) -> str:
    """One learning-curve point as a line: ``adding T=750 lstm step 400: train ..., test ...``."""
    return (f"{label} step {int(point['step'])}: train {point['train_loss']:.4g}, test "
            f"{point['test_loss']:.4g} ({point['seconds']:.0f}s wall, "
            f"{point['cpu_seconds']:.0f}s CPU)")


def train_memory(config: MemoryConfig, *,
                 on_progress: ProgressCallback | None = None) -> MemoryRun:
    """Train ``config.cell`` on ``config.task`` for ``config.steps`` steps and test it.

    The test set is drawn first from the seeded generator, then one fresh batch per step; the
    steps run on the shared core :func:`lstmlab.training.run_steps`. With
    ``config.stop_when_solved`` the run ends at the first test point that solves the task, with
    ``config.max_minutes`` at the first test point past that wall time (``stop_reason`` says
    which).
    ``on_progress`` receives ``(config.label, point)`` for each learning-curve point
    (:func:`describe_point` words one).
    """
    task = get_task(config.task)
    generator = torch.Generator().manual_seed(config.seed)
    test_data = task.batch(config.test_size, config.length, generator)
    model = build_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    curve = _LearningCurve(config, model, test_data, on_progress)
    batches = (task.batch(config.batch_size, config.length, generator)
               for _ in range(config.steps))
    steps = run_steps(model, optimizer, batches, loss_fn=task.loss, grad_clip=config.grad_clip,
                      schedule=lambda i: learning_rate(i, config.steps, config.learning_rate),
                      on_step=curve)
    seconds = time.perf_counter() - curve.start
    cpu_seconds = time.process_time() - curve.cpu_start
    return MemoryRun(config, model, task.baseline(config.length),
                     evaluate(model, task, test_data), seconds, curve.history, curve.stop_reason,
                     steps, cpu_seconds)
