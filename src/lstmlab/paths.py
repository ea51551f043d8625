"""Forecasting past the last price: recursive point paths and sampled paths of a distribution head.

A model predicts ``horizon`` steps from a window. Beyond that a forecast is recursive: the
predicted prices are appended to the series as if observed (open, high and low set to the
forecast close, volume held at its last value) and the model is applied again. A distribution
head can do better than feed back its mean: :func:`sample_paths` draws each next price from the
predicted one-step distribution and feeds the draw back, path by path (ancestral sampling, as
DeepAR does), so the spread of many paths shows how uncertainty compounds.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from lstmlab.data import WindowSpec, latest_window
from lstmlab.data.features import VOLUME_WINDOW, feature_matrix
from lstmlab.data.targets import targets_to_prices
from lstmlab.intervals import head_of, model_outputs, point_prices

__all__ = ["extend_frame", "point_path", "sample_paths"]

_TAIL = VOLUME_WINDOW + 5  # rows kept before a window: more than any feature's warm-up


def extend_frame(frame: pd.DataFrame, block: np.ndarray, dates: pd.DatetimeIndex
                 ) -> pd.DataFrame:
    """``frame`` with the forecast prices ``block`` appended on ``dates``."""
    extra = pd.DataFrame(index=pd.DatetimeIndex(dates, name=frame.index.name),
                         columns=frame.columns, dtype=np.float64)
    for column in frame.columns:
        extra[column] = block if column != "volume" else float(frame[column].iloc[-1])
    extended = pd.concat([frame, extra])
    extended.attrs = frame.attrs  # still the checked frame: no need to load it again
    return extended


def point_path(model: nn.Module, spec: WindowSpec, frame: pd.DataFrame,
               dates: pd.DatetimeIndex, covariates: Mapping[str, pd.DataFrame] | None = None,
               ) -> np.ndarray:
    """Point forecasts on the future ``dates``: direct for the first ``horizon``, then recursive.

    Returns ``(len(dates) // horizon * horizon,)`` values (whole blocks; pass ``horizon - 1``
    dates more than the steps wanted). ``covariates``: the frames of the spec's past covariates.
    """
    path: list[float] = []
    while len(path) + spec.horizon <= len(dates):
        last = frame[spec.target_column].to_numpy(dtype=np.float64)[-1:]  # (1,)
        outputs = model_outputs(model, latest_window(frame, spec, covariates))
        block = point_prices(model, outputs, spec, last)[0]  # (h,)
        frame = extend_frame(frame, block, dates[len(path) : len(path) + len(block)])
        path.extend(block.tolist())
    return np.asarray(path)


def sample_paths(
    model: nn.Module, spec: WindowSpec, frame: pd.DataFrame, dates: pd.DatetimeIndex, n: int,
    seed: int, known: Mapping[str, pd.DataFrame] | None = None,
) -> np.ndarray:
    """``(n, len(dates))`` price paths on the future ``dates``, each step drawn from the model's
    one-step distribution. Needs a distribution head and no past covariates (their future is
    unknown); ``known`` holds the spec's known tables. The same ``seed`` gives the same paths.
    """
    head = head_of(model)
    if head is None:
        raise ValueError("sample paths need a distribution head; a point model has no spread")
    if spec.covariates:
        raise ValueError("a model with past covariates cannot run past its horizon")
    generator = torch.Generator().manual_seed(seed)
    tail = frame.iloc[-(spec.lookback + _TAIL):]
    offset, scale = spec.scaler_y.offset[0], spec.scaler_y.scale[0]  # step-1 target scaler
    paths = np.empty((n, len(dates)))
    last = np.full(n, float(tail[spec.target_column].iloc[-1]))  # (n,)
    for k in range(len(dates)):
        x = _path_windows(tail, paths[:, :k], spec, dates[:k], known)  # (n, L, F)
        params = model_outputs(model, x)[:, :1]  # (n, 1, P): the one-step distribution
        draw = head.sample(params, 1, generator)[0].double().numpy()  # (n, 1) scaled
        paths[:, k] = targets_to_prices(spec.target, draw * scale + offset, last)[:, 0]
        last = paths[:, k]
    return paths


def _path_windows(tail: pd.DataFrame, paths: np.ndarray, spec: WindowSpec,
                  dates: pd.DatetimeIndex, known: Mapping[str, pd.DataFrame] | None = None,
                  ) -> torch.Tensor:
    """Windows ``(n, L, F)`` ending after each path, as if each were appended on ``dates`` with
    :func:`extend_frame` and read by :func:`lstmlab.data.latest_window`, in one pass.

    The ``n`` extended tails are stacked into one frame: a tail's first rows then see the row
    before them, another path's last one, but only within the warm-up that :data:`_TAIL` keeps
    out of every window. Calendar facts and known tables depend on the dates alone, so they are
    read once.
    """
    n, k = paths.shape
    base = tail.to_numpy(dtype=np.float64)  # (R, C)
    extra = np.empty((n, k, base.shape[1]))
    for j, column in enumerate(tail.columns):
        extra[..., j] = base[-1, j] if column == "volume" else paths
    rows = base.shape[0] + k
    stacked = np.concatenate([np.broadcast_to(base, (n, *base.shape)), extra], axis=1)
    frame = pd.DataFrame(stacked.reshape(n * rows, -1), columns=tail.columns)
    own, _ = feature_matrix(frame, spec.features, spec.target_column)  # (n * rows, F_own)
    width = own.shape[1]
    scaled = (own - spec.scaler_x.offset[:width]) / spec.scaler_x.scale[:width]
    windows = scaled.reshape(n, rows, width)[:, -spec.lookback:]  # (n, L, F_own)
    if spec.calendar or spec.known:  # the same future days for every path: take the first's
        first = latest_window(extend_frame(tail, paths[0], dates), spec,
                              known)[0].numpy()  # (L, F)
        ahead = np.broadcast_to(first[:, width:], (n, *first[:, width:].shape))
        windows = np.concatenate([windows, ahead], axis=-1)
    return torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
