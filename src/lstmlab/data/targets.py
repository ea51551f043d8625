"""Forecast targets at horizon ``h``, each defined relative to the window's last price.

For a window whose last row is ``t`` (price ``P_t``), the target has one column per step
``k = 1..h`` (direct multi-output):

======================  =======================  ==========================
target                  ``y_k``                  back to a price
======================  =======================  ==========================
``price``               ``P_{t+k}``              ``y_k``
``return``              ``P_{t+k} / P_t - 1``    ``P_t * (1 + y_k)``
``log_return``          ``log(P_{t+k} / P_t)``   ``P_t * exp(y_k)``
``change``              ``P_{t+k} - P_t``        ``P_t + y_k``
======================  =======================  ==========================

Returns are cumulative from ``P_t`` (the compounded product of the one-step returns), so the
inversion needs only the last known price and is exact.
"""

from __future__ import annotations

import numpy as np

from lstmlab.errors import ConfigError
from lstmlab.vocabulary import TARGETS

__all__ = ["TARGETS", "check_target", "future_prices", "make_targets", "targets_to_prices"]


def check_target(target: str) -> str:
    """Return ``target`` if it is a known target name, else raise :class:`ConfigError`."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; choose one of {list(TARGETS)}")
    return target


def future_prices(price: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``(N, h)`` prices ``P_{t+1..t+h}`` for each origin ``t`` (no Python loop)."""
    steps = np.arange(1, horizon + 1)
    return price[origins[:, None] + steps[None, :]]  # (N, h)


def make_targets(target: str, last: np.ndarray, future: np.ndarray) -> np.ndarray:
    """``(N, h)`` raw (unscaled) targets from last prices ``(N,)`` and future prices ``(N, h)``."""
    last = last[:, None]  # (N, 1), broadcast over the h steps
    if target == "price":
        return np.array(future, dtype=np.float64)
    if target == "return":
        return np.asarray(future / last - 1.0)
    if target == "log_return":
        return np.asarray(np.log(future / last))
    if target == "change":
        return np.asarray(future - last)
    raise ConfigError(f"unknown target {target!r}; choose one of {list(TARGETS)}")


def targets_to_prices(target: str, y: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Invert :func:`make_targets`: ``(N, h)`` prices from raw targets and last prices."""
    last = np.asarray(last, dtype=np.float64)[:, None]  # (N, 1)
    y = np.asarray(y, dtype=np.float64)
    if target == "price":
        return np.array(y)  # a copy
    if target == "return":
        return np.asarray(last * (1.0 + y))
    if target == "log_return":
        return np.asarray(last * np.exp(y))
    if target == "change":
        return np.asarray(last + y)
    raise ConfigError(f"unknown target {target!r}; choose one of {list(TARGETS)}")
