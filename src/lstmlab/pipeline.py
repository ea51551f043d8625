"""Where a :class:`~lstmlab.config.ForecastConfig` meets the data, the model and the training loop.

Each function reads the config fields it needs and calls the module that does the work:
:func:`prepare_for` the data pipeline (:func:`lstmlab.data.prepare`), :func:`build_model` the
model (:class:`lstmlab.model.SequenceRegressor`), :func:`train_settings` the generic training
loop (:mod:`lstmlab.training`). The forecaster, the evaluation and the CLI jobs share them, so a
config field is translated in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch

from lstmlab.config import ForecastConfig
from lstmlab.data import Prepared, Windows, WindowSpec, prepare
from lstmlab.data.covariates import with_frames
from lstmlab.model import SequenceRegressor
from lstmlab.training import TensorSplit, TrainSettings

__all__ = ["build_model", "load_inputs", "prepare_for", "tensors", "train_settings"]

# the ForecastConfig fields that the training loop reads, under the same names
_TRAINING_FIELDS = ("max_epochs", "batch_size", "optimizer", "learning_rate", "weight_decay",
                    "grad_clip", "patience", "lr_patience", "lr_factor", "seed",
                    "train_loss_sample")


def prepare_for(
    config: ForecastConfig, prices: pd.DataFrame, fitted: WindowSpec | None = None,
    covariates: Mapping[str, pd.DataFrame] | None = None,
) -> Prepared:
    """:func:`lstmlab.data.prepare` with the data settings of ``config`` (``fitted``: scalers).

    ``prices`` is a frame from :func:`lstmlab.load_prices`; ``covariates`` maps each covariate
    source and each known source of the config to its frame (:func:`load_inputs`).
    """
    return prepare(
        prices, target_column=config.target_column, target=config.target,
        horizon=config.horizon, lookback=config.lookback, features=config.features,
        split=config.split, scaler=config.scaler, fitted=fitted,
        covariates=with_frames(config.covariates, covariates),
        calendar=config.calendar if config.calendar_features else None,
        max_fill=config.max_fill, known=with_frames(config.known, covariates, "known table"),
        known_calendar=config.calendar,
    )


def load_inputs(
    config: ForecastConfig, frames: Mapping[str, Any] | None = None, *,
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The frame of every covariate source and known source of ``config``, by source name.

    ``frames`` may already hold some by name (price frames for covariates, tables for known
    sources, or what loads them: :func:`lstmlab.data.covariates.load_covariates`,
    :func:`lstmlab.data.known.load_known`); the others are loaded (``data_dir``: where
    covariate tickers are looked up).
    """
    from lstmlab.data.covariates import load_covariates
    from lstmlab.data.known import load_known

    covariates = load_covariates([name for name, _ in config.covariates], frames,
                                 data_dir=data_dir)
    return {**covariates, **load_known([name for name, _ in config.known], frames)}


def build_model(config: ForecastConfig, input_size: int) -> SequenceRegressor:
    """The untrained network ``config`` describes, for ``input_size`` features."""
    return SequenceRegressor(config.cell, input_size, config.hidden_size, config.horizon,
                             config.num_layers, config.dropout, loss=config.loss,
                             quantiles=config.quantiles, init=config.init, t_max=config.t_max)


def train_settings(config: ForecastConfig, **overrides: Any) -> TrainSettings:
    """The training loop's settings from ``config``, with some ``overrides``."""
    return TrainSettings(**{**{n: getattr(config, n) for n in _TRAINING_FIELDS}, **overrides})


def tensors(windows: Windows, device: torch.device) -> TensorSplit:
    """Inputs and scaled targets of ``windows`` on ``device``, as the training loop takes them."""
    return TensorSplit(windows.x.to(device), windows.y.to(device))
