"""Synthetic long-memory tasks: the adding problem and the copy-memory task.

Both generate batches on the fly from a :class:`torch.Generator`, so a seed fixes every sequence.

* Adding problem (Hochreiter & Schmidhuber 1997, "Long short-term memory", experiment 4): each step
  carries a value uniform in [0, 1] and a marker; exactly two markers are 1, one in each half of the
  sequence, and the target is the sum of the two marked values. Predicting the mean, 1.0, always
  scores MSE 1/6 (the variance of a sum of two uniforms), the baseline a model must beat.
* Copy memory (Arjovsky, Shah & Bengio 2016, "Unitary evolution recurrent neural networks"): ten
  symbols from an alphabet of eight, then ``T - 1`` blanks and a delimiter, then ten more blanks
  during which the model must write the ten symbols back; ``T + 20`` steps in all. A memoryless
  model that outputs blanks and then guesses uniformly scores cross-entropy ``10 ln 8 / (T + 20)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

from lstmlab.errors import ConfigError
from lstmlab.training import TensorSplit
from lstmlab.validation import require_int

if TYPE_CHECKING:
    from torch import Generator, Tensor

__all__ = ["TASKS", "AddingTask", "CopyTask", "Scores", "Task", "TaskBatch", "get_task"]

COPY_SYMBOLS = 10  # symbols to remember
COPY_ALPHABET = 8  # symbols are classes 1..8
COPY_BLANK = 0
COPY_DELIMITER = COPY_ALPHABET + 1  # class 9
COPY_CLASSES = COPY_ALPHABET + 2  # blank, 8 symbols, delimiter


TaskBatch = TensorSplit  # one batch of a task: inputs x (B, steps, input_size), targets y


class Scores(Protocol):
    """What scoring a model needs from a task (:func:`lstmlab.memory.train.evaluate`)."""

    def metrics(self, prediction: Tensor, y: Tensor) -> dict[str, float]:
        """Test metrics by name."""
        ...


class Task(Scores, Protocol):
    """What a model and its trainer need from a task: sizes, the readout, loss and metrics."""

    name: str
    input_size: int
    output_size: int
    readout: str  # the SequenceRegressor readout: "last" step or "all" steps
    metric: str  # the key of `metrics` compared with the baseline

    def steps(self, length: int) -> int:
        """Time steps of one sequence of the task at ``length``."""
        ...

    def solved(self, metrics: dict[str, float]) -> bool:
        """Whether test ``metrics`` count as solving the task."""
        ...

    def loss(self, prediction: Tensor, y: Tensor) -> Tensor:
        """The training loss, a scalar."""
        ...


def _check_length(length: int, minimum: int) -> None:
    require_int("sequence length", length, minimum=minimum)


class AddingTask:
    """The adding problem: regress the sum of the two marked values of a length-T sequence."""

    name = "adding"
    input_size = 2  # value, marker
    output_size = 1
    min_length = 2
    readout = "last"  # the head reads the last step, (B, H)
    metric = "mse"  # the test metric compared with the baseline
    solved_below = 0.01  # test MSE that counts as solved (6% of the baseline)

    def batch(self, batch_size: int, length: int, generator: Generator) -> TaskBatch:
        """Draw ``batch_size`` sequences of ``length`` steps; ``y`` is (B, 1)."""
        import torch

        _check_length(length, self.min_length)
        half = length // 2
        values = torch.rand(batch_size, length, generator=generator)  # (B, T)
        first = torch.randint(0, half, (batch_size,), generator=generator)
        second = torch.randint(half, length, (batch_size,), generator=generator)
        markers = torch.zeros(batch_size, length)  # (B, T)
        rows = torch.arange(batch_size)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        x = torch.stack([values, markers], dim=-1)  # (B, T, 2)
        y = (values * markers).sum(dim=1, keepdim=True)  # (B, 1)
        return TaskBatch(x, y)

    def loss(self, prediction: Tensor, y: Tensor) -> Tensor:
        """Mean squared error between the (B, 1) prediction and the target."""
        return ((prediction - y) ** 2).mean()

    def metrics(self, prediction: Tensor, y: Tensor) -> dict[str, float]:
        """Test metrics: ``mse``."""
        return {"mse": float(self.loss(prediction, y))}

    def steps(self, length: int) -> int:
        """``length`` steps."""
        return length

    def baseline(self, length: int) -> float:
        """MSE of always predicting 1.0, the mean target: Var(U1 + U2) = 1/6."""
        return 1.0 / 6.0

    def solved(self, metrics: dict[str, float]) -> bool:
        """Test MSE below :attr:`solved_below`."""
        return metrics["mse"] < self.solved_below


class CopyTask:
    """Copy memory: reproduce ten symbols after a gap of T steps (T + 20 steps in all)."""

    name = "copy"
    input_size = COPY_CLASSES  # one-hot
    output_size = COPY_CLASSES  # logits
    min_length = 1
    readout = "all"  # the head reads every step, (B, T + 20, H)
    metric = "cross_entropy"  # the test metric compared with the baseline
    solved_from = 0.99  # accuracy on the recalled symbols that counts as solved

    def batch(self, batch_size: int, length: int, generator: Generator) -> TaskBatch:
        """Draw sequences of ``length + 20`` steps; ``y`` holds class indices (B, length + 20)."""
        import torch

        _check_length(length, self.min_length)
        steps = self.steps(length)
        symbols = torch.randint(
            1, COPY_ALPHABET + 1, (batch_size, COPY_SYMBOLS), generator=generator
        )  # (B, 10)
        tokens = torch.full((batch_size, steps), COPY_BLANK, dtype=torch.long)  # (B, T + 20)
        tokens[:, :COPY_SYMBOLS] = symbols
        tokens[:, COPY_SYMBOLS + length - 1] = COPY_DELIMITER
        y = torch.full((batch_size, steps), COPY_BLANK, dtype=torch.long)  # (B, T + 20)
        y[:, -COPY_SYMBOLS:] = symbols
        x = torch.nn.functional.one_hot(tokens, COPY_CLASSES).float()  # (B, T + 20, 10)
        return TaskBatch(x, y)

    def loss(self, prediction: Tensor, y: Tensor) -> Tensor:
        """Training loss: mean cross-entropy of the ten recalled symbols plus that of the blanks.

        Averaged over all ``T + 20`` steps instead (Arjovsky et al.'s loss, kept as the test
        metric), the recalled symbols would weigh only ``10 / (T + 20)`` of the loss (8% at
        T = 100); in our runs the LSTM then stayed on the memoryless baseline where this loss,
        which weighs the recall as much as the blanks, taught it (see ``docs/memory.md``).
        """
        import torch.nn.functional as F

        logits = prediction.transpose(1, 2)  # (B, classes, T + 20)
        recall = F.cross_entropy(logits[..., -COPY_SYMBOLS:], y[:, -COPY_SYMBOLS:])
        blanks = F.cross_entropy(logits[..., :-COPY_SYMBOLS], y[:, :-COPY_SYMBOLS])
        return recall + blanks

    def metrics(self, prediction: Tensor, y: Tensor) -> dict[str, float]:
        """``cross_entropy`` over all steps (as the baseline) and ``accuracy`` of the recall."""
        import torch.nn.functional as F

        recalled = prediction[:, -COPY_SYMBOLS:].argmax(dim=-1)  # (B, 10)
        accuracy = (recalled == y[:, -COPY_SYMBOLS:]).float().mean()
        every_step = F.cross_entropy(prediction.transpose(1, 2), y)
        return {"cross_entropy": float(every_step), "accuracy": float(accuracy)}

    def steps(self, length: int) -> int:
        """``length + 20`` steps: ten symbols, the gap, ten recalled symbols."""
        return length + 2 * COPY_SYMBOLS

    def baseline(self, length: int) -> float:
        """Cross-entropy of a memoryless model: blanks, then a uniform guess among 8 symbols."""
        return COPY_SYMBOLS * math.log(COPY_ALPHABET) / (length + 2 * COPY_SYMBOLS)

    def solved(self, metrics: dict[str, float]) -> bool:
        """Accuracy on the recalled symbols at least :attr:`solved_from`."""
        return metrics["accuracy"] >= self.solved_from


TASKS: dict[str, type[AddingTask] | type[CopyTask]] = {"adding": AddingTask, "copy": CopyTask}


def get_task(name: str) -> AddingTask | CopyTask:
    """The task called ``name`` (``adding`` or ``copy``); anything else raises ConfigError."""
    task = TASKS.get(name)
    if task is None:
        raise ConfigError(f"unknown memory task {name!r}: choose one of {', '.join(TASKS)}")
    return task()
