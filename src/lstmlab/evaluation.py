"""Scoring a trained model on the price scale, next to the baselines, on the very same days.

Every function takes the model explicitly, so the same code scores a freshly fitted network, a
loaded one, or a fine-tuned copy (walk-forward) without swapping anything in place. Model outputs
are mapped back to prices with the training scalers (:meth:`WindowSpec.to_prices`) before any
comparison, and every model is scored next to the baselines of :mod:`lstmlab.baselines` made at
exactly the model's forecast origins.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
import torch
from torch import nn

from lstmlab.baselines import baseline_forecasts
from lstmlab.config import ForecastConfig
from lstmlab.data import Prepared, Windows, WindowSpec
from lstmlab.errors import DataError, ModelFileError
from lstmlab.interval_evaluation import score_bands
from lstmlab.intervals import head_of, model_outputs, point_prices
from lstmlab.metrics import metrics_table, step_metrics
from lstmlab.pipeline import train_settings
from lstmlab.training import TensorSplit, train
from lstmlab.validation import require_int
from lstmlab.verdicts import at_step, lag_sentence, select_forecaster, summary_line
from lstmlab.vocabulary import (
    BASELINES,
    EVALUATED_SPLITS,
    MEAN_STEP,
    WALK_FORWARD_SPLIT,
    display_name,
)

if TYPE_CHECKING:
    from lstmlab.interval_evaluation import BandScores
    from lstmlab.intervals import BandCalibration

__all__ = ["Evaluation", "check_unseen_test", "evaluate_model", "predict_prices",
           "prediction_frame", "score_forecasts", "walk_forward_forecasts", "with_baselines"]


@dataclass
class Evaluation:
    """Scores of a fitted model and of the baselines on the validation and test periods.

    ``metrics`` is indexed by ``(split, model, step)`` with the columns of
    :func:`lstmlab.metrics.forecast_metrics`; ``step`` is ``"1"`` .. ``"h"`` and, when ``h > 1``,
    ``"mean"`` (see :func:`lstmlab.metrics.step_metrics`). ``predictions`` has one row per
    target date (the first forecast step) with columns ``split``, ``actual``, the model's cell
    name and the baselines, all in price units. With a calibration, the test rows of the
    model and of ``naive`` (at the whole forecast's step) also carry the interval scores of
    :mod:`lstmlab.interval_evaluation`, whose bands, PIT values and hits are in ``bands``.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    bands: BandScores | None = None

    def models(self) -> list[str]:
        """Names of the scored models, baselines excluded."""
        names = self.metrics.index.get_level_values("model")
        return [m for m in dict.fromkeys(names) if m not in BASELINES]

    def at_step(self, step: str | int | None = None) -> pd.DataFrame:
        """The ``(split, model)`` table of one step; by default the whole forecast's
        (:func:`overall_step`: the mean over steps, or step 1 for one-step forecasts)."""
        return at_step(self.metrics, step)

    def selected(self) -> str:
        """The forecast with the lowest validation RMSE among the model and the baselines."""
        return select_forecaster(self.at_step())

    def summary(self, split: str = "test") -> str:
        """The selection on validation and the test verdict against naive (wording rule of
        :mod:`lstmlab.verdicts`), then the lag check of each trained model."""
        table = self.at_step()
        line = summary_line(table, self.models(), self.selected(), split)
        step_one = self.at_step("1")
        for model in self.models():
            # a full (split, model) key selects one row (pandas-stubs types it as a scalar)
            row = cast("pd.Series[float]", step_one.loc[(split, model)])
            line += f" Lag check ({display_name(model)}): " + lag_sentence(
                float(row["lag_corr"]), float(row["same_day_corr"]))
        return line


def predict_prices(
    model: nn.Module, spec: WindowSpec, x: torch.Tensor, last_price: np.ndarray
) -> np.ndarray:
    """Point forecasts in price units ``(N, horizon)`` of ``model`` for windows ``x (N, L, F)``
    (a distribution head's median or mean)."""
    return point_prices(model, model_outputs(model, x), spec, last_price)


def evaluate_model(
    model: nn.Module, config: ForecastConfig, prepared: Prepared, prices: pd.DataFrame, *,
    walk_forward: int = 0, walk_forward_epochs: int = 2,
    calibration: BandCalibration | None = None,
) -> Evaluation:
    """Score ``model`` and the baselines on the validation and test windows of ``prepared``.

    ``prepared`` holds the windows of ``prices`` (a frame from :func:`lstmlab.load_prices`)
    scaled with the model's training scalers. ``walk_forward=k`` adds a ``test_walk_forward``
    split scored on forecasts from :func:`walk_forward_forecasts`; ``model`` is never changed.
    ``calibration`` (the model's :class:`~lstmlab.intervals.BandCalibration`) adds the interval
    scores of its bands on test (validation calibrated them), next to the naive volatility band.
    """
    series = prices[config.target_column].to_numpy(dtype=np.float64)
    spec = prepared.spec
    if not (math.isfinite(spec.mean_return) and math.isfinite(spec.naive_scale)):
        raise ModelFileError("this model was saved without its training statistics (mean "
                             "return, naive MAE), as lstmlab 0.1 did; refit it to evaluate")
    rows: dict[tuple[str, str, str], dict[str, float]] = {}
    frames = []
    for split in EVALUATED_SPLITS:
        windows: Windows = getattr(prepared, split)
        forecast = predict_prices(model, spec, windows.x, windows.last_price)
        forecasts = with_baselines(config, forecast, series, windows, spec.mean_return)
        rows.update(score_forecasts(split, windows.actual, windows.last_price, forecasts, spec))
        frames.append(prediction_frame(split, windows.dates, windows.actual, forecasts))
    if walk_forward:
        test = prepared.test
        forecast = walk_forward_forecasts(model, config, prepared, walk_forward,
                                          walk_forward_epochs)
        forecasts = with_baselines(config, forecast, series, test, spec.mean_return)
        rows.update(score_forecasts(WALK_FORWARD_SPLIT, test.actual, test.last_price, forecasts,
                                    spec))
    bands = None
    if calibration is not None:
        bands = score_bands(model, spec, prepared.test, calibration, series, config.alpha,
                            config.cell, seed=config.seed)
        overall = MEAN_STEP if config.horizon > 1 else "1"  # the whole forecast's row
        for name, scores in bands.metrics.items():
            rows[("test", name, overall)].update(scores)
    return Evaluation(metrics=metrics_table(rows), predictions=pd.concat(frames), bands=bands)


def walk_forward_forecasts(
    model: nn.Module, config: ForecastConfig, prepared: Prepared, block: int, epochs: int = 2
) -> np.ndarray:
    """Test forecasts ``(N, h)`` from a copy of ``model`` fine-tuned before each block of days.

    The test period is predicted in blocks of ``block`` days; before each block the copy is
    trained for ``epochs`` epochs on every window whose targets are known by then (an expanding
    window). ``model`` itself is left untouched.
    """
    require_int("walk_forward", block)
    tuned = copy.deepcopy(model)
    device = next(model.parameters()).device
    test, h = prepared.test, config.horizon
    # fine-tuning sees only known windows (no held-out loss, so no schedule, no restore)
    settings = train_settings(config, max_epochs=epochs, patience=0, lr_factor=1.0,
                              restore_best=False)
    head = head_of(model)
    out = []
    for start in range(0, len(test), block):
        # test windows whose last target day is on or before the block's origin day
        seen = slice(0, max(start - (h - 1), 0))
        known = TensorSplit(
            torch.cat([prepared.train.x, prepared.val.x, test.x[seen]]).to(device),
            torch.cat([prepared.train.y, prepared.val.y, test.y[seen]]).to(device),
        )
        train(tuned, known, known, settings, loss_fn=head.loss if head else None)
        part = slice(start, start + block)
        out.append(predict_prices(tuned, prepared.spec, test.x[part], test.last_price[part]))
    return np.concatenate(out)


def with_baselines(
    config: ForecastConfig, forecast: np.ndarray, series: np.ndarray, windows: Windows,
    mean_return: float,
) -> dict[str, np.ndarray]:
    """The model's forecasts ``(N, h)`` under its cell name, then each baseline's, made at the
    same origins of the target-column ``series`` (``mean_return``: the training period's mean
    log return, :attr:`WindowSpec.mean_return`)."""
    baselines = baseline_forecasts(series, windows.origin, config.horizon,
                                   ma_window=config.baseline_window, mean_return=mean_return)
    return {config.cell: forecast, **baselines}


def score_forecasts(
    split: str,
    actual: np.ndarray,
    last_price: np.ndarray,
    forecasts: dict[str, np.ndarray],
    spec: WindowSpec,
) -> dict[tuple[str, str, str], dict[str, float]]:
    """Metrics of every forecast ``(N, h)`` against ``actual (N, h)``, step by step, keyed
    ``(split, name, step)``; the naive forecast of every step is ``last_price (N,)``, and MASE
    and the mean-return R² use the training yardsticks of ``spec``."""
    return {
        (split, name, step): row
        for name, values in forecasts.items()
        for step, row in step_metrics(actual, values, last_price, naive_scale=spec.naive_scale,
                                      mean_return=spec.mean_return).items()
    }


def check_unseen_test(first: str, last: str, fitted: dict[str, dict[str, str]]) -> None:
    """Refuse a test part (``first`` to ``last``, ISO dates) that overlaps the training and
    validation data the model was fitted on (``fitted``: its manifest's split dates)."""
    seen_first, seen_last = fitted["train"]["first"], fitted["val"]["last"]
    if first <= seen_last:
        raise DataError(
            f"the test part of these prices ({first} to {last}) overlaps the data the model "
            f"was fitted and selected on ({seen_first} to {seen_last}); evaluate it on prices "
            f"that go on after {seen_last}")


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
