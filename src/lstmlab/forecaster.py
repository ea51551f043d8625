"""``Forecaster``: fit a recurrent model to a price series, predict, evaluate, forecast, save.

It follows scikit-learn's conventions: the constructor only stores the config; ``fit``
validates, prepares the windows (:func:`lstmlab.data.prepare`), trains with the generic loop of
:mod:`lstmlab.training`, and sets the learned state, whose names end in ``_``; ``predict`` and
``evaluate`` never refit. Model outputs are mapped back to prices before any comparison, and every
model is scored next to the naive, drift and moving-average baselines on the very same days.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmlab import forecast_io
from lstmlab.baselines import baseline_forecasts
from lstmlab.config import ForecastConfig
from lstmlab.data import Prepared, Windows, prepare
from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.metrics import forecast_metrics, metrics_table
from lstmlab.model import SequenceRegressor
from lstmlab.training import TensorSplit, TrainSettings, train

__all__ = ["BAND_QUANTILES", "Evaluation", "Forecaster"]

BAND_QUANTILES = (0.05, 0.95)  # the uncertainty band of `forecast`: a 90% interval
_PREDICT_CHUNK = 8192


@dataclass
class Evaluation:
    """Scores of a fitted model and of the baselines on the validation and test periods.

    ``metrics`` is indexed by ``(split, model)``; ``predictions`` has one row per target date
    (the first forecast step) with columns ``split``, ``actual``, the model's cell name and the
    baselines, all in price units.
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame

    def summary(self, split: str = "test") -> str:
        """One sentence: how the model's RMSE compares with the naive forecast's."""
        models = [m for m in self.metrics.loc[split].index if m not in _BASELINES]
        model = models[0]
        rmse = self.metrics.loc[(split, model), "rmse"]
        naive = self.metrics.loc[(split, "naive"), "rmse"]
        verdict = "beats" if rmse < naive else "does not beat"
        return (f"On the {split} period the {model.upper()} {verdict} the naive forecast: RMSE "
                f"{rmse:.3f} against {naive:.3f} ({rmse / naive:.3f}x).")


_BASELINES = ("naive", "drift", "moving_average")


