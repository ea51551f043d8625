"""A global model: one network trained on the windows of many series at once.

Each series keeps its own pipeline: its features, split and scalers come from its own training
part (:func:`lstmlab.pipeline.prepare_for`), so a cheap stock and an expensive one look alike to
the network. The training windows of all series are pooled into one training set (and their
validation windows into one validation set for early stopping), which gives the network several
times the data of any single ticker.

``series_id=True`` adds a static covariate: a one-hot column per training series, repeated at
every time step. The network's input weights on those columns are a learned embedding of the
series (an embedding layer is a linear map of a one-hot vector). A series the model was not
trained on (a cold start) gets all-zero columns and its own scalers, fitted on its own history.

Evaluation is per series, against that series' baselines, with :func:`evaluate_model`; the
pooled table puts every series' test RMSE next to its naive forecast's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch
from torch import nn

from lstmlab.config import ForecastConfig
from lstmlab.data import Prepared
from lstmlab.data.load import as_prices
from lstmlab.errors import ConfigError, NotFittedError
from lstmlab.evaluation import Evaluation, evaluate_model
from lstmlab.pipeline import build_model, prepare_for, train_settings
from lstmlab.runtime import resolve_device, torch_threads
from lstmlab.training import TensorSplit, train

__all__ = ["GlobalForecaster", "WithSeriesId"]


class WithSeriesId(nn.Module):
    """``model`` fed a window ``(B, T, F)`` plus the series' one-hot columns ``(B, T, S)``."""

    def __init__(self, model: nn.Module, one_hot: torch.Tensor) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("one_hot", one_hot)  # (S,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = self.one_hot.to(x.dtype).expand(x.shape[0], x.shape[1], -1)  # (B, T, S)
        return self.model(torch.cat([x, ids], dim=2))  # (B, horizon)


class GlobalForecaster:
    """Fit one recurrent model on several price series; evaluate it on each.

    >>> model = GlobalForecaster().fit({"TSLA": tsla, "AAPL": aapl})  # doctest: +SKIP
    >>> model.evaluate({"TSLA": tsla, "MSFT": msft}).pooled      # doctest: +SKIP
    """

    def __init__(self, config: ForecastConfig | None = None, *, series_id: bool = False) -> None:
        self.config = config or ForecastConfig()
        self.series_id = series_id
        if self.config.covariates:
            raise ConfigError("a global model takes no past covariates yet; train it on the "
                              "series alone, or fit one Forecaster per series with covariates")

    def fit(self, series: Mapping[str, Any], *, on_epoch: Any = None) -> GlobalForecaster:
        """Train on the pooled windows of ``series`` (name -> prices) and keep the best weights."""
        if len(series) < 2:
            raise ConfigError(f"a global model needs at least two series, got {len(series)}")
        cfg = self.config
        device = resolve_device(cfg.device)
        self.series_ = list(series)
        prepared = {name: prepare_for(cfg, as_prices(p)) for name, p in series.items()}
        with torch_threads(cfg.num_threads):
            torch.manual_seed(cfg.seed)
            inputs = len(next(iter(prepared.values())).features) + self._extra()
            self.model_ = build_model(cfg, inputs).to(device)
            result = train(self.model_, self._pooled(prepared, "train", device),
                           self._pooled(prepared, "val", device), train_settings(cfg),
                           on_epoch=on_epoch)
        self.model_.eval()
        self.history_ = result.history
        self.stop_reason_ = result.stop_reason
        return self

    def evaluate(self, series: Mapping[str, Any]) -> GlobalEvaluation:
        """Score the model on each series (trained on or new) against its own baselines."""
        if not hasattr(self, "model_"):
            raise NotFittedError("this GlobalForecaster is not fitted yet: call fit(series)")
        per_series = {}
        with torch_threads(self.config.num_threads):
            for name, prices in series.items():
                frame = as_prices(prices)
                prepared = prepare_for(self.config, frame)  # a new series: its own scalers
                per_series[name] = evaluate_model(self.model_for(name), self.config, prepared,
                                                  frame)
        return GlobalEvaluation(per_series, self.config.cell)

    def model_for(self, name: str) -> nn.Module:
        """The network as it reads series ``name`` (its one-hot columns, zero if unseen)."""
        if not self.series_id:
            return self.model_
        one_hot = torch.zeros(len(self.series_))
        if name in self.series_:
            one_hot[self.series_.index(name)] = 1.0
        return WithSeriesId(self.model_, one_hot.to(next(self.model_.parameters()).device))

    def _extra(self) -> int:
        return len(self.series_) if self.series_id else 0

    def _pooled(self, prepared: dict[str, Prepared], split: str,
                device: torch.device) -> TensorSplit:
        xs, ys = [], []
        for i, windows in enumerate(getattr(p, split) for p in prepared.values()):
            x = windows.x  # (N, L, F)
            if self.series_id:
                ids = torch.zeros(x.shape[0], x.shape[1], len(prepared))  # (N, L, S)
                ids[..., i] = 1.0
                x = torch.cat([x, ids], dim=2)
            xs.append(x)
            ys.append(windows.y)
        return TensorSplit(torch.cat(xs).to(device), torch.cat(ys).to(device))


class GlobalEvaluation:
    """Per-series :class:`Evaluation` of a global model, and the pooled test table."""

    def __init__(self, per_series: dict[str, Evaluation], cell: str) -> None:
        self.per_series = per_series
        self.cell = cell

    @property
    def metrics(self) -> pd.DataFrame:
        """Every series' metrics, indexed by ``(series, split, model, step)``."""
        return pd.concat({name: e.metrics for name, e in self.per_series.items()},
                         names=["series"])

    @property
    def pooled(self) -> pd.DataFrame:
        """Per series: the model's test RMSE, the naive RMSE, their ratio and the DM p-value."""
        rows = []
        for name, evaluation in self.per_series.items():
            m = evaluation.at_step()  # the whole forecast: the mean over its steps
            model, naive = m.loc[("test", self.cell)], m.loc[("test", "naive")]
            rows.append({"series": name, "rmse": model["rmse"], "naive_rmse": naive["rmse"],
                         "ratio_to_naive": model["rmse"] / naive["rmse"],
                         "dm_p_value": model["dm_p_value"]})
        return pd.DataFrame(rows).set_index("series")
