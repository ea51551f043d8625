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

Past covariates (``config.covariates``) are the same sources for every series, each aligned on
that series' own trading days (:mod:`lstmlab.data.covariates`): one network needs the same
inputs for all. A covariate that is one of the series itself (the same prices on the dates they
share) is refused with a :class:`ConfigError`: for that series it would only repeat its own
features, and dropping it for one series would change the network's inputs; use a market proxy
(``"A+B+C"``) or other series instead.

Evaluation is per series, against that series' baselines, with :func:`evaluate_model`; the
pooled table puts every series' test RMSE next to its naive forecast's. :meth:`GlobalForecaster.
backtest` refits one global model per refit date of a rolling-origin backtest
(:mod:`lstmlab.backtest.panel`); :meth:`~GlobalForecaster.save` writes one model file
(:func:`lstmlab.persist.save_global`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from lstmlab.config import ForecastConfig
from lstmlab.data import Windows, WindowSpec
from lstmlab.data.covariates import load_covariates
from lstmlab.data.load import as_prices
from lstmlab.errors import ConfigError, NotFittedError
from lstmlab.evaluation import Evaluation, evaluate_model
from lstmlab.forecaster import residual_band
from lstmlab.intervals import band_levels, calibrate, calibration_split, head_of
from lstmlab.manifest import build_manifest
from lstmlab.pipeline import build_model, prepare_for, train_settings
from lstmlab.runtime import resolve_device, torch_threads
from lstmlab.training import TensorSplit, train

if TYPE_CHECKING:
    from lstmlab.backtest.panel import GlobalBacktest
    from lstmlab.model import SequenceRegressor

__all__ = ["GlobalEvaluation", "GlobalForecaster", "WithSeriesId"]

Covariates = Mapping[str, Any] | None  # covariate source -> its prices (a frame, a path, ...)


class WithSeriesId(nn.Module):
    """``model`` fed a window ``(B, T, F)`` plus the series' one-hot columns ``(B, T, S)``."""

    def __init__(self, model: nn.Module, one_hot: torch.Tensor) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("one_hot", one_hot)  # (S,)

    @property
    def head(self) -> nn.Module | None:
        """The wrapped network's output head (a distribution head is read through it)."""
        head: nn.Module | None = getattr(self.model, "head", None)
        return head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        one_hot: torch.Tensor = self.one_hot  # type: ignore[assignment]
        ids = one_hot.to(x.dtype).expand(x.shape[0], x.shape[1], -1)  # (B, T, S)
        out: torch.Tensor = self.model(torch.cat([x, ids], dim=2))  # (B, horizon)
        return out


class GlobalForecaster:
    """Fit one recurrent model on several price series; evaluate it on each.

    >>> model = GlobalForecaster().fit({"TSLA": tsla, "AAPL": aapl})  # doctest: +SKIP
    >>> model.evaluate({"TSLA": tsla, "MSFT": msft}).pooled      # doctest: +SKIP
    """

    def __init__(self, config: ForecastConfig | None = None, *, series_id: bool = False) -> None:
        if config is not None and not isinstance(config, ForecastConfig):
            raise ConfigError(f"config must be a ForecastConfig, got {type(config).__name__}")
        self.config = config or ForecastConfig()
        if self.config.known:
            raise ConfigError(f"a global model does not read known tables yet; drop "
                              f"{[name for name, _ in self.config.known]} or fit one Forecaster "
                              "per series")
        self.series_id = series_id

    def fit(self, series: Mapping[str, Any], *,
            on_epoch: Callable[[dict[str, float]], None] | None = None,
            covariates: Covariates = None,
            start_state: dict[str, torch.Tensor] | None = None) -> GlobalForecaster:
        """Train on the pooled windows of ``series`` (name -> prices) and keep the best weights.

        ``covariates`` maps the config's covariate sources to their prices (the others are
        loaded); every series reads all of them. ``start_state`` (a ``state_dict`` of the same
        network) starts from those weights: fine-tuning, as a backtest's ``refit="finetune"``.
        As :meth:`lstmlab.Forecaster.fit`, early stopping reads the first part of each series'
        validation windows and each series' conformal calibration (``calibrations_``) the rest;
        ``bands_`` holds each series' validation residual band. Both are set by ``fit`` only.
        """
        if len(series) < 2:
            raise ConfigError(f"a global model needs at least two series, got {len(series)}")
        cfg = self.config
        device = resolve_device(cfg.device)
        frames = {name: as_prices(prices) for name, prices in series.items()}
        extra = self._covariates(covariates)
        refuse_itself(frames, extra, cfg.target_column)
        self.series_ = list(frames)
        prepared = {name: prepare_for(cfg, f, covariates=extra) for name, f in frames.items()}
        # as Forecaster.fit: early stopping on the first part of each series' validation
        # windows, conformal calibration on the rest, which training never sees
        splits = {name: calibration_split(p.val, cfg.calibration_fraction, cfg.horizon)
                  for name, p in prepared.items()}
        with torch_threads(cfg.num_threads):
            torch.manual_seed(cfg.seed)
            inputs = len(next(iter(prepared.values())).features) + self._extra()
            self.model_: SequenceRegressor = build_model(cfg, inputs).to(device)
            if start_state is not None:
                self.model_.load_state_dict(start_state)
            head = head_of(self.model_)
            result = train(self.model_,
                           self._pooled([p.train for p in prepared.values()], device),
                           self._pooled([stop for stop, _ in splits.values()], device),
                           train_settings(cfg), loss_fn=head.loss if head else None,
                           on_epoch=on_epoch)
            self.model_.eval()
            self.calibrations_ = {
                name: calibrate(self.model_for(name), p.spec, splits[name][1],
                                band_levels(cfg.alpha)) for name, p in prepared.items()}
            self.bands_ = {name: residual_band(self.model_for(name), p.spec, p.val)
                           for name, p in prepared.items()}
        self.prepared_ = prepared  # set by fit only: a loaded model has no windows
        self.specs_: dict[str, WindowSpec] = {name: p.spec for name, p in prepared.items()}
        self.history_ = result.history
        self.best_epoch_: int | None = result.best_epoch
        self.stop_reason_: str | None = result.stop_reason
        self.manifest_ = {name: build_manifest(cfg.seed, frames[name], p.split_dates,
                                               str(device)) for name, p in prepared.items()}
        return self

    def _covariates(self, covariates: Covariates) -> dict[str, pd.DataFrame]:
        """The frames of the config's covariate sources, from ``covariates`` or loaded."""
        return load_covariates([name for name, _ in self.config.covariates], covariates)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this GlobalForecaster is not fitted yet: call fit(series), or "
                                 "load a saved one with GlobalForecaster.load(path)")

    def evaluate(self, series: Mapping[str, Any], *,
                 covariates: Covariates = None) -> GlobalEvaluation:
        """Score the model on each series (trained on or new) against its own baselines."""
        self._check_fitted()
        frames = {name: as_prices(prices) for name, prices in series.items()}
        extra = self._covariates(covariates)
        refuse_itself(frames, extra, self.config.target_column)
        per_series = {}
        with torch_threads(self.config.num_threads):
            for name, frame in frames.items():
                prepared = prepare_for(self.config, frame, covariates=extra)  # its own scalers
                per_series[name] = evaluate_model(self.model_for(name), self.config, prepared,
                                                  frame)
        return GlobalEvaluation(per_series, self.config.cell)

    def model_for(self, name: str) -> nn.Module:
        """The network as it reads series ``name`` (its one-hot columns, zero if unseen)."""
        self._check_fitted()
        if not self.series_id:
            return self.model_
        one_hot = torch.zeros(len(self.series_))
        if name in self.series_:
            one_hot[self.series_.index(name)] = 1.0
        return WithSeriesId(self.model_, one_hot.to(next(self.model_.parameters()).device))

    def backtest(self, series: Mapping[str, Any], *, start: str, end: str | None = None,
                 refit_every: int = 63, window: str = "expanding",
                 train_size: int | None = None, refit: str = "full", step: int = 1,
                 jobs: int = 0, address: str | None = None, store: str | Path | None = None,
                 covariates: Covariates = None) -> GlobalBacktest:
        """Rolling-origin backtest of this configuration as a global model over ``series``.

        At each refit date one global model is fitted on every series' past and forecasts each
        series' origins up to the next refit; settings as in
        :meth:`lstmlab.Forecaster.backtest`. This model itself is neither needed fitted nor
        changed.
        """
        from lstmlab.backtest.panel import run_global_backtest
        from lstmlab.backtest.plan import BacktestSettings

        settings = BacktestSettings(start, end, refit_every, window, train_size, refit, step)
        return run_global_backtest(series, {self.config.cell: self.config}, settings,
                                   series_id=self.series_id, jobs=jobs, address=address,
                                   store=Path(store) if store else None, covariates=covariates)

    def save(self, path: str | Path) -> Path:
        """Write the model as one safetensors file (weights, each series' scalers), atomically."""
        from lstmlab import persist

        self._check_fitted()
        return persist.save_global(path, persist.SavedGlobal(
            self.config, self.series_id, self.specs_, self.model_, self.history_,
            self.manifest_, self.best_epoch_, self.stop_reason_))

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> GlobalForecaster:
        """Load a model written by :meth:`save` onto ``device``, validating every part."""
        from lstmlab import persist

        saved = persist.load_global(path, device)
        self = cls(saved.config, series_id=saved.series_id)
        self.series_, self.specs_, self.model_ = list(saved.specs), saved.specs, saved.model
        self.history_, self.manifest_ = saved.history, saved.manifest
        self.best_epoch_, self.stop_reason_ = saved.best_epoch, saved.stop_reason
        return self

    def _extra(self) -> int:
        return len(self.series_) if self.series_id else 0

    def _pooled(self, parts: list[Windows], device: torch.device) -> TensorSplit:
        """One training split of every series' windows (``parts``, in series order)."""
        xs, ys = [], []
        for i, windows in enumerate(parts):
            x = windows.x  # (N, L, F)
            if self.series_id:
                ids = torch.zeros(x.shape[0], x.shape[1], len(parts))  # (N, L, S)
                ids[..., i] = 1.0
                x = torch.cat([x, ids], dim=2)
            xs.append(x)
            ys.append(windows.y)
        return TensorSplit(torch.cat(xs).to(device), torch.cat(ys).to(device))