class Forecaster:
    """Train a Simple RNN, LSTM or GRU on daily prices and forecast them.

    >>> forecaster = Forecaster(ForecastConfig(cell="lstm")).fit(prices)  # doctest: +SKIP
    >>> forecaster.evaluate(prices).metrics                                # doctest: +SKIP
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        if config is not None and not isinstance(config, ForecastConfig):
            raise ConfigError(f"config must be a ForecastConfig, got {type(config).__name__}")
        self.config = config or ForecastConfig()

    # ----------------------------------------------------------------------------------- fit
    def fit(
        self,
        prices: pd.DataFrame,
        *,
        verbose: bool = True,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> Forecaster:
        """Prepare windows from ``prices``, train, and keep the best-validation weights."""
        cfg = self.config
        device = _device(cfg.device)
        prepared = self._prepare(prices)
        torch.manual_seed(cfg.seed)  # weight initialisation and dropout masks
        model = self._build_model(len(prepared.features)).to(device)
        callbacks = [cb for cb in (on_epoch, _printer(cfg.max_epochs) if verbose else None) if cb]
        result = train(
            model,
            _tensors(prepared.train, device),
            _tensors(prepared.val, device),
            _settings(cfg),
            on_epoch=(lambda record: [cb(record) for cb in callbacks]) if callbacks else None,
        )
        self.model_ = model.eval()
        self.prepared_ = prepared
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stop_reason_ = result.stop_reason
        self.band_ = self._residual_band(prepared.val)
        self.manifest_ = forecast_io.manifest(cfg, prices, prepared)
        return self

    def _prepare(self, prices: pd.DataFrame) -> Prepared:
        cfg = self.config
        return prepare(
            prices, target_column=cfg.target_column, target=cfg.target, horizon=cfg.horizon,
            lookback=cfg.lookback, features=cfg.features, split=cfg.split, scaler=cfg.scaler,
        )

    def _build_model(self, input_size: int) -> SequenceRegressor:
        cfg = self.config
        return SequenceRegressor(cfg.cell, input_size, cfg.hidden_size, cfg.horizon,
                                 cfg.num_layers, cfg.dropout)

    # ------------------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise LstmlabError("this Forecaster is not fitted yet: call fit(prices) or load a "
                               "saved model with Forecaster.load(path)")

    @torch.no_grad()
    def _predict_windows(self, windows: Windows) -> np.ndarray:
        """Model forecasts for ``windows`` in price units, ``(N, horizon)``."""
        self.model_.eval()
        device = next(self.model_.parameters()).device
        chunks = [self.model_(x.to(device)).cpu() for x in windows.x.split(_PREDICT_CHUNK)]
        scaled = torch.cat(chunks).double().numpy() if chunks else np.zeros((0, self.config.horizon))
        return self.prepared_.to_prices(scaled, windows.last_price)

    def predict(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Forecast every window of ``prices`` with the fitted model (no refit, fitted scalers).

        Returns a frame indexed by the first target date with ``prediction`` (horizon 1) or
        ``prediction_1 .. prediction_h`` in price units.
        """
        self._check_fitted()
        windows = self._all_windows(prices)
        values = self._predict_windows(windows)
        h = self.config.horizon
        columns = ["prediction"] if h == 1 else [f"prediction_{k}" for k in range(1, h + 1)]
        return pd.DataFrame(values, index=pd.DatetimeIndex(windows.dates, name="date"),
                            columns=columns)

    # ----------------------------------------------------------------------------- evaluate
    def evaluate(
        self, prices: pd.DataFrame, *, walk_forward: int = 0, walk_forward_epochs: int = 2
    ) -> Evaluation:
        """Score the model and the baselines on validation and test, in price units.

        ``walk_forward=k`` adds a ``test_walk_forward`` split: the test period is predicted in
        blocks of ``k`` days, and before each block a copy of the model is fine-tuned for
        ``walk_forward_epochs`` epochs on every window whose target is known by then (an
        expanding window; the scalers stay those fitted on the training part).
        """
        self._check_fitted()
        prepared = self._prepare_with_fitted_scalers(prices)
        series = prices[self.config.target_column].to_numpy(dtype=np.float64)
        rows: dict[tuple[str, str], dict[str, float]] = {}
        frames = []
        for split in ("val", "test"):
            windows = getattr(prepared, split)
            forecasts = self._all_forecasts(series, windows, self._predict_windows(windows))
            rows.update(self._score(split, windows, forecasts))
            frames.append(self._prediction_frame(split, windows, forecasts))
        if walk_forward:
            forecasts = self._walk_forward(series, prepared, walk_forward, walk_forward_epochs)
            rows.update(self._score("test_walk_forward", prepared.test, forecasts))
        return Evaluation(metrics=metrics_table(rows), predictions=pd.concat(frames))

    def _all_forecasts(
        self, series: np.ndarray, windows: Windows, model: np.ndarray
    ) -> dict[str, np.ndarray]:
        baselines = baseline_forecasts(series, windows.origin, self.config.horizon,
                                       ma_window=self.config.baseline_window)
        return {self.config.cell: model, **baselines}

    def _score(self, split: str, windows: Windows, forecasts: dict[str, np.ndarray]) -> dict:
        h = self.config.horizon
        previous = np.repeat(windows.last_price, h)  # naive forecast for every step
        actual = windows.actual.reshape(-1)
        return {(split, name): forecast_metrics(actual, values.reshape(-1), previous, horizon=h)
                for name, values in forecasts.items()}

    @staticmethod
    def _prediction_frame(split: str, windows: Windows, forecasts: dict[str, np.ndarray]):
        frame = pd.DataFrame({"split": split, "actual": windows.actual[:, 0]},
                             index=pd.DatetimeIndex(windows.dates, name="date"))
        for name, values in forecasts.items():
            frame[name] = values[:, 0]  # first forecast step
        return frame
