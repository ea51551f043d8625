"""One input sequence walked through a trained recurrent model: what the explorer page shows.

A :class:`Walk` holds the recorded gates of every stacked layer (the tensors of
:func:`lstmlab.record_gates`, from the equation path), the inputs in their own units, the
model's output next to a naive one, and the integrated-gradients attribution of that output.
:func:`forecast_walk` builds one from a forecasting run's saved model and an input window.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import torch

from lstmlab.errors import ConfigError
from lstmlab.explain.attribution import Attribution, integrated_gradients
from lstmlab.recording import record_gates
from lstmlab.vocabulary import display_name

if TYPE_CHECKING:
    import pandas as pd
    from torch import Tensor, nn

    from lstmlab.forecaster import Forecaster

__all__ = ["Outcome", "Walk", "forecast_walk", "record_sequence"]


@dataclass(frozen=True)
class Outcome:
    """The model's output for the walked sequence, with the naive answer beside it."""

    what: str  # what is predicted, e.g. "close on 2023-12-29"
    model: float
    naive: float
    naive_name: str  # how the naive answer is made
    actual: float | None  # the true value, when known


@dataclass(frozen=True)
class Walk:
    """A sequence, every gate recorded on it, the model's outcome and its attribution."""

    cell: str  # "rnn", "lstm" or "gru"
    title: str
    subtitle: str
    labels: list[str]  # (T,) a name per step: dates, or "t = k"
    feature_names: list[str]  # (F,)
    inputs: np.ndarray  # (T, F) the inputs in their own units (before scaling)
    marks: list[int]  # steps to mark on the input chart (the adding problem's markers)
    layers: list[dict[str, np.ndarray]]  # per stacked layer, each recorded gate (T, H)
    outcome: Outcome
    attribution: Attribution
    report_link: str | None = None  # relative link to the run's report.html


def record_sequence(model: nn.Module, x: Tensor) -> list[dict[str, np.ndarray]]:
    """Every gate of every stacked recurrent layer of ``model`` on one sequence ``x (1, T, F)``.

    Returns one dict per stacked layer, each gate ``(T, H)``, exactly as
    :func:`lstmlab.record_gates` records it (the equation path).
    """
    model.eval()
    with torch.no_grad(), record_gates(model) as trace:
        model(x)
    return [{name: gate[0].numpy() for name, gate in layer.items()} for layer in trace.layers]


def _window_row(windows_origin: np.ndarray, index: pd.DatetimeIndex,
                date: str | None) -> int:
    """Position, in ``windows_origin``, of the window whose last step falls on ``date``."""
    import pandas as pd

    if date is None:
        return len(windows_origin) - 1
    try:
        day = pd.Timestamp(date)
    except ValueError:
        raise ConfigError(f"--window {date!r} is not a date; write it as YYYY-MM-DD") from None
    ends = index[windows_origin]
    found = np.flatnonzero(ends == day)
    if len(found) == 0:
        raise ConfigError(
            f"--window {date}: no input window ends on that day; pick a trading day from "
            f"{ends[0]:%Y-%m-%d} to {ends[-1]:%Y-%m-%d} (windows need a known next price)"
        )
    return int(found[0])


def forecast_walk(forecaster: Forecaster, prices: pd.DataFrame, date: str | None = None, *,
                  source: str = "", covariates: Mapping[str, pd.DataFrame] | None = None
                  ) -> Walk:
    """Walk a forecasting model through the input window ending on ``date``.

    The default ``date`` is the last test origin (the last window whose next price is known).
    ``covariates``: the price frames of the model's past covariates, when it has any. The
    attribution baseline is the zero-return input: every input column in its own units set to
    what flat prices would give (see :func:`zero_return_inputs`).
    """
    from lstmlab.data import windows_for

    spec, cell = forecaster.spec_, forecaster.config.cell
    windows = windows_for(prices, spec, covariates)
    row = _window_row(windows.origin, cast("pd.DatetimeIndex", prices.index), date)
    x = windows.x[row : row + 1].contiguous()  # (1, L, F)
    inputs = spec.scaler_x.inverse_transform(x[0].double().numpy())  # (L, F)
    origin = int(windows.origin[row])
    labels = [f"{d:%Y-%m-%d}" for d in prices.index[origin - spec.lookback + 1 : origin + 1]]
    model = forecaster.model_.cpu().eval()
    with torch.no_grad():
        scaled = model(x).double().numpy()  # (1, h)
    predicted = spec.to_prices(scaled, windows.last_price[row : row + 1])[0, 0]
    baseline = torch.from_numpy(spec.scaler_x.transform(
        zero_return_inputs(list(spec.inputs), inputs))).float()[None]  # (1, L, F)
    scale, offset = float(spec.scaler_y.scale[0]), float(spec.scaler_y.offset[0])
    precise = copy.deepcopy(model).double()  # float64 for the attribution's quadrature
    attribution = integrated_gradients(
        lambda batch: precise(batch)[:, 0] * scale + offset, x, baseline,  # (B,) target units
        units=spec.target.replace("_", " "), baseline_name="zero-return input")
    name = f"{spec.target_column} on {windows.dates[row]:%Y-%m-%d}"
    outcome = Outcome(name, float(predicted), float(windows.last_price[row]),
                      "tomorrow = today", float(windows.actual[row, 0]))
    title = f"Flow of the memory: {display_name(cell)} on {source or 'the data'}"
    subtitle = (f"input window {labels[0]} to {labels[-1]} ({spec.lookback} trading days), "
                f"forecasting the {name}")
    return Walk(cell, title, subtitle, labels, list(spec.inputs), inputs, [],
                record_sequence(model, x), outcome, attribution, "report.html")


_MOVES = {"log_return", "range", "volume_z"}  # 0 when prices and volume stay flat
_LEVELS = {"open", "high", "low", "close", "adj_close", "volume"}  # held at the last value


def zero_return_inputs(names: list[str], inputs: np.ndarray) -> np.ndarray:
    """The inputs ``(T, F)`` of a window in which no price moves, in their own units.

    ``names`` are the input columns (``WindowSpec.inputs``; a covariate's are
    ``TICKER:feature``). Returns, ranges and volume z-scores are 0; a raw price or volume
    column stays at its value on the window's last day; calendar facts, known in advance and
    not moved by prices, keep their values.
    """
    flat = np.array(inputs, dtype=np.float64)  # (T, F)
    for column, name in enumerate(names):
        feature = name.rsplit(":", 1)[-1]
        if feature in _MOVES:
            flat[:, column] = 0.0
        elif feature in _LEVELS:
            flat[:, column] = inputs[-1, column]
    return flat
