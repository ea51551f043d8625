"""Model inputs per row, computed causally: the value on row ``t`` uses rows ``<= t`` only.

A feature is either a loaded column (``open``, ``high``, ``low``, ``close``, ``volume``,
``adj_close``) or a derived one:

- ``log_return``: ``log(P_t / P_{t-1})`` of the target column (1 warm-up row);
- ``range``: ``(high_t - low_t) / close_t``, the day's range relative to its close (none);
- ``volume_z``: z-score of ``log(1 + volume_t)`` against the trailing 20 rows ending at ``t``
  (19 warm-up rows; 0 where those rows have no spread).

The first rows, where a derived feature is not yet defined, are the warm-up: they are never
used as model inputs (windows start after them), only dropped from the start.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lstmlab.data.parse import COLUMNS
from lstmlab.errors import ConfigError, DataError

__all__ = ["DERIVED", "VOLUME_WINDOW", "feature_matrix"]

VOLUME_WINDOW = 20
DERIVED = {"log_return": 1, "range": 0, "volume_z": VOLUME_WINDOW - 1}  # name -> warm-up rows
_FLAT = 1e-9  # rolling std below this is round-off of a constant window
_NEEDS = {"range": ("high", "low", "close"), "volume_z": ("volume",)}


def feature_matrix(
    prices: pd.DataFrame, features: Sequence[str], target_column: str
) -> tuple[np.ndarray, int]:
    """Return the ``(n, F)`` float64 feature matrix and the number of warm-up rows.

    Warm-up rows hold NaN; every later row is finite.
    """
    names = _check_names(prices, features)
    columns = [_feature(prices, name, target_column) for name in names]
    matrix = np.column_stack(columns).astype(np.float64)  # (n, F)
    warmup = max(DERIVED.get(name, 0) for name in names)
    return matrix, warmup


def _check_names(prices: pd.DataFrame, features: Sequence[str]) -> list[str]:
    if isinstance(features, str):
        features = (features,)
    names = list(features)
    if not names:
        raise ConfigError("features is empty; name at least one, e.g. ('log_return',)")
    if len(set(names)) != len(names):
        raise ConfigError(f"features lists a name twice: {names}; list each once")
    for name in names:
        if name not in DERIVED and name not in COLUMNS:
            raise ConfigError(
                f"unknown feature {name!r}; choose price columns {list(COLUMNS)} "
                f"or derived features {list(DERIVED)}"
            )
        lacking = [c for c in (*_NEEDS.get(name, ()), *((name,) if name in COLUMNS else ()))
                   if c not in prices.columns]
        if lacking:
            raise DataError(
                f"feature {name!r} needs the column(s) {lacking}, which the prices from "
                f"{prices.attrs.get('source', 'the input')} lack "
                f"(columns: {list(prices.columns)}); choose other features"
            )
    return names


def _feature(prices: pd.DataFrame, name: str, target_column: str) -> np.ndarray:
    if name == "log_return":
        price = prices[target_column].to_numpy(dtype=np.float64)
        return np.concatenate(([np.nan], np.diff(np.log(price))))
    if name == "range":
        return ((prices["high"] - prices["low"]) / prices["close"]).to_numpy(dtype=np.float64)
    if name == "volume_z":
        return _volume_z(prices["volume"])
    return prices[name].to_numpy(dtype=np.float64)


def _volume_z(volume: pd.Series) -> np.ndarray:
    """Trailing z-score of log volume; rolling windows end at the current row (causal)."""
    log_volume = pd.Series(np.log1p(volume.to_numpy(dtype=np.float64)), index=volume.index)
    rolling = log_volume.rolling(VOLUME_WINDOW, min_periods=VOLUME_WINDOW)
    mean, std = rolling.mean(), rolling.std(ddof=0)
    z = ((log_volume - mean) / std.where(std > _FLAT)).to_numpy(dtype=np.float64, copy=True)
    defined = ~np.isnan(std.to_numpy())
    z[defined & np.isnan(z)] = 0.0  # a flat window: the value equals its mean
    return z
