"""Scoring a fitted model's bands on held-out windows, next to the naive volatility band.

The model's default band is adaptive conformal, run online over the windows in time order (each
radius issued before its outcome is seen, on a copy of the fitted calibration); the split
conformal band and the naive forecast's volatility band (:func:`lstmlab.baselines.
volatility_band`) are scored on the same windows. All scores are in price units over every
horizon step; the PIT values and the hit series are those of the first step.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from lstmlab.baselines import volatility_band
from lstmlab.data import Windows, WindowSpec
from lstmlab.heads import DistributionHead, GaussianHead
from lstmlab.interval_metrics import (
    crps_gaussian,
    crps_samples,
    interval_metrics,
    pinball,
)
from lstmlab.intervals import (
    BandCalibration,
    band_columns,
    base_band,
    head_of,
    model_outputs,
    point_prices,
    quantile_prices,
    widen,
)

__all__ = ["BandScores", "score_bands"]

_SAMPLES = 200  # draws per window for the sample CRPS
_AFFINE_TARGETS = ("price", "change", "return")  # target -> price affine: Gaussian stays so


@dataclass
class BandScores:
    """Interval scores of one split (see :func:`score_bands`)."""

    metrics: dict[str, dict[str, float]]  # row name -> interval columns
    bands: pd.DataFrame  # per window (step 1): lower_X / upper_X of the default band
    pit: np.ndarray | None  # step-1 PIT of the head's distribution; None for a point model
    covered: dict[str, np.ndarray]  # method -> step-1 hits of its band at level 1 - alpha


def score_bands(
    model: nn.Module, spec: WindowSpec, windows: Windows, calibration: BandCalibration,
    series: np.ndarray, alpha: float, name: str, *, seed: int = 0,
) -> BandScores:
    """Score the model's conformal bands and the naive volatility band on ``windows``.

    Rows of ``metrics``: ``name`` (adaptive conformal, with pinball loss and CRPS, and the
    split-conformal band's scores under ``split_*``) and ``"naive"`` (the volatility band).
    """
    outputs = model_outputs(model, windows.x)
    last, actual = windows.last_price, windows.actual  # (N,), (N, h)
    base = {level: base_band(model, outputs, spec, last, level) for level in calibration.levels}
    radii = copy.deepcopy(calibration).update(base, actual)  # online, on a copy
    adaptive = {level: widen(*base[level], radii[level]) for level in base}
    split = {level: widen(*base[level], np.asarray(calibration.levels[level].split.radius))
             for level in base}
    point = point_prices(model, outputs, spec, last)
    level = round(1 - alpha, 10)
    naive = volatility_band(series, windows.origin, spec.horizon, alpha)
    split_scores = _scores(actual, split[level], point, alpha)
    rows = {
        name: {**_scores(actual, adaptive[level], point, alpha),
               **{f"split_{key}": value for key, value in split_scores.items()},
               **_distribution_scores(model, outputs, spec, windows, adaptive[level], point,
                                      alpha, seed)},
        "naive": _scores(actual, naive, last[:, None].repeat(spec.horizon, 1), alpha),
    }
    head = head_of(model)
    pit = None if head is None else head.cdf(outputs, windows.y)[:, 0]
    covered = {method: (band[0][:, 0] <= actual[:, 0]) & (actual[:, 0] <= band[1][:, 0])
               for method, band in (("adaptive conformal", adaptive[level]),
                                    ("split conformal", split[level]),
                                    ("naive volatility band", naive))}
    return BandScores(rows, _band_frame(windows.dates, adaptive), pit, covered)


def _scores(actual: np.ndarray, band: tuple[np.ndarray, np.ndarray], point: np.ndarray,
            alpha: float) -> dict[str, float]:
    return interval_metrics(actual.reshape(-1), band[0].reshape(-1), band[1].reshape(-1),
                            point.reshape(-1), alpha)


def _distribution_scores(
    model: nn.Module, outputs: torch.Tensor, spec: WindowSpec, windows: Windows,
    band: tuple[np.ndarray, np.ndarray], point: np.ndarray, alpha: float, seed: int,
) -> dict[str, float]:
    """Mean pinball loss at ``alpha/2, 1/2, 1 - alpha/2`` and CRPS, in price units.

    A point model's quantiles are its calibrated band ends and its forecast; its CRPS is that of
    a distribution with all mass on the forecast, the absolute error.
    """
    actual = windows.actual
    head = head_of(model)
    taus = (alpha / 2, 0.5, 1 - alpha / 2)
    if head is None:
        quantiles = np.stack([band[0], point, band[1]], axis=-1)  # (N, h, 3)
        crps = np.abs(actual - point)
    else:
        quantiles = quantile_prices(model, outputs, spec, windows.last_price, taus)
        crps = _crps(head, outputs, spec, windows, seed)
    losses = [pinball(actual, quantiles[..., j], tau) for j, tau in enumerate(taus)]
    return {"pinball": float(np.mean(losses)), "crps": float(np.mean(crps))}


def _crps(head: DistributionHead, outputs: torch.Tensor, spec: WindowSpec, windows: Windows,
          seed: int) -> np.ndarray:
    """CRPS per window and step ``(N, h)`` in price units: closed form where it applies."""
    if isinstance(head, GaussianHead) and spec.target in _AFFINE_TARGETS:
        mu = spec.to_prices(outputs[..., 0].double().numpy(), windows.last_price)
        slope = windows.last_price[:, None] if spec.target == "return" else 1.0
        sigma = outputs[..., 1].double().numpy() * spec.scaler_y.scale * slope  # (N, h)
        return crps_gaussian(windows.actual, mu, sigma)
    draws = head.sample(outputs, _SAMPLES, torch.Generator().manual_seed(seed))  # (m, N, h)
    prices = np.stack([spec.to_prices(d.double().numpy(), windows.last_price) for d in draws])
    return crps_samples(windows.actual, prices)


def _band_frame(dates: pd.DatetimeIndex, bands: dict[float, tuple[np.ndarray, np.ndarray]]
                ) -> pd.DataFrame:
    columns = {}
    for level, (lower, upper) in sorted(bands.items()):
        low_name, high_name = band_columns(level)
        columns[low_name], columns[high_name] = lower[:, 0], upper[:, 0]
    return pd.DataFrame(columns, index=pd.DatetimeIndex(dates, name="date"))
