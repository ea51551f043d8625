"""``Forecaster``: fit a recurrent model to a price series, predict, forecast, evaluate, save.

Read this module first, then :mod:`lstmlab.evaluation` and :mod:`lstmlab.training`: together
they are the whole forecasting path. It follows scikit-learn's conventions: the constructor only
stores the config; ``fit`` prepares the windows (:func:`lstmlab.pipeline.prepare_for`), trains
with the generic loop of :mod:`lstmlab.training`, and sets the learned state, whose names end in
``_``; ``predict``, ``forecast`` and ``evaluate`` never refit and always use the scalers fitted
on the training part. Scoring is done by :func:`lstmlab.evaluation.evaluate_model`, which takes
the model explicitly; the saved format is :mod:`lstmlab.persist`'s.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from lstmlab.config import ForecastConfig
from lstmlab.data import Prepared, Windows, latest_window, windows_for
from lstmlab.data.load import as_prices
from lstmlab.errors import ConfigError, DataError, ModelFileError, NotFittedError
from lstmlab.evaluation import Evaluation, check_unseen_test, evaluate_model, predict_prices
from lstmlab.intervals import (
    INTERVAL_METHODS,
    BandCalibration,
    band_columns,
    band_levels,
    base_band,
    calibrate,
    calibration_split,
    head_of,
    model_outputs,
)
from lstmlab.manifest import build_manifest
from lstmlab.paths import point_path, sample_paths
from lstmlab.pipeline import build_model, load_inputs, prepare_for, tensors, train_settings
from lstmlab.runtime import resolve_device, torch_threads
from lstmlab.trading_days import DEFAULT_CALENDAR, sessions_after
from lstmlab.training import train
from lstmlab.validation import require_int

if TYPE_CHECKING:
    from torch import nn

    from lstmlab.backtest import Backtest
    from lstmlab.data import WindowSpec

__all__ = ["BAND_QUANTILES", "Forecaster", "prepare_for", "residual_band"]

BAND_QUANTILES = (0.05, 0.95)  # the uncertainty band of `forecast`: a 90% interval

EpochCallback = Callable[[dict[str, float]], None]
# covariate source -> its prices, known source -> its table (a frame, a path, ...)
Covariates = Mapping[str, Any] | None


def _threaded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a Forecaster method with the config's number of PyTorch threads."""

    @functools.wraps(method)
    def wrapper(self: Forecaster, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(self.config.num_threads):
            return method(self, *args, **kwargs)

    return wrapper


class Forecaster:
    """Train a Simple RNN, LSTM or GRU on daily prices and forecast them.

    >>> forecaster = Forecaster(ForecastConfig(cell="lstm")).fit(prices)  # doctest: +SKIP
    >>> forecaster.evaluate(prices).metrics                                # doctest: +SKIP
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        if config is not None and not isinstance(config, ForecastConfig):
            raise ConfigError(f"config must be a ForecastConfig, got {type(config).__name__}")
        self.config = config or ForecastConfig()

    @_threaded
    def fit(self, prices: Any, *, prepared: Prepared | None = None, verbose: bool = False,
            on_epoch: EpochCallback | None = None, covariates: Covariates = None,
            start_state: dict[str, torch.Tensor] | None = None) -> Forecaster:
        """Prepare windows from ``prices``, train, and keep the best-validation weights.

        ``prices`` is anything :func:`lstmlab.load_prices` accepts (a frame it returned is used
        as is). ``prepared``: the windows of ``prices`` already made by
        ``prepare_for(config, prices)``, to share them with the caller. The library prints
        nothing unless ``verbose`` (one line per epoch); ``on_epoch`` receives each epoch's
        history record. ``covariates`` maps the config's covariate sources to their prices, and
        its known sources (``config.known``) to their tables; sources left out are loaded
        (:func:`lstmlab.pipeline.load_inputs`). Pass the same covariates to ``predict``,
        ``forecast`` and ``evaluate``.
        ``start_state`` (a ``state_dict`` of the same model) starts training from those weights
        instead of a fresh initialisation: fine-tuning, as a backtest's ``refit="finetune"``
        does.
        """
        cfg = self.config
        device = resolve_device(cfg.device)
        frame = as_prices(prices)
        prepared = prepared or prepare_for(cfg, frame, covariates=self._covariates(covariates))
        torch.manual_seed(cfg.seed)  # weight initialisation and dropout masks
        model = build_model(cfg, len(prepared.features)).to(device)
        if start_state is not None:
            model.load_state_dict(start_state)
        callbacks = [cb for cb in (on_epoch, _printer(cfg.max_epochs) if verbose else None) if cb]
        stopping, calibration = calibration_split(prepared.val, cfg.calibration_fraction,
                                                     cfg.horizon)
        head = head_of(model)
        result = train(model, tensors(prepared.train, device), tensors(stopping, device),
                       train_settings(cfg), loss_fn=head.loss if head else None,
                       on_epoch=_chain(callbacks))
        self.model_ = model.eval()
        self.calibration_: BandCalibration | None = calibrate(
            model, prepared.spec, calibration, band_levels(cfg.alpha))
        self.calibrated_until_: pd.Timestamp | None = calibration.dates[-1]
        self.spec_ = prepared.spec
        self.prepared_ = prepared  # set by fit only: a loaded forecaster has no windows
        self.history_ = result.history
        self.best_epoch_: int | None = result.best_epoch
        self.stop_reason_: str | None = result.stop_reason
        self.band_ = residual_band(model, prepared.spec, prepared.val)
        self.manifest_ = build_manifest(cfg.seed, frame, prepared.split_dates, str(device))
        return self

    def _covariates(self, covariates: Covariates) -> dict[str, pd.DataFrame]:
        """The frames of the config's covariate and known sources, from ``covariates`` or
        loaded."""
        return load_inputs(self.config, covariates)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(
                "this Forecaster is not fitted yet: call fit(prices) first, or load a saved "
                "model with Forecaster.load(path)"
            )

    @_threaded
    def predict(self, prices: Any, *, covariates: Covariates = None) -> pd.DataFrame:
        """Forecast every complete window of ``prices`` whose targets lie in the data.

        Uses the fitted model and scalers, never refits. Returns a frame indexed by the first
        target date, with ``prediction`` (horizon 1) or ``prediction_1 .. prediction_h``, in
        price units.
        """
        self._check_fitted()
        windows = windows_for(as_prices(prices), self.spec_, self._covariates(covariates))
        h = self.config.horizon
        columns = ["prediction"] if h == 1 else [f"prediction_{k}" for k in range(1, h + 1)]
        values = predict_prices(self.model_, self.spec_, windows.x, windows.last_price)
        return pd.DataFrame(values, index=windows.dates, columns=columns)

    @_threaded
    def forecast(
        self, prices: Any, steps: int, *, method: str = "adaptive", paths: int = 1000,
        calendar: str = DEFAULT_CALENDAR, covariates: Covariates = None,
    ) -> pd.DataFrame:
        """Forecast the ``steps`` trading days after the last row of ``prices``, with bands.

        Up to ``horizon`` steps come from one direct prediction; further steps are recursive
        (:mod:`lstmlab.paths`). ``prediction`` is the point forecast (a head's median or mean),
        ``lower``/``upper`` the central ``1 - alpha`` band and ``lower_50`` .. ``upper_90`` the
        fan, calibrated by ``method``: ``"adaptive"`` (adaptive conformal, first run over the
        windows of ``prices`` newer than the calibration data whose outcomes are known, so the
        band reflects the latest volatility) or ``"split"`` (split conformal). Beyond the
        horizon a distribution head's band comes from ``paths`` sampled paths, and the radius
        is the last step's widened by ``sqrt(k / h)``, not calibrated. ``attrs["interval"]``
        says how the band was made and its measured coverage. A model saved before calibration
        existed keeps its residual-quantile band. The dates are the sessions of the exchange
        ``calendar`` (:mod:`lstmlab.trading_days`; ``"none"``: business days). A model with
        past covariates forecasts at most ``horizon`` steps: their future is unknown. A model
        with known tables needs their values on the ``horizon`` sessions after the last price
        date (and after every forecast step, past the horizon).
        """
        self._check_fitted()
        require_int("steps", steps)
        if self.spec_.covariates and steps > self.config.horizon:
            raise ConfigError(
                f"this model reads past covariates, whose prices after the last day are "
                f"unknown, so it forecasts at most its horizon ({self.config.horizon} step(s)); "
                f"ask for steps <= {self.config.horizon} or train a horizon of {steps}")
        frame = as_prices(prices)
        frames = self._covariates(covariates)
        dates = sessions_after(frame.index[-1], steps + self.config.horizon, calendar)
        if self.calibration_ is None:
            return self._residual_forecast(frame, steps, dates, frames)
        if method not in INTERVAL_METHODS:
            raise ConfigError(f"unknown interval method {method!r}; choose one of "
                              f"{', '.join(INTERVAL_METHODS)}")
        calibration = self._recalibrated(frame, frames)
        point = point_path(self.model_, self.spec_, frame, dates, frames)[:steps]
        sampled = None
        if head_of(self.model_) is not None and steps > self.config.horizon:
            sampled = sample_paths(self.model_, self.spec_, frame, dates[:steps], paths,
                                   self.config.seed, frames)
        table: dict[str, np.ndarray] = {"prediction": point}
        inner: tuple[np.ndarray, np.ndarray] | None = None
        for level in sorted(calibration.levels):
            low, high = self._future_band(frame, frames, level, point, sampled)
            low, high = calibration.apply(level, low[None], high[None], method)
            low, high = low[0], high[0]
            if inner is not None:  # each level calibrates alone: keep the fan nested
                low, high = np.minimum(low, inner[0]), np.maximum(high, inner[1])
            names = band_columns(level)
            table[names[0]], table[names[1]] = inner = low, high
        headline = round(1 - self.config.alpha, 10)
        table["lower"], table["upper"] = (table[name] for name in band_columns(headline))
        out = pd.DataFrame(table, index=dates[:steps])
        out = out[["prediction", "lower", "upper", *out.columns[1:-2]]]
        out.attrs["interval"] = calibration.summary(headline, method)
        return out

    def _recalibrated(self, frame: pd.DataFrame, frames: dict[str, pd.DataFrame]
                      ) -> BandCalibration:
        """A copy of the calibration, run on by adaptive conformal over newer known windows."""
        # forecast() takes the residual band when there is no calibration
        assert self.calibration_ is not None and self.calibrated_until_ is not None
        calibration = copy.deepcopy(self.calibration_)
        try:
            windows = windows_for(frame, self.spec_, frames)
        except DataError:  # too short to hold one complete window: nothing newer to learn from
            return calibration
        newer = np.flatnonzero(windows.dates > self.calibrated_until_)
        if newer.size:
            part = windows.rows(slice(int(newer[0]), None))
            outputs = model_outputs(self.model_, part.x)
            bands = {level: base_band(self.model_, outputs, self.spec_, part.last_price, level)
                     for level in calibration.levels}
            calibration.update(bands, part.actual)
        return calibration

    def _future_band(
        self, frame: pd.DataFrame, frames: dict[str, pd.DataFrame], level: float,
        point: np.ndarray, sampled: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated ``(steps,)`` band: direct quantiles, then those of sampled paths."""
        if head_of(self.model_) is None:
            return point, point
        last = frame[self.config.target_column].to_numpy(dtype=np.float64)[-1:]
        outputs = model_outputs(self.model_, latest_window(frame, self.spec_, frames))
        low, high = (band[0] for band in base_band(self.model_, outputs, self.spec_, last,
                                                   level))  # (h,) each
        steps = point.size
        if sampled is None:
            return low[:steps], high[:steps]
        tails = np.quantile(sampled, [(1 - level) / 2, (1 + level) / 2], axis=0)  # (2, steps)
        h = low.size
        return np.r_[low, tails[0, h:]], np.r_[high, tails[1, h:]]

    def _residual_forecast(self, frame: pd.DataFrame, steps: int, dates: pd.DatetimeIndex,
                           frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """The band of models saved before calibration: residual quantiles, widened by sqrt."""
        prediction = point_path(self.model_, self.spec_, frame, dates, frames)[:steps]
        low, high = self._band_for(steps)
        out = pd.DataFrame(
            {"prediction": prediction, "lower": prediction * np.exp(low),
             "upper": prediction * np.exp(high)},
            index=dates[:steps],
        )
        out.attrs["interval"] = ("90% band from the quantiles of the validation errors "
                                 "(residual quantiles, not calibrated: a model saved before "
                                 "calibrated bands)")
        return out

    def _band_for(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        band = np.asarray(self.band_)  # (h, 2)
        h = band.shape[0]
        k = np.arange(1, steps + 1)
        rows = band[np.minimum(k, h) - 1]  # (steps, 2)
        widen = np.sqrt(np.maximum(k / h, 1.0))[:, None]
        return rows[:, 0] * widen[:, 0], rows[:, 1] * widen[:, 0]

    @_threaded
    def evaluate(self, prices: Any, *, prepared: Prepared | None = None, walk_forward: int = 0,
                 walk_forward_epochs: int = 2, covariates: Covariates = None) -> Evaluation:
        """Score the model and the baselines on validation and test, in price units.

        The split is at the dates the model was fitted with (not the config's fractions, which
        would put a shorter frame's "test" inside the training period), and the scalers are the
        fitted ones (``prepared``: the windows ``fit`` was given, to share them). Prices whose
        test part would overlap the data the model was fitted or selected on are refused with a
        :class:`DataError`. See :func:`lstmlab.evaluation.evaluate_model` for ``walk_forward``.
        """
        self._check_fitted()
        frame = as_prices(prices)
        if prepared is not None and prepared.spec is not self.spec_:
            raise ConfigError("prepared windows must be the ones this forecaster was fitted on; "
                              "leave prepared out to make them from prices")
        fitted = self.manifest_["split_dates"]
        first, last = (f"{frame.index[0]:%Y-%m-%d}", f"{frame.index[-1]:%Y-%m-%d}")
        if last <= fitted["val"]["last"]:  # no unseen day at all: all of it would be "test"
            check_unseen_test(first, last, fitted)
        at_fitted_dates = self.config.replace(split=(fitted["val"]["first"],
                                                     fitted["test"]["first"]))
        prepared = prepared or prepare_for(at_fitted_dates, frame, self.spec_,
                                           self._covariates(covariates))
        test = prepared.split_dates["test"]
        check_unseen_test(test["first"], test["last"], fitted)
        return evaluate_model(self.model_, self.config, prepared, frame,
                              walk_forward=walk_forward, walk_forward_epochs=walk_forward_epochs,
                              calibration=self.calibration_)

    def backtest(self, prices: Any, *, start: str, end: str | None = None,
                 refit_every: int = 63, window: str = "expanding", train_size: int | None = None,
                 refit: str = "full", step: int = 1, jobs: int = 0, address: str | None = None,
                 store: str | Path | None = None, covariates: Covariates = None) -> Backtest:
        """Rolling-origin backtest of this forecaster's config on ``prices``.

        From ``start`` on, a fresh copy is fitted every ``refit_every`` trading days on the days
        before only (``window="rolling"``: the last ``train_size`` of them; ``refit="finetune"``
        continues the previous copy) and forecasts every ``step``-th origin up to the next
        refit; see :mod:`lstmlab.backtest` for ``jobs``, ``address`` and ``store``. Each refit
        reads the ``covariates`` (as in ``fit``) up to its refit date only. This forecaster
        itself is neither needed fitted nor changed.
        """
        from lstmlab.backtest import BacktestSettings, run_backtest

        settings = BacktestSettings(start, end, refit_every, window, train_size, refit, step)
        return run_backtest(as_prices(prices), {self.config.cell: self.config}, settings,
                            jobs=jobs, address=address, store=Path(store) if store else None,
                            covariates=covariates)

    def save(self, path: str | Path) -> Path:
        """Write the model as one safetensors file (weights + JSON metadata), atomically."""
        from lstmlab import persist  # safetensors is only needed to save and load

        self._check_fitted()
        calibration = self.calibration_
        return persist.save_forecaster(path, persist.SavedForecaster(
            self.config, self.spec_, self.model_, self.band_, self.history_, self.manifest_,
            self.best_epoch_, self.stop_reason_,
            calibration.to_dict() if calibration is not None else None,
            f"{self.calibrated_until_:%Y-%m-%d}" if calibration is not None else None))

    def to_onnx(self, path: str | Path) -> Path:
        """Write the model, scalers folded in, as an ONNX graph (see :mod:`lstmlab.export`)."""
        self._check_fitted()
        from lstmlab.export import export_onnx  # onnx is an optional extra

        meta = {"config": self.config.to_dict()}
        return export_onnx(self.model_, self.spec_, path, metadata=meta)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Forecaster:
        """Load a model written by :meth:`save` onto ``device``, validating every part."""
        from lstmlab import persist

        saved = persist.load_forecaster(path, device)
        self = cls(saved.config)
        self.model_, self.spec_, self.band_ = saved.model, saved.spec, saved.band
        self.history_, self.manifest_ = saved.history, saved.manifest
        self.best_epoch_, self.stop_reason_ = saved.best_epoch, saved.stop_reason
        try:
            self.calibration_ = (None if saved.calibration is None
                                 else BandCalibration.from_dict(saved.calibration))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: the saved calibration is inconsistent ({exc}); it "
                                 "may have been edited or written by another program") from None
        self.calibrated_until_ = (None if saved.calibrated_until is None
                                  else pd.Timestamp(saved.calibrated_until))
        return self


def residual_band(model: nn.Module, spec: WindowSpec, windows: Windows) -> list[list[float]]:
    """Quantiles (:data:`BAND_QUANTILES`) of the log errors ``log(actual / forecast)`` of
    ``model`` on ``windows`` (validation), per horizon step: ``h x [low, high]``."""
    forecast = predict_prices(model, spec, windows.x, windows.last_price)
    log_error = np.log(windows.actual / forecast)  # (N, h)
    band: list[list[float]] = np.quantile(log_error, BAND_QUANTILES, axis=0).T.tolist()
    return band


def _chain(callbacks: list[EpochCallback]) -> EpochCallback | None:
    if not callbacks:
        return None

    def chained(record: dict[str, float]) -> None:
        for callback in callbacks:
            callback(record)

    return chained


def _printer(max_epochs: int) -> EpochCallback:
    width = len(str(max_epochs))

    def show(r: dict[str, float]) -> None:
        print(f"epoch {int(r['epoch']):>{width}}/{max_epochs}  train {r['train_loss']:.5f}  "
              f"val {r['val_loss']:.5f}  lr {r['lr']:.1e}  {r['seconds']:.1f}s", flush=True)

    return show
