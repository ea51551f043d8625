"""Forecasting past the last price: recursive point paths and sampled paths of a distribution head.

A model predicts ``horizon`` steps from a window. Beyond that a forecast is recursive: the
predicted prices are appended to the series as if observed (open, high and low set to the
forecast close, volume held at its last value) and the model is applied again. A distribution
head can do better than feed back its mean: :func:`sample_paths` draws each next price from the
predicted one-step distribution and feeds the draw back, path by path (ancestral sampling, as
DeepAR does), so the spread of many paths shows how uncertainty compounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from lstmlab.data import WindowSpec, latest_window
from lstmlab.data.features import VOLUME_WINDOW
from lstmlab.data.targets import targets_to_prices
from lstmlab.intervals import head_of, model_outputs, point_prices

__all__ = ["extend_frame", "point_path", "sample_paths"]

_TAIL = VOLUME_WINDOW + 5  # rows kept before a window: more than any feature's warm-up


def extend_frame(frame: pd.DataFrame, block: np.ndarray) -> pd.DataFrame:
    """``frame`` with the forecast prices ``block`` appended as the next business days."""
    dates = pd.bdate_range(frame.index[-1], periods=len(block) + 1)[1:]
    extra = pd.DataFrame(index=pd.DatetimeIndex(dates, name=frame.index.name),
                         columns=frame.columns, dtype=np.float64)
    for column in frame.columns:
        extra[column] = block if column != "volume" else float(frame[column].iloc[-1])
    return pd.concat([frame, extra])


def point_path(model: nn.Module, spec: WindowSpec, frame: pd.DataFrame, steps: int
               ) -> np.ndarray:
    """``(steps,)`` point forecasts: direct for the first ``horizon``, then recursive."""
    path: list[float] = []
    while len(path) < steps:
        last = frame[spec.target_column].to_numpy(dtype=np.float64)[-1:]  # (1,)
        outputs = model_outputs(model, latest_window(frame, spec))
        block = point_prices(model, outputs, spec, last)[0]  # (h,)
        path.extend(block.tolist())
        frame = extend_frame(frame, block)
    return np.asarray(path[:steps])


def sample_paths(
    model: nn.Module, spec: WindowSpec, frame: pd.DataFrame, steps: int, n: int, seed: int,
) -> np.ndarray:
    """``(n, steps)`` price paths, each step drawn from the model's one-step distribution.

    Needs a distribution head; the same ``seed`` gives the same paths.
    """
    head = head_of(model)
    if head is None:
        raise ValueError("sample paths need a distribution head; a point model has no spread")
    generator = torch.Generator().manual_seed(seed)
    tails = [frame.iloc[-(spec.lookback + _TAIL):]] * n
    offset, scale = spec.scaler_y.offset[0], spec.scaler_y.scale[0]  # step-1 target scaler
    paths = np.empty((n, steps))
    for k in range(steps):
        x = torch.cat([latest_window(tail, spec) for tail in tails])  # (n, L, F)
        params = model_outputs(model, x)[:, :1]  # (n, 1, P): the one-step distribution
        draw = head.sample(params, 1, generator)[0].double().numpy()  # (n, 1) scaled
        last = np.array([tail[spec.target_column].iloc[-1] for tail in tails])  # (n,)
        paths[:, k] = targets_to_prices(spec.target, draw * scale + offset, last)[:, 0]
        tails = [extend_frame(tail, paths[i, k : k + 1]) for i, tail in enumerate(tails)]
    return paths
