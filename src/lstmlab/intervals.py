"""Forecast bands from a fitted model: its own quantiles, calibrated by conformal prediction.

A model with a distribution head (:mod:`lstmlab.heads`) gives a base band, its central
``level`` quantiles; a point model gives a band of zero width, its forecast. Conformal
calibration (:mod:`lstmlab.conformal`) then widens either by a radius learned from the
nonconformity scores of calibration windows that neither training nor early stopping saw. The
scores are taken on log prices, so a radius is a relative margin (0.02 is about 2%) and one
calibration serves every price level.

Each central level (by default 50%, 80% and 90%, the fan) is calibrated on its own, per horizon
step, both ways: split conformal (a fixed radius) and adaptive conformal inference (a radius
that moves with each miss or hit on newer data). Beyond the model's horizon a forecast is
recursive and its band is not calibrated: the last step's radius is widened by ``sqrt(k / h)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmlab.conformal import AdaptiveConformal, SplitConformal, nonconformity
from lstmlab.data import Windows, WindowSpec
from lstmlab.errors import DataError
from lstmlab.heads import DistributionHead

__all__ = [
    "FAN_LEVELS",
    "INTERVAL_METHODS",
    "BandCalibration",
    "band_columns",
    "band_levels",
    "base_band",
    "calibrate",
    "calibration_split",
    "head_of",
    "model_outputs",
    "point_prices",
    "quantile_prices",
    "widen",
]

FAN_LEVELS = (0.5, 0.8, 0.9)  # central coverages drawn in fan charts
INTERVAL_METHODS = ("split", "adaptive")  # conformal methods; "adaptive" is the default band
_CHUNK = 8192  # windows per forward pass
_TINY = 1e-12  # floor of a price before its logarithm (a forecast can reach 0 or below)


def band_columns(level: float) -> tuple[str, str]:
    """Column names of a central band, ``("lower_90", "upper_90")`` for level 0.9."""
    percent = f"{level * 100:g}".replace(".", "_")
    return f"lower_{percent}", f"upper_{percent}"


def band_levels(alpha: float) -> tuple[float, ...]:
    """The central levels calibrated for a model: the fan's and ``1 - alpha``, increasing."""
    return tuple(sorted({*FAN_LEVELS, round(1 - alpha, 10)}))


def head_of(model: nn.Module) -> DistributionHead | None:
    """The model's distribution head, or None for a point model (a plain linear head)."""
    head = getattr(model, "head", None)
    return head if isinstance(head, DistributionHead) else None