def refuse_itself(series: Mapping[str, pd.DataFrame], covariates: Mapping[str, pd.DataFrame],
                  column: str) -> None:
    """A :class:`ConfigError` when a covariate is one of ``series`` (the same ``column`` on
    every date they share, at least two)."""
    for name, frame in series.items():
        for source, covariate in covariates.items():
            common = frame.index.intersection(covariate.index)
            if column not in covariate.columns or len(common) < 2:
                continue
            if np.array_equal(frame.loc[common, column].to_numpy(),
                              covariate.loc[common, column].to_numpy()):
                raise ConfigError(
                    f"covariate {source} is the series {name} itself (the same {column} on the "
                    f"{len(common)} dates they share); a global model gives every series the "
                    f"same covariates, so drop {source} from them (each series' own features "
                    f"feed the model already), or use a market proxy such as "
                    f"{'+'.join(series)!r}")


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
            rmse, p_value = m.loc[("test", self.cell), ["rmse", "dm_p_value"]].to_numpy(
                dtype=np.float64)
            naive = m.loc[("test", "naive"), ["rmse"]].to_numpy(dtype=np.float64)[0]
            rows.append({"series": name, "rmse": rmse, "naive_rmse": naive,
                         "ratio_to_naive": rmse / naive, "dm_p_value": p_value})
        return pd.DataFrame(rows).set_index("series")
