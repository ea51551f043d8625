"""``prepare``: from a price frame to scaled train / validation / test windows, leak-free.

The steps are the small pure functions of this package, in order: load and check
(:func:`load_prices`), causal features (:mod:`.features`), chronological split (:mod:`.split`),
targets (:mod:`.targets`), scalers fitted on the training part only (:mod:`.scale`), and strided
windows (:mod:`.windows`). Nothing a training sample sees depends on a value after its last
target row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch

from lstmlab.data.features import feature_matrix
from lstmlab.data.load import load_prices
from lstmlab.data.scale import SCALERS, Scaler, fit_scaler
from lstmlab.data.split import SPLITS, plan_split
from lstmlab.data.targets import check_target, future_prices, make_targets, targets_to_prices
from lstmlab.data.windows import Windows, window_view
from lstmlab.errors import ConfigError, DataError

__all__ = ["Prepared", "WindowSpec", "latest_window", "prepare"]


@dataclass(frozen=True, eq=False)
class Prepared:
    """Scaled windows per split plus what is needed to read model outputs back as prices.

    ``split_dates[name]`` is ``{"first": ..., "last": ...}``: ISO dates of the split's first and
    last target rows. ``warmup`` rows at the start feed no window (derived features undefined
    there). ``notes`` says what was done to the input (sorting, filling, warm-up, dropped
    boundary samples), for the CLI to show.
    """

    train: Windows
    val: Windows
    test: Windows
    scaler_x: Scaler
    scaler_y: Scaler
    features: list[str]
    split_dates: dict[str, dict[str, str]]
    target: str
    target_column: str
    lookback: int
    horizon: int
    warmup: int
    notes: list[str]

    def to_prices(self, y_scaled: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """``(N, h)`` prices from scaled model outputs ``(N, h)`` and last known prices ``(N,)``."""
        y = np.asarray(y_scaled, dtype=np.float64)
        last = np.asarray(last_price, dtype=np.float64).reshape(-1)
        if y.ndim == 1 and self.horizon == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape != (last.shape[0], self.horizon):
            raise DataError(f"to_prices needs y_scaled of shape (N, {self.horizon}) and "
                            f"last_price of shape (N,), got {y.shape} and {last.shape}")
        return targets_to_prices(self.target, self.scaler_y.inverse_transform(y), last)


class WindowSpec(Protocol):
    """What :func:`latest_window` needs: a :class:`Prepared` or anything with these fields."""

    features: Sequence[str]
    lookback: int
    target_column: str
    scaler_x: Scaler


def prepare(
    prices: Any, *, target_column: str = "close", target: str = "log_return", horizon: int = 1,
    lookback: int = 60, features: Sequence[str] = ("log_return",),
    split: Sequence[Any] = (0.7, 0.15, 0.15), scaler: str = "standard",
) -> Prepared:
    """Build leak-free scaled windows from ``prices`` (anything :func:`load_prices` accepts).

    ``split`` is three fractions of the target rows or two dates ``(val_start, test_start)``;
    ``target`` is one of ``price``, ``return``, ``log_return``, ``change`` (see
    :mod:`lstmlab.data.targets`); ``scaler`` is ``standard``, ``minmax`` or ``none``. To fill
    missing values, load with ``load_prices(source, fill=...)`` first and pass the frame.
    Window positions (``origin``) refer to the frame as :func:`load_prices` returns it.
    """
    frame = load_prices(prices)
    _check_settings(frame, target_column, target, horizon, lookback, scaler)
    matrix, warmup = feature_matrix(frame, features, target_column)  # (n, F)
    context = (f"lookback {lookback}, horizon {horizon} and {warmup} warm-up row(s) in "
               f"{frame.attrs['source']}")
    origins = plan_split(frame.index, split, first_target=warmup + lookback, horizon=horizon,
                         context=context)
    price = frame[target_column].to_numpy(dtype=np.float64)
    raw_y = {name: _raw_targets(target, price, origins[name], horizon) for name in SPLITS}
    train = origins["train"]
    scaler_x = fit_scaler(scaler, matrix[train.start - lookback + 1 : train.stop])
    scaler_y = fit_scaler(scaler, raw_y["train"])
    scaled_x = scaler_x.transform(matrix)  # (n, F), row by row: no mixing across time
    windows = {
        name: _windows(frame.index, price, scaled_x, scaler_y.transform(raw_y[name]),
                       origins[name], lookback, horizon)
        for name in SPLITS
    }
    return Prepared(
        **windows, scaler_x=scaler_x, scaler_y=scaler_y, features=list(_names(features)),
        split_dates={name: _date_span(frame.index, w, horizon) for name, w in windows.items()},
        target=target, target_column=target_column, lookback=int(lookback), horizon=int(horizon),
        warmup=warmup, notes=_notes(frame, features, warmup, horizon),
    )


def latest_window(prices: Any, prepared_like: WindowSpec) -> torch.Tensor:
    """``(1, lookback, F)`` float32 scaled window ending at the last row of ``prices``.

    Use it to forecast beyond the data, with the settings and training scaler of
    ``prepared_like`` (a :class:`Prepared`, or an object with the same four fields).
    """
    frame = load_prices(prices)
    spec = prepared_like
    matrix, warmup = feature_matrix(frame, spec.features, spec.target_column)
    n = len(frame)
    if n - warmup < spec.lookback:
        raise DataError(
            f"{frame.attrs['source']} has {n} rows; the latest window needs {spec.lookback} "
            f"rows after {warmup} warm-up row(s), so at least {spec.lookback + warmup}"
        )
    scaled = spec.scaler_x.transform(matrix)
    return window_view(scaled, range(n - 1, n), spec.lookback).contiguous()  # (1, L, F)


def _check_settings(
    frame: pd.DataFrame, target_column: str, target: str, horizon: int, lookback: int,
    scaler: str,
) -> None:
    for name, value in (("horizon", horizon), ("lookback", lookback)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}")
    check_target(target)
    if scaler not in SCALERS:
        raise ConfigError(f"unknown scaler {scaler!r}; choose one of {list(SCALERS)}")
    if target_column not in frame.columns:
        raise DataError(f"target column {target_column!r} is not in the prices from "
                        f"{frame.attrs['source']} (columns: {list(frame.columns)}); pick one")


def _raw_targets(target: str, price: np.ndarray, origins: range, horizon: int) -> np.ndarray:
    rows = np.arange(origins.start, origins.stop)
    return make_targets(target, price[rows], future_prices(price, rows, horizon))  # (N, h)


def _windows(
    index: pd.DatetimeIndex, price: np.ndarray, scaled_x: np.ndarray, y: np.ndarray,
    origins: range, lookback: int, horizon: int,
) -> Windows:
    rows = np.arange(origins.start, origins.stop, dtype=np.int64)
    return Windows(
        x=window_view(scaled_x, origins, lookback),  # (N, lookback, F)
        y=torch.from_numpy(y.astype(np.float32)),  # (N, h)
        dates=pd.DatetimeIndex(index[rows + 1], name="date"),
        last_price=price[rows],
        origin=rows,
        actual=future_prices(price, rows, horizon),  # (N, h)
    )


def _date_span(index: pd.DatetimeIndex, windows: Windows, horizon: int) -> dict[str, str]:
    last = index[windows.origin[-1] + horizon]
    return {"first": _iso(windows.dates[0]), "last": _iso(last)}


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()


def _names(features: Sequence[str]) -> tuple[str, ...]:
    return (features,) if isinstance(features, str) else tuple(features)


def _notes(frame: pd.DataFrame, features: Sequence[str], warmup: int, horizon: int) -> list[str]:
    notes = list(frame.attrs.get("notes", []))
    if warmup:
        notes.append(f"the first {warmup} row(s) feed no window: warm-up of the derived "
                     f"features in {list(_names(features))}")
    if horizon > 1:
        notes.append(f"{horizon - 1} sample(s) at each split boundary are left out so that no "
                     "price is a target in two splits")
    return notes
