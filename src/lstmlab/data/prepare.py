"""``prepare``: from a price frame to scaled train / validation / test windows, leak-free.

The steps are the small pure functions of this package, in order: load and check
(:func:`load_prices`), causal features (:mod:`.features`), chronological split (:mod:`.split`),
targets (:mod:`.targets`), scalers fitted on the training part only (:mod:`.scale`), and strided
windows (:mod:`.windows`). Nothing a training sample sees depends on a value after its last
target row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import torch

from lstmlab.data.covariates import MAX_FILL, Covariate, with_frames
from lstmlab.data.inputs import input_matrix, input_names
from lstmlab.data.load import as_prices
from lstmlab.data.scale import SCALERS, Scaler, fit_scaler
from lstmlab.data.split import SPLITS, plan_split
from lstmlab.data.targets import check_target, future_prices, make_targets, targets_to_prices
from lstmlab.data.windows import Windows, window_view
from lstmlab.errors import ConfigError, DataError
from lstmlab.validation import require_int

__all__ = ["Prepared", "WindowSpec", "latest_window", "prepare", "windows_for"]


@dataclass(frozen=True, eq=False)
class WindowSpec:
    """How windows are built and model outputs read back: everything but the data itself.

    A fitted model keeps this (it serialises to plain JSON with :meth:`to_dict`) to build windows
    from new prices with the training scalers and to turn its outputs into prices.
    ``covariates`` are the ``(name, features)`` of its past covariates (their prices are passed
    with the data), ``calendar`` the exchange whose calendar facts of the forecast days it reads
    (None: none), ``known`` the ``(source, columns)`` of its known tables (passed with the
    data like the covariates' prices) and ``known_calendar`` the exchange whose sessions date
    their values (None without known tables); :attr:`inputs` names every input column.
    """

    features: tuple[str, ...]
    lookback: int
    horizon: int
    target: str
    target_column: str
    scaler_x: Scaler
    scaler_y: Scaler
    covariates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    calendar: str | None = None
    max_fill: int = MAX_FILL
    # yardsticks from the training prices: the mean one-step log return (the mean-return
    # baseline's growth rate) and the in-sample naive MAE (the MASE scale); NaN when unknown
    mean_return: float = math.nan
    naive_scale: float = math.nan
    known: tuple[tuple[str, tuple[str, ...]], ...] = ()
    known_calendar: str | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the input columns: own features, covariate features, calendar facts, known
        columns."""
        return input_names(self.features, self.covariates, self.calendar, self.horizon,
                           self.known)

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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (scalers as :meth:`Scaler.to_dict`)."""
        return {
            "features": list(self.features), "lookback": self.lookback, "horizon": self.horizon,
            "target": self.target, "target_column": self.target_column,
            "scaler_x": self.scaler_x.to_dict(), "scaler_y": self.scaler_y.to_dict(),
            "covariates": [[name, list(wanted)] for name, wanted in self.covariates],
            "calendar": self.calendar, "max_fill": self.max_fill,
            "mean_return": self.mean_return, "naive_scale": self.naive_scale,
            "known": [[name, list(wanted)] for name, wanted in self.known],
            "known_calendar": self.known_calendar,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowSpec:
        """Rebuild a spec written by :meth:`to_dict`; a malformed dict raises DataError."""
        try:
            spec = cls(
                features=tuple(data["features"]), lookback=int(data["lookback"]),
                horizon=int(data["horizon"]), target=check_target(data["target"]),
                target_column=str(data["target_column"]),
                scaler_x=Scaler.from_dict(data["scaler_x"]),
                scaler_y=Scaler.from_dict(data["scaler_y"]),
                covariates=_pairs(data.get("covariates", [])),
                calendar=None if data.get("calendar") is None else str(data["calendar"]),
                max_fill=int(data.get("max_fill", MAX_FILL)),
                # files from lstmlab 0.1 lack them
                mean_return=float(data.get("mean_return", math.nan)),
                naive_scale=float(data.get("naive_scale", math.nan)),
                known=_pairs(data.get("known", [])),
                known_calendar=(None if data.get("known_calendar") is None
                                else str(data["known_calendar"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"malformed window spec: {exc!r}; expected the keys written by "
                            "WindowSpec.to_dict()") from None
        if spec.scaler_x.offset.shape[0] != len(spec.inputs) or spec.scaler_y.offset.shape[
            0
        ] != spec.horizon:
            raise DataError("malformed window spec: scaler sizes do not match the inputs "
                            f"({len(spec.inputs)}) and horizon ({spec.horizon})")
        return spec


def _pairs(data: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[[name, [column, ...]], ...]`` from JSON as tuples of strings."""
    return tuple((str(name), tuple(map(str, wanted))) for name, wanted in data)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Scaled windows per split plus what is needed to read model outputs back as prices.

    ``spec`` holds the settings and the scalers fitted on the training part.
    ``split_dates[name]`` is ``{"first": ..., "last": ...}``: ISO dates of the split's first and
    last target rows. ``warmup`` rows at the start feed no window (derived features undefined
    there). ``notes`` says what was done to the input (sorting, filling, warm-up, dropped
    boundary samples), for the CLI to show.
    """

    train: Windows
    val: Windows
    test: Windows
    spec: WindowSpec
    split_dates: dict[str, dict[str, str]]
    warmup: int
    notes: list[str]

    @property
    def features(self) -> list[str]:
        """Names of the input columns, in order (see :attr:`WindowSpec.inputs`)."""
        return list(self.spec.inputs)

    @property
    def scaler_x(self) -> Scaler:
        """Feature scaler fitted on the training part."""
        return self.spec.scaler_x

    @property
    def scaler_y(self) -> Scaler:
        """Target scaler fitted on the training part."""
        return self.spec.scaler_y

    def to_prices(self, y_scaled: np.ndarray, last_price: np.ndarray) -> np.ndarray:
        """``(N, h)`` prices from scaled model outputs; see :meth:`WindowSpec.to_prices`."""
        return self.spec.to_prices(y_scaled, last_price)


def prepare(
    prices: pd.DataFrame, *, target_column: str = "close", target: str = "log_return",
    horizon: int = 1, lookback: int = 60, features: Sequence[str] = ("log_return",),
    split: Sequence[Any] = (0.7, 0.15, 0.15), scaler: str = "standard",
    fitted: WindowSpec | None = None, covariates: Sequence[Covariate] = (),
    calendar: str | None = None, max_fill: int = MAX_FILL, known: Sequence[Covariate] = (),
    known_calendar: str | None = None,
) -> Prepared:
    """Build leak-free scaled windows from ``prices``, a frame from :func:`load_prices`.

    ``split`` is three fractions of the target rows or two dates ``(val_start, test_start)``;
    ``target`` is one of ``price``, ``return``, ``log_return``, ``change`` (see
    :mod:`lstmlab.data.targets`); ``scaler`` is ``standard``, ``minmax`` or ``none``. To fill
    missing values, load with ``load_prices(source, fill=...)`` first and pass the frame.
    Window positions (``origin``) refer to the frame as :func:`load_prices` returns it.
    ``fitted`` (the ``spec`` of an earlier ``prepare``) reuses its scalers instead of fitting
    new ones, so that a trained model sees new data scaled exactly as its training data.
    ``covariates`` (past covariates, aligned on the frame's days with at most ``max_fill``
    forward-filled days in a row) and ``calendar`` (an exchange whose calendar facts of the
    forecast days are inputs) add columns, and so do ``known`` (known tables: their columns
    on the forecast days, the sessions of ``known_calendar``); see :mod:`lstmlab.data.inputs`.
    """
    frame = as_prices(prices, caller="prepare")
    _check_settings(frame, target_column, target, horizon, lookback, scaler)
    matrix, warmup, input_notes = input_matrix(
        frame, _names(features), target_column, covariates=covariates, calendar=calendar,
        horizon=horizon, max_fill=max_fill, known=known,
        known_calendar=known_calendar)  # (n, F)
    context = (f"lookback {lookback}, horizon {horizon} and {warmup} warm-up row(s) in "
               f"{frame.attrs['source']}")
    origins = plan_split(_dates(frame), split, first_target=warmup + lookback, horizon=horizon,
                         context=context)
    price = frame[target_column].to_numpy(dtype=np.float64)
    raw_y = {name: _raw_targets(target, price, origins[name], horizon) for name in SPLITS}
    train = origins["train"]
    if fitted is None:
        scaler_x = fit_scaler(scaler, matrix[train.start - lookback + 1 : train.stop])
        scaler_y = fit_scaler(scaler, raw_y["train"])
        yardsticks = _training_yardsticks(price[: train.stop + horizon])  # up to the last target
    else:
        scaler_x, scaler_y = fitted.scaler_x, fitted.scaler_y
        yardsticks = (fitted.mean_return, fitted.naive_scale)
    spec = WindowSpec(tuple(_names(features)), int(lookback), int(horizon), target,
                      target_column, scaler_x, scaler_y,
                      _pairs((c.name, c.features) for c in covariates), calendar, max_fill,
                      *yardsticks, _pairs((k.name, k.features) for k in known),
                      known_calendar if known else None)
    scaled_x = scaler_x.transform(matrix)  # (n, F), row by row: no mixing across time
    windows = {
        name: _windows(_dates(frame), price, scaled_x, scaler_y.transform(raw_y[name]),
                       origins[name], lookback, horizon)
        for name in SPLITS
    }
    return Prepared(
        **windows, spec=spec,
        split_dates={name: _date_span(_dates(frame), w, horizon) for name, w in windows.items()},
        warmup=warmup, notes=[*_notes(frame, features, warmup, horizon), *input_notes],
    )


def _training_yardsticks(train: np.ndarray) -> tuple[float, float]:
    """The mean one-step log return and the naive MAE of the training prices ``train``.

    With a price at or below zero log returns are undefined and the mean return is taken as 0
    (the mean-return baseline is then the naive forecast).
    """
    from lstmlab.baselines import mean_log_return
    from lstmlab.metrics import naive_mae

    return (mean_log_return(train, train.size - 1) if np.all(train > 0) else 0.0), naive_mae(train)


def _scaled_features(
    frame: pd.DataFrame, spec: WindowSpec, covariates: Mapping[str, pd.DataFrame] | None
) -> tuple[np.ndarray, int]:
    """Training-scaled input matrix ``(n, F)`` of ``frame`` and its warm-up row count."""
    matrix, warmup, _ = input_matrix(
        frame, spec.features, spec.target_column, covariates=with_frames(spec.covariates,
                                                                         covariates),
        calendar=spec.calendar, horizon=spec.horizon, max_fill=spec.max_fill,
        known=with_frames(spec.known, covariates, "known table"),
        known_calendar=spec.known_calendar)
    if len(frame) - warmup < spec.lookback:
        raise DataError(
            f"{frame.attrs['source']} has {len(frame)} rows; a window needs {spec.lookback} "
            f"rows after {warmup} warm-up row(s), so at least {spec.lookback + warmup}"
        )
    return spec.scaler_x.transform(matrix), warmup


def latest_window(
    prices: pd.DataFrame, spec: WindowSpec | Prepared,
    covariates: Mapping[str, pd.DataFrame] | None = None,
) -> torch.Tensor:
    """``(1, lookback, F)`` float32 scaled window ending at the last row of ``prices``.

    Use it to forecast beyond the data, with the settings and training scalers of ``spec`` (a
    :class:`WindowSpec`, or the :class:`Prepared` that holds one); ``covariates`` maps the
    names of the spec's past covariates to their prices.
    """
    spec = spec.spec if isinstance(spec, Prepared) else spec
    frame = as_prices(prices, caller="latest_window")
    scaled, _ = _scaled_features(frame, spec, covariates)
    n = len(frame)
    return window_view(scaled, range(n - 1, n), spec.lookback).contiguous()  # (1, L, F)


def windows_for(
    prices: pd.DataFrame, spec: WindowSpec, covariates: Mapping[str, pd.DataFrame] | None = None
) -> Windows:
    """Every complete window of ``prices`` whose ``horizon`` targets lie in the data.

    Built with the training scalers of ``spec``, for predicting over a whole series; ``y`` holds
    the scaled true targets. ``covariates``: as in :func:`latest_window`.
    """
    frame = as_prices(prices, caller="windows_for")
    scaled, warmup = _scaled_features(frame, spec, covariates)
    origins = range(warmup + spec.lookback - 1, len(frame) - spec.horizon)
    if len(origins) == 0:
        raise DataError(f"{frame.attrs['source']} has no window with {spec.horizon} known "
                        f"target step(s) after it; it needs at least one more row")
    price = frame[spec.target_column].to_numpy(dtype=np.float64)
    raw_y = _raw_targets(spec.target, price, origins, spec.horizon)
    return _windows(_dates(frame), price, scaled, spec.scaler_y.transform(raw_y), origins,
                    spec.lookback, spec.horizon)


def _check_settings(
    frame: pd.DataFrame, target_column: str, target: str, horizon: int, lookback: int,
    scaler: str,
) -> None:
    for name, value in (("horizon", horizon), ("lookback", lookback)):
        require_int(name, value)
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
    if len(windows) == 0:  # a test fraction of 0: no test part
        return {"first": "", "last": ""}
    last = index[windows.origin[-1] + horizon]
    return {"first": _iso(windows.dates[0]), "last": _iso(last)}


def _dates(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """The index of a frame from :func:`load_prices`, a ``DatetimeIndex`` by its contract."""
    return cast(pd.DatetimeIndex, frame.index)


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
