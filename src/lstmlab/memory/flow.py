"""The flow of memory: record an LSTM's gates on one sequence, for the gate heatmaps.

Two sources: a model trained on the adding problem (where the gates should react at the two
marked steps), and an LSTM trained briefly on a stock's daily log returns, recorded over the
whole test period as one continuous sequence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lstmlab.errors import ConfigError
from lstmlab.layers import LSTM
from lstmlab.memory.tasks import AddingTask, TaskBatch
from lstmlab.memory.train import evaluate, learning_rate
from lstmlab.model import SequenceRegressor
from lstmlab.recording import record_gates
from lstmlab.training import run_steps

__all__ = [
    "GateFlow", "NextValueTask", "PriceModel", "adding_flow", "memory_correlations", "price_flow",
    "train_on_prices",
]

RECORDED = ("f_t", "i_t", "o_t", "c_t", "h_t")


@dataclass
class GateFlow:
    """Gates of one sequence, each (T, H), with what the chart needs to explain them."""

    gates: dict[str, np.ndarray]
    signal: np.ndarray  # (T,) the input drawn above the gates
    marks: list[int]  # time steps to mark (the adding problem's two markers)
    prediction: float  # the model's output at the last step
    target: float  # the true value
    order: np.ndarray | None = None  # units in the order to draw them; None: the chart's default
    correlation: np.ndarray | None = None  # (H,) adding problem: corr(c_T, target) per unit


def _record(model: SequenceRegressor, x: Tensor) -> tuple[dict[str, np.ndarray], float]:
    """Gates of the first (only) recurrent layer on one sequence ``x`` (1, T, I)."""
    if not isinstance(model.rnn, LSTM):
        raise ConfigError(f"gate heatmaps need an LSTM, got {type(model.rnn).__name__}")
    model.eval()
    with torch.no_grad(), record_gates(model) as trace:
        prediction = model(x)  # (1, 1)
    layer = trace.layers[0]
    return {name: layer[name][0].numpy() for name in RECORDED}, float(prediction[0, 0])


def adding_flow(model: SequenceRegressor, length: int, seed: int = 0) -> GateFlow:
    """Record a trained adding-problem LSTM on one fresh sequence of ``length`` steps."""
    x, y = AddingTask().batch(1, length, torch.Generator().manual_seed(seed))
    gates, prediction = _record(model, x)
    marks = torch.nonzero(x[0, :, 1]).flatten().tolist()
    corr = memory_correlations(model, length, seed + 1)
    order = np.argsort(-np.abs(corr))  # the units that hold the sum first
    return GateFlow(gates, x[0, :, 0].numpy(), marks, prediction, float(y[0, 0]), order, corr)


def memory_correlations(model: SequenceRegressor, length: int, seed: int = 1,
                        count: int = 512) -> np.ndarray:
    """Per unit (H,), the correlation between its final cell state ``c_T`` and the target.

    Measured over ``count`` fresh adding sequences; a unit that holds the sum scores near +-1,
    a unit whose ``c_T`` never changes scores 0.
    """
    x, y = AddingTask().batch(count, length, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        _, (_, c_n) = model.rnn(x)  # c_n (1, count, H)
    columns = np.column_stack([c_n[0].numpy(), y[:, 0].numpy()])  # (count, H + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(columns, rowvar=False)[-1, :-1]
    filled: np.ndarray = np.nan_to_num(corr)
    return filled


class NextValueTask:
    """Forecast the next (scaled) value from a window: read the last step, mean squared error."""

    name = "next value"
    output_size = 1
    readout = "last"
    metric = "mse"

    def __init__(self, input_size: int) -> None:
        self.input_size = input_size

    def loss(self, prediction: Tensor, y: Tensor) -> Tensor:
        """Mean squared error."""
        return ((prediction - y) ** 2).mean()

    def metrics(self, prediction: Tensor, y: Tensor) -> dict[str, float]:
        """``mse`` of the prediction and ``mse_zero`` of predicting 0 (the training mean)."""
        return {"mse": float(self.loss(prediction, y)), "mse_zero": float((y**2).mean())}


@dataclass
class PriceModel:
    """An LSTM trained on one-step-ahead scaled log returns, and its test scores."""

    model: SequenceRegressor
    prepared: Any  # lstmlab.data.Prepared
    dates: Any  # pandas.DatetimeIndex of the loaded price frame
    test: dict[str, float]  # mse and mse_zero on the test windows, in scaled units
    seconds: float


def train_on_prices(prices: Any, *, lookback: int = 60, hidden_size: int = 32, steps: int = 300,
                    batch_size: int = 64, lr: float = 0.003, seed: int = 0) -> PriceModel:
    """Train an LSTM briefly to forecast tomorrow's log return from ``lookback`` past ones.

    ``prices`` is anything :func:`lstmlab.data.load_prices` accepts; the split is the data
    package's default (70/15/15, chronological, scaler fitted on the training part).
    """
    from lstmlab.data import load_prices, prepare  # pandas: only when prices are used

    frame = load_prices(prices)
    prepared = prepare(frame, target="log_return", features=("log_return",), lookback=lookback)
    train = prepared.train
    task = NextValueTask(train.x.shape[2])
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SequenceRegressor("lstm", task.input_size, hidden_size, task.output_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rows = (torch.randint(0, train.x.shape[0], (batch_size,), generator=generator)
            for _ in range(steps))
    start = time.perf_counter()
    run_steps(model, optimizer, (TaskBatch(train.x[r], train.y[r]) for r in rows),
              loss_fn=task.loss, grad_clip=1.0, schedule=lambda i: learning_rate(i, steps, lr))
    seconds = time.perf_counter() - start
    test = evaluate(model, task, TaskBatch(prepared.test.x, prepared.test.y))
    return PriceModel(model, prepared, frame.index, test, seconds)


def price_flow(trained: PriceModel) -> tuple[GateFlow, list[str]]:
    """Record the model over the whole test period as one sequence; also returns its dates.

    Test windows end on consecutive rows (``origin``) and overlap by ``lookback - 1`` steps, so
    the first window followed by the last step of every later one is the continuous scaled
    input from row ``origin[0] - lookback + 1`` to ``origin[-1]``.
    """
    test = trained.prepared.test
    x = torch.cat([test.x[0], test.x[1:, -1]], dim=0)[None]  # (1, lookback + N - 1, F)
    gates, prediction = _record(trained.model, x)
    first = int(test.origin[0]) - trained.prepared.spec.lookback + 1
    dates = trained.dates[first : int(test.origin[-1]) + 1].strftime("%Y-%m-%d").tolist()
    return GateFlow(gates, x[0, :, 0].numpy(), [], prediction, float(test.y[-1, 0])), dates
