"""Conformal intervals around any forecast: split conformal and adaptive conformal inference.

Both widen (or narrow) a base interval ``[l, u]`` by a radius ``q`` learned from nonconformity
scores ``s = max(l - y, y - u)`` of past forecasts: for a point forecast (``l = u``) that is the
absolute error, for a quantile band it is the score of conformalized quantile regression (Romano,
Patterson & Candes 2019). The band is ``[l - q, u + q]``; callers pass log prices, so the radius
is relative and the band scales with the price.

- **Split conformal** (Vovk et al. 2005; Lei et al. 2018): with ``n`` calibration scores that the
  model never saw in training *or* in early stopping, ``q`` is the ``ceil((n + 1)(1 - alpha))``-th
  smallest score, the finite-sample quantile at level ``ceil((n + 1)(1 - alpha)) / n``. If the
  new point is exchangeable with the calibration points, coverage is at least ``1 - alpha`` and
  below ``1 - alpha + 1 / (n + 1)`` (with no ties). One radius per horizon step.
- **Adaptive conformal inference** (Gibbs & Candes 2021): prices are not exchangeable, so the
  level moves online, ``alpha_{t+1} = alpha_t + gamma (alpha - err_t)`` with ``err_t = 1`` on a
  miss; the band widens after misses and narrows after hits, following volatility regimes. Over
  any ``T`` points, ``|mean(err) - alpha| <= (max(alpha_1, 1 - alpha_1) + gamma) / (gamma T)``
  whatever the data. Where Gibbs & Candes give an infinite (empty) band for ``alpha_t <= 0``
  (``>= 1``), this one uses the largest (smallest) score in its window, so bands stay finite;
  the simulation tests check the long-run coverage with that choice. For step ``k`` of a
  multi-step forecast, a miss is known only ``k`` steps later (``delay``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmlab.config import check_alpha
from lstmlab.errors import ConfigError
from lstmlab.validation import require_int

__all__ = [
    "AdaptiveConformal", "SplitConformal", "conformal_quantile",
    "nonconformity",
]


def nonconformity(lower: Any, upper: Any, actual: Any) -> np.ndarray:
    """Scores ``max(lower - actual, actual - upper)``: distance outside the band (< 0: inside)."""
    low, high, y = (np.asarray(a, dtype=np.float64) for a in (lower, upper, actual))
    return np.maximum(low - y, y - high)


def conformal_quantile(scores: Any, alpha: float) -> float:
    """The ``ceil((n + 1)(1 - alpha))``-th smallest of ``n`` scores; ``inf`` when that rank > n.

    ``inf`` is honest: fewer than ``1 / alpha - 1`` calibration points cannot certify the level.
    """
    values = np.sort(np.asarray(scores, dtype=np.float64).reshape(-1))
    n = values.size
    rank = math.ceil((n + 1) * (1 - check_alpha(alpha)))
    return math.inf if rank > n else float(values[rank - 1])


@dataclass(frozen=True)
class SplitConformal:
    """Split-conformal radii, one per horizon step, from a calibration set."""

    alpha: float
    radius: tuple[float, ...]  # per step, in the units of the scores (log price)
    n: int  # calibration points per step
    calibration_coverage: tuple[float, ...]  # coverage of the widened band on those points

    @classmethod
    def fit(cls, lower: Any, upper: Any, actual: Any, alpha: float) -> SplitConformal:
        """Radii from calibration bands and outcomes, each ``(n, h)`` (or ``(n,)`` for one step)."""
        scores = np.atleast_2d(nonconformity(lower, upper, actual).T).T  # (n, h)
        if scores.shape[0] == 0:
            raise ConfigError("split conformal needs at least one calibration point; enlarge "
                              "the validation part or the calibration fraction")
        radius = tuple(conformal_quantile(scores[:, k], alpha) for k in range(scores.shape[1]))
        covered = tuple(float(np.mean(scores[:, k] <= r)) for k, r in enumerate(radius))
        return cls(check_alpha(alpha), radius, scores.shape[0], covered)

    def apply(self, lower: Any, upper: Any) -> tuple[np.ndarray, np.ndarray]:
        """The calibrated band ``(lower - q_k, upper + q_k)`` for bands of shape ``(N, h)``."""
        q = np.asarray(self.radius)
        return np.asarray(lower, dtype=np.float64) - q, np.asarray(upper, dtype=np.float64) + q

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (``inf`` radii become ``None``)."""
        return {"alpha": self.alpha, "n": self.n,
                "radius": [None if math.isinf(r) else r for r in self.radius],
                "calibration_coverage": list(self.calibration_coverage)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitConformal:
        """Rebuild from :meth:`to_dict`."""
        radius = tuple(math.inf if r is None else float(r) for r in data["radius"])
        return cls(float(data["alpha"]), radius, int(data["n"]),
                   tuple(float(c) for c in data["calibration_coverage"]))


class AdaptiveConformal:
    """Online conformal radius for one horizon step (Gibbs & Candes 2021), fed one score at a time.

    ``scores`` seeds the history (the calibration scores); ``window`` keeps the most recent ones;
    ``delay`` is how many steps later an outcome is known (the horizon step). Use
    :meth:`run` over a sequence, or :meth:`radius` / :meth:`observe` in a loop.
    """

    def __init__(
        self, scores: Any, alpha: float, *, gamma: float = 0.005, window: int = 250,
        delay: int = 1,
    ) -> None:
        self.alpha = check_alpha(alpha)
        self.gamma = check_alpha(gamma, "gamma")
        self.alpha_t = self.alpha
        self.delay = require_int("delay", delay)
        window = require_int("window", window)
        self.history: deque[float] = deque(np.asarray(scores, dtype=np.float64).reshape(-1)
                                           [-window:], maxlen=window)
        if not self.history:
            raise ConfigError("adaptive conformal needs at least one calibration score")
        self._pending: deque[tuple[float, float]] = deque()  # (score, radius) not yet known

    def radius(self) -> float:
        """The radius for the next forecast: the history's quantile at level ``1 - alpha_t``."""
        values = np.sort(np.fromiter(self.history, dtype=np.float64))
        n = values.size
        rank = math.ceil((n + 1) * (1 - self.alpha_t))
        return float(values[min(max(rank, 1), n) - 1])  # clipped to the window's extremes

    def observe(self, score: float, radius: float) -> None:
        """Record the outcome of a forecast issued with ``radius``; learn once it is known."""
        self._pending.append((float(score), float(radius)))
        while len(self._pending) >= self.delay:
            known, used = self._pending.popleft()
            miss = known > used
            self.alpha_t += self.gamma * (self.alpha - miss)
            self.history.append(known)

    def run(self, scores: Any) -> tuple[np.ndarray, np.ndarray]:
        """Issue a radius before each score, then observe it: ``(radii (T,), misses (T,))``."""
        radii, misses = [], []
        for score in np.asarray(scores, dtype=np.float64).reshape(-1):
            r = self.radius()
            radii.append(r)
            misses.append(score > r)
            self.observe(score, r)
        return np.asarray(radii), np.asarray(misses)

    def state(self) -> dict[str, Any]:
        """Plain JSON form of the current state (pending outcomes are not kept)."""
        return {"alpha": self.alpha, "gamma": self.gamma, "alpha_t": self.alpha_t,
                "window": self.history.maxlen, "delay": self.delay,
                "history": list(self.history)}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> AdaptiveConformal:
        """Rebuild from :meth:`state`."""
        aci = cls(data["history"], data["alpha"], gamma=data["gamma"],
                  window=int(data["window"]), delay=int(data["delay"]))
        aci.alpha_t = float(data["alpha_t"])
        return aci
