"""Scores of interval and probabilistic forecasts: is the band honest, and how tight is it?

For a central ``1 - alpha`` interval ``[l, u]`` and the realised value ``y``:

- coverage: the fraction of points with ``l <= y <= u`` (nominal: ``1 - alpha``);
- mean width ``u - l``, in price units (USD for US stocks) and in percent of the point forecast;
- interval (Winkler) score, Gneiting & Raftery (2007) eq. 43:
  ``(u - l) + (2 / alpha) (l - y) 1{y < l} + (2 / alpha) (y - u) 1{y > u}``, lower is better; it
  rewards narrow bands and charges misses by how far they miss, so a band cannot win by being
  wide (always covering) nor by being narrow (often missing);
- pinball (quantile) loss at level ``tau``: ``max(tau d, (tau - 1) d)`` with ``d = y - q``;
- CRPS, ``integral (F(x) - 1{x >= y})^2 dx``: closed form for a Gaussian
  ``sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)]`` with ``z = (y - mu) / sigma``
  (Gneiting et al. 2005), and for ``m`` samples ``mean|X - y| - mean|X - X'| / 2``;
- PIT ``F(y)``: uniform on (0, 1) for a calibrated forecast; its histogram shows how it fails
  (U-shaped: too narrow; hump-shaped: too wide; sloped: biased).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "INTERVAL_METRIC_NAMES", "coverage", "crps_gaussian", "crps_samples", "interval_metrics",
    "interval_score", "interval_scores", "pinball", "pit_histogram",
]

INTERVAL_METRIC_NAMES: tuple[str, ...] = (  # the keys of interval_metrics, in its order
    "coverage", "width", "width_pct", "interval_score",
)


def pinball(y: Any, q: Any, tau: Any) -> Any:
    """Elementwise pinball loss of quantile ``q`` at level ``tau`` for outcome ``y``.

    Written as ``(|d| + (2 tau - 1) d) / 2``, which equals ``max(tau d, (tau - 1) d)``, with
    operators only, so that it works unchanged on NumPy arrays and on PyTorch tensors (training).
    """
    d = y - q
    return 0.5 * (abs(d) + (2 * tau - 1) * d)


def _arrays(**named: Any) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=np.float64) for v in named.values()]
    shapes = {name: a.shape for name, a in zip(named, arrays, strict=True)}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"arrays must have equal shapes, got {shapes}")
    if arrays[0].size == 0:
        raise ValueError(f"cannot score empty arrays ({', '.join(named)})")
    return arrays


def coverage(actual: Any, lower: Any, upper: Any) -> float:
    """Fraction of points inside ``[lower, upper]`` (ends included)."""
    y, low, high = _arrays(actual=actual, lower=lower, upper=upper)
    return float(np.mean((low <= y) & (y <= high)))


def interval_scores(actual: Any, lower: Any, upper: Any, alpha: float) -> np.ndarray:
    """Interval (Winkler) score of each central ``1 - alpha`` interval; lower is better."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    y, low, high = _arrays(actual=actual, lower=lower, upper=upper)
    below = np.maximum(low - y, 0.0)
    above = np.maximum(y - high, 0.0)
    scores: np.ndarray = high - low + (2.0 / alpha) * (below + above)
    return scores


def interval_score(actual: Any, lower: Any, upper: Any, alpha: float) -> float:
    """Mean interval (Winkler) score of central ``1 - alpha`` intervals; lower is better."""
    return float(np.mean(interval_scores(actual, lower, upper, alpha)))


def crps_gaussian(actual: Any, mu: Any, sigma: Any) -> np.ndarray:
    """CRPS of ``Normal(mu, sigma)`` forecasts at each point (closed form), same shape."""
    from scipy import stats

    y, mu, sigma = _arrays(actual=actual, mu=mu, sigma=sigma)
    if np.any(sigma <= 0):
        raise ValueError("sigma must be positive everywhere")
    z = (y - mu) / sigma
    crps: np.ndarray = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z)
                                - 1 / math.sqrt(math.pi))
    return crps


def crps_samples(actual: Any, samples: Any) -> np.ndarray:
    """CRPS of the empirical distribution of ``samples (m, ...)`` at each point ``actual (...)``.

    ``mean|X - y| - mean|X - X'| / 2`` over all pairs, the second term in O(m log m) from the
    sorted samples: ``mean|X - X'| = 2 / m^2 sum_i (2 i - m - 1) x_(i)``.
    """
    y = np.asarray(actual, dtype=np.float64)
    x = np.sort(np.asarray(samples, dtype=np.float64), axis=0)  # (m, ...)
    if x.shape[1:] != y.shape or x.shape[0] == 0:
        raise ValueError(f"samples must have shape (m, *{y.shape}), got {x.shape}")
    m = x.shape[0]
    weights = (2 * np.arange(1, m + 1) - m - 1).reshape(-1, *([1] * y.ndim))  # (m, 1...)
    spread = 2.0 / m**2 * np.sum(weights * x, axis=0)
    crps: np.ndarray = np.mean(np.abs(x - y), axis=0) - 0.5 * spread
    return crps


def pit_histogram(pit: Any, bins: int = 10) -> np.ndarray:
    """Relative frequencies of PIT values in ``bins`` equal bins of [0, 1] (flat = calibrated).

    Each bar is the fraction of points in the bin times ``bins``, so a calibrated forecast's bars
    are all near 1.
    """
    values = np.asarray(pit, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no finite PIT values to histogram")
    counts, _ = np.histogram(np.clip(values, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    return counts / values.size * bins


def interval_metrics(
    actual: Any, lower: Any, upper: Any, point: Any, alpha: float
) -> dict[str, float]:
    """Coverage, mean width (price units and % of the point forecast) and interval score.

    All arrays have one shape (one horizon step, or flattened); keys are
    :data:`INTERVAL_METRIC_NAMES`.
    """
    y, low, high, centre = _arrays(actual=actual, lower=lower, upper=upper, point=point)
    return {
        "coverage": coverage(y, low, high),
        "width": float(np.mean(high - low)),
        "width_pct": float(np.mean((high - low) / np.abs(centre))) * 100.0,
        "interval_score": interval_score(y, low, high, alpha),
    }