@torch.no_grad()
def model_outputs(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Raw outputs for windows ``x (N, L, F)`` on the CPU: ``(N, h)`` or ``(N, h, P)``."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(chunk.to(device)).cpu() for chunk in x.split(_CHUNK)])


def point_prices(
    model: nn.Module, outputs: torch.Tensor, spec: WindowSpec, last_price: np.ndarray
) -> np.ndarray:
    """Point forecasts ``(N, h)`` in price units: the output, or the head's median or mean."""
    head = head_of(model)
    scaled = outputs if head is None else head.point(outputs)
    return spec.to_prices(scaled.double().numpy(), last_price)


def quantile_prices(
    model: nn.Module, outputs: torch.Tensor, spec: WindowSpec, last_price: np.ndarray,
    levels: Sequence[float],
) -> np.ndarray:
    """The head's quantiles ``(N, h, len(levels))`` in price units.

    Scaling and the map from target to price are increasing, so quantiles of the target are
    quantiles of the price.
    """
    head = head_of(model)
    if head is None:
        raise ValueError("a point model has no quantiles; train with a distribution loss")
    q = head.quantiles(outputs, levels)  # (N, h, L) scaled targets
    return np.stack([spec.to_prices(q[..., j], last_price) for j in range(len(levels))], -1)


def base_band(
    model: nn.Module, outputs: torch.Tensor, spec: WindowSpec, last_price: np.ndarray,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The uncalibrated central ``level`` band ``(lower, upper)``, each ``(N, h)`` prices."""
    if head_of(model) is None:
        point = point_prices(model, outputs, spec, last_price)
        return point, point
    q = quantile_prices(model, outputs, spec, last_price, [(1 - level) / 2, (1 + level) / 2])
    return q[..., 0], q[..., 1]


def _log(prices: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(np.asarray(prices, dtype=np.float64), _TINY))


def widen(lower: Any, upper: Any, radius: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(lower * exp(-radius), upper * exp(radius))``: a band widened by a log-price radius."""
    return np.exp(_log(lower) - radius), np.exp(_log(upper) + radius)


@dataclass
class LevelCalibration:
    """Split and adaptive conformal state of one central level, per horizon step."""

    level: float
    split: SplitConformal
    adaptive: list[AdaptiveConformal] = field(repr=False)
    newer_misses: list[bool] = field(default_factory=list)  # step-1 outcomes seen after the fit

    def radius(self, method: str) -> np.ndarray:
        """The current radius ``(h,)`` of ``method`` ("split" or "adaptive"), in log price."""
        if method == "split":
            return np.asarray(self.split.radius)
        return np.asarray([aci.radius() for aci in self.adaptive])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"level": self.level, "split": self.split.to_dict(),
                "adaptive": [aci.state() for aci in self.adaptive],
                "newer_misses": [bool(m) for m in self.newer_misses]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LevelCalibration:
        """Rebuild from :meth:`to_dict`."""
        return cls(float(data["level"]), SplitConformal.from_dict(data["split"]),
                   [AdaptiveConformal.from_state(s) for s in data["adaptive"]],
                   [bool(m) for m in data.get("newer_misses", [])])


@dataclass
class BandCalibration:
    """Conformal calibration of a model's bands at several central levels."""

    levels: dict[float, LevelCalibration]
    n: int  # calibration windows

    @classmethod
    def fit(
        cls, bands: dict[float, tuple[np.ndarray, np.ndarray]], actual: np.ndarray, *,
        gamma: float = 0.005, window: int = 250,
    ) -> BandCalibration:
        """Calibrate base bands ``{level: (lower, upper)}`` (each ``(n, h)``) on ``actual``."""
        levels = {}
        for level, (lower, upper) in bands.items():
            scores = nonconformity(_log(lower), _log(upper), _log(actual))  # (n, h)
            split = SplitConformal.fit(_log(lower), _log(upper), _log(actual), 1 - level)
            adaptive = [AdaptiveConformal(scores[:, k], 1 - level, gamma=gamma, window=window,
                                          delay=k + 1) for k in range(scores.shape[1])]
            levels[level] = LevelCalibration(level, split, adaptive)
        return cls(levels, int(np.asarray(actual).shape[0]))

    def apply(
        self, level: float, lower: np.ndarray, upper: np.ndarray, method: str = "adaptive",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated ``(lower, upper)`` prices from base bands ``(N, steps)`` of one level.

        Steps beyond the calibrated horizon take the last step's radius times ``sqrt(k / h)``.
        """
        radius = self.levels[level].radius(method)  # (h,)
        steps, h = np.asarray(lower).shape[-1], radius.size
        k = np.arange(1, steps + 1)
        widened = radius[np.minimum(k, h) - 1] * np.sqrt(np.maximum(k / h, 1.0))  # (steps,)
        return widen(lower, upper, widened)

    def update(
        self, bands: dict[float, tuple[np.ndarray, np.ndarray]], actual: np.ndarray
    ) -> dict[float, np.ndarray]:
        """Run adaptive conformal over newer windows with known outcomes, in time order.

        ``bands`` are base bands ``{level: (lower, upper)}``, each ``(N, h)``. Each window's
        radius is issued before its outcome is seen; returns those radii ``{level: (N, h)}``
        and keeps the state (copy the calibration first to leave it unchanged).
        """
        radii = {}
        for level, (lower, upper) in bands.items():
            calibration = self.levels[level]
            scores = nonconformity(_log(lower), _log(upper), _log(actual))  # (N, h)
            columns = []
            for k, aci in enumerate(calibration.adaptive):
                used, misses = aci.run(scores[:, k])
                columns.append(used)
                if k == 0:
                    calibration.newer_misses.extend(bool(m) for m in misses)
            radii[level] = np.stack(columns, axis=-1)
        return radii

    def summary(self, level: float, method: str = "adaptive") -> str:
        """One sentence: the method and its measured coverage, for people reading a forecast."""
        calibration = self.levels[level]
        split = calibration.split
        text = (f"{level:.0%} band by {_METHOD_NAMES[method]}; split-conformal coverage on "
                f"{split.n} calibration windows {split.calibration_coverage[0]:.1%} (step 1)")
        misses = calibration.newer_misses
        if misses:
            text += (f"; adaptive coverage on {len(misses)} newer windows "
                     f"{1 - float(np.mean(misses)):.1%}")
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"n": self.n, "levels": [c.to_dict() for c in self.levels.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BandCalibration:
        """Rebuild from :meth:`to_dict`."""
        levels = [LevelCalibration.from_dict(d) for d in data["levels"]]
        return cls({c.level: c for c in levels}, int(data["n"]))


_METHOD_NAMES = {"split": "split conformal", "adaptive": "adaptive conformal (Gibbs & Candes)"}


def calibration_split(val: Windows, fraction: float, horizon: int) -> tuple[Windows, Windows]:
    """Validation windows cut into ``(early_stopping, calibration)`` parts, in time order.

    The last ``fraction`` of the windows calibrate; the ``horizon - 1`` windows before them are
    dropped, so that no target day of an early-stopping window is a target day of a calibration
    window, and the model selection never saw what calibrates it.
    """
    n = len(val)
    n_cal = max(round(n * fraction), 1)
    n_stop = n - n_cal - (horizon - 1)
    if n_stop < 1:
        raise DataError(f"the validation part has {n} windows, too few to keep {n_cal} for "
                        f"calibration and still stop early on the rest; give it more rows or "
                        f"lower the calibration fraction")
    return val.rows(slice(0, n_stop)), val.rows(slice(n - n_cal, n))


def calibrate(
    model: nn.Module, spec: WindowSpec, windows: Windows, levels: Sequence[float], *,
    gamma: float = 0.005, window: int = 250,
) -> BandCalibration:
    """Calibrate the model's central ``levels`` bands on calibration ``windows``."""
    outputs = model_outputs(model, windows.x)
    bands = {float(level): base_band(model, outputs, spec, windows.last_price, level)
             for level in levels}
    return BandCalibration.fit(bands, windows.actual, gamma=gamma, window=window)
