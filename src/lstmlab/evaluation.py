"""Scoring forecasts on the price scale, next to the baselines, on the very same days."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lstmlab.baselines import BASELINE_NAMES, baseline_forecasts
from lstmlab.metrics import forecast_metrics

if TYPE_CHECKING:
    from lstmlab.interval_evaluation import BandScores

__all__ = ["BASELINES", "Evaluation", "prediction_frame", "score_forecasts", "with_baselines"]

BASELINES = BASELINE_NAMES


@dataclass
class Evaluation:
    """Scores of a fitted model and of the baselines on the validation and test periods.

    ``metrics`` is indexed by ``(split, model)`` with the columns of
    :func:`lstmlab.metrics.forecast_metrics`; ``predictions`` has one row per target date (the
    first forecast step) with columns ``split``, ``actual``, the model's cell name and the
    baselines, all in price units. The test rows of the model and of ``naive`` also carry the
    interval scores of :mod:`lstmlab.interval_evaluation`, whose details are in ``bands``.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    bands: BandScores | None = None  # the test period's interval scores, bands and PIT

    def models(self) -> list[str]:
        """Names of the scored models, baselines excluded."""
        names = self.metrics.index.get_level_values("model")
        return [m for m in dict.fromkeys(names) if m not in BASELINES]

    def summary(self, split: str = "test") -> str:
        """One sentence: how the model's RMSE compares with the naive forecast's on ``split``."""
        model = self.models()[0]
        rmse = self.metrics.loc[(split, model), "rmse"]
        naive = self.metrics.loc[(split, "naive"), "rmse"]
        verdict = "beats" if rmse < naive else "does not beat"
        return (
            f"On the {split} period the {model.upper()} {verdict} the naive 'tomorrow = today' "
            f"forecast: RMSE {rmse:.3f} against {naive:.3f} ({rmse / naive:.3f}x)."
        )


def with_baselines(
    name: str,
    model: np.ndarray,
    series: np.ndarray,
    origin: np.ndarray,
    horizon: int,
    ma_window: int,
    mean_return: float,
) -> dict[str, np.ndarray]:
    """The model's forecasts ``(N, h)`` under ``name``, followed by each baseline's."""
    baselines = baseline_forecasts(series, origin, horizon, ma_window=ma_window,
                                   mean_return=mean_return)
    return {name: model, **baselines}


def score_forecasts(
    split: str,
    actual: np.ndarray,
    last_price: np.ndarray,
    forecasts: dict[str, np.ndarray],
) -> dict[tuple[str, str], dict[str, float]]:
    """Metrics of every forecast ``(N, h)`` against ``actual (N, h)``, keyed ``(split, name)``.

    All horizon steps are scored together; the naive forecast of every step is the last known
    price, ``last_price (N,)``.
    """
    horizon = actual.shape[1]
    previous = np.repeat(last_price, horizon)  # (N*h,), aligned with actual.reshape(-1)
    flat = actual.reshape(-1)
    return {
        (split, name): forecast_metrics(flat, values.reshape(-1), previous, horizon=horizon)
        for name, values in forecasts.items()
    }


def prediction_frame(
    split: str, dates: pd.DatetimeIndex, actual: np.ndarray, forecasts: dict[str, np.ndarray]
) -> pd.DataFrame:
    """One row per target date: ``split``, ``actual`` and each forecast's first step."""
    frame = pd.DataFrame(
        {"split": split, "actual": actual[:, 0]}, index=pd.DatetimeIndex(dates, name="date")
    )
    for name, values in forecasts.items():
        frame[name] = values[:, 0]
    return frame
