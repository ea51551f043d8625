"""``Forecaster``: fit a recurrent model to a price series, predict, evaluate, forecast, save.

It follows scikit-learn's conventions: the constructor only stores the config; ``fit``
validates, prepares the windows (:func:`lstmlab.data.prepare`), trains with the generic loop of
:mod:`lstmlab.training`, and sets the learned state, whose names end in ``_``; ``predict``,
``evaluate`` and ``forecast`` never refit and always use the scalers fitted on the training part.
Model outputs are mapped back to prices before any comparison, and every model is scored next to
the naive, drift and moving-average baselines on the very same days.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmlab._version import __version__
from lstmlab.baselines import mean_log_return
from lstmlab.config import ForecastConfig
from lstmlab.data import (
    Prepared,
    Windows,
    WindowSpec,
    latest_window,
    load_prices,
    prepare,
    windows_for,
)
from lstmlab.errors import ConfigError, DataError, LstmlabError, ModelFileError
from lstmlab.evaluation import Evaluation, prediction_frame, score_forecasts, with_baselines
from lstmlab.interval_evaluation import score_bands
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
    point_prices,
)
from lstmlab.manifest import build_manifest
from lstmlab.metrics import metrics_table
from lstmlab.model import SequenceRegressor
from lstmlab.paths import point_path, sample_paths
from lstmlab.runtime import resolve_device, torch_threads
from lstmlab.training import HISTORY_COLUMNS, TensorSplit, TrainSettings, train
from lstmlab.validation import require_int

__all__ = ["BAND_QUANTILES", "Forecaster", "prepare_for"]

BAND_QUANTILES = (0.05, 0.95)  # the uncertainty band of `forecast`: a 90% interval
FORMAT = "lstmlab.forecaster/1"  # saved-model layout; bump when it changes incompatibly


def prepare_for(
    config: ForecastConfig, prices: pd.DataFrame, fitted: WindowSpec | None = None
) -> Prepared:
    """:func:`lstmlab.data.prepare` with the data settings of ``config`` (``fitted``: scalers)."""
    return prepare(
        prices, target_column=config.target_column, target=config.target,
        horizon=config.horizon, lookback=config.lookback, features=config.features,
        split=config.split, scaler=config.scaler, fitted=fitted,
    )


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

    # ------------------------------------------------------------------------------ fitting
    @_threaded
    def fit(
        self,
        prices: Any,
        *,
        verbose: bool = True,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> Forecaster:
        """Prepare windows from ``prices``, train, and keep the best-validation weights.

        ``prices`` is anything :func:`lstmlab.load_prices` accepts. ``verbose`` prints one line
        per epoch; ``on_epoch`` receives each epoch's history record as well.
        """
        cfg = self.config
        device = resolve_device(cfg.device)
        frame = load_prices(prices)
        prepared = prepare_for(cfg, frame)
        torch.manual_seed(cfg.seed)  # weight initialisation and dropout masks
        model = self._build_model(len(prepared.features)).to(device)
        callbacks = [cb for cb in (on_epoch, _printer(cfg.max_epochs) if verbose else None) if cb]
        stopping, calibration = calibration_split(prepared.val, cfg.calibration, cfg.horizon)
        head = head_of(model)
        result = train(
            model, _tensors(prepared.train, device), _tensors(stopping, device),
            _settings(cfg), loss_fn=head.loss if head else None, on_epoch=_chain(callbacks),
        )
        self.model_ = model.eval()
        self.calibration_: BandCalibration | None = calibrate(
            model, prepared.spec, calibration, band_levels(cfg.alpha))
        self.calibrated_until_ = calibration.dates[-1]
        self.spec_: WindowSpec = prepared.spec
        self.prepared_ = prepared
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stop_reason_ = result.stop_reason
        self.band_ = self._residual_band(prepared.val)
        self.manifest_ = build_manifest(cfg.seed, frame, prepared.split_dates, str(device))
        return self

    def _build_model(self, input_size: int) -> SequenceRegressor:
        cfg = self.config
        return SequenceRegressor(
            cfg.cell, input_size, cfg.hidden_size, cfg.horizon, cfg.num_layers, cfg.dropout,
            loss=cfg.loss, quantiles=cfg.quantiles,
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise LstmlabError(
                "this Forecaster is not fitted yet: call fit(prices) first, or load a saved "
                "model with Forecaster.load(path)"
            )

    # --------------------------------------------------------------------------- predicting
    @torch.no_grad()
    def _predict_prices(self, x: torch.Tensor, last_price: np.ndarray) -> np.ndarray:
        """Forecasts in price units ``(N, horizon)`` for windows ``x (N, L, F)``."""
        return point_prices(self.model_, model_outputs(self.model_, x), self.spec_, last_price)

    @_threaded
    def predict(self, prices: Any) -> pd.DataFrame:
        """Forecast every complete window of ``prices`` whose targets lie in the data.

        Uses the fitted model and scalers, never refits. Returns a frame indexed by the first
        target date, with ``prediction`` (horizon 1) or ``prediction_1 .. prediction_h``, in
        price units.
        """
        self._check_fitted()
        windows = windows_for(load_prices(prices), self.spec_)
        h = self.config.horizon
        columns = ["prediction"] if h == 1 else [f"prediction_{k}" for k in range(1, h + 1)]
        values = self._predict_prices(windows.x, windows.last_price)
        return pd.DataFrame(values, index=windows.dates, columns=columns)

    def _residual_band(self, windows: Windows) -> list[list[float]]:
        """Quantiles of the validation log errors ``log(actual / forecast)`` per horizon step."""
        forecast = self._predict_prices(windows.x, windows.last_price)
        log_error = np.log(windows.actual / forecast)  # (N, h)
        return np.quantile(log_error, BAND_QUANTILES, axis=0).T.tolist()  # h x [low, high]

    @_threaded
    def forecast(
        self, prices: Any, steps: int, *, method: str = "adaptive", paths: int = 1000
    ) -> pd.DataFrame:
        """Forecast the ``steps`` business days after the last row of ``prices``, with bands.

        Up to ``horizon`` steps come from one direct prediction; further steps are recursive
        (:mod:`lstmlab.paths`). ``prediction`` is the point forecast (a head's median or mean),
        ``lower``/``upper`` the central ``1 - alpha`` band and ``lower_50`` .. ``upper_90`` the
        fan, calibrated by ``method``: ``"adaptive"`` (adaptive conformal, first run over the
        windows of ``prices`` newer than the calibration data whose outcomes are known, so the
        band reflects the latest volatility) or ``"split"`` (split conformal). Beyond the
        horizon a distribution head's band comes from ``paths`` sampled paths, and the radius
        is the last step's widened by ``sqrt(k / h)``, not calibrated. ``attrs["interval"]``
        says how the band was made and its measured coverage. A model saved before calibration
        existed keeps its residual-quantile band. Business days do not skip market holidays.
        """
        self._check_fitted()
        require_int("steps", steps)
        frame = load_prices(prices)
        if self.calibration_ is None:
            return self._residual_forecast(frame, steps)
        if method not in INTERVAL_METHODS:
            raise ConfigError(f"unknown interval method {method!r}; choose one of "
                              f"{', '.join(INTERVAL_METHODS)}")
        calibration = self._recalibrated(frame)
        point = point_path(self.model_, self.spec_, frame, steps)
        sampled = None
        if head_of(self.model_) is not None and steps > self.config.horizon:
            sampled = sample_paths(self.model_, self.spec_, frame, steps, paths,
                                   self.config.seed)
        table: dict[str, np.ndarray] = {"prediction": point}
        for level in calibration.levels:
            low, high = self._future_band(frame, level, point, sampled)
            low, high = calibration.apply(level, low[None], high[None], method)
            names = band_columns(level)
            table[names[0]], table[names[1]] = low[0], high[0]
        headline = round(1 - self.config.alpha, 10)
        table["lower"], table["upper"] = (table[name] for name in band_columns(headline))
        dates = pd.bdate_range(frame.index[-1], periods=steps + 1)[1:]
        out = pd.DataFrame(table, index=pd.DatetimeIndex(dates, name="date"))
        out = out[["prediction", "lower", "upper", *out.columns[1:-2]]]
        out.attrs["interval"] = calibration.summary(headline, method)
        return out

    def _recalibrated(self, frame: pd.DataFrame) -> BandCalibration:
        """A copy of the calibration, run on by adaptive conformal over newer known windows."""
        calibration = copy.deepcopy(self.calibration_)
        try:
            windows = windows_for(frame, self.spec_)
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
        self, frame: pd.DataFrame, level: float, point: np.ndarray, sampled: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated ``(steps,)`` band: direct quantiles, then those of sampled paths."""
        if head_of(self.model_) is None:
            return point, point
        last = frame[self.config.target_column].to_numpy(dtype=np.float64)[-1:]
        outputs = model_outputs(self.model_, latest_window(frame, self.spec_))
        low, high = (band[0] for band in base_band(self.model_, outputs, self.spec_, last,
                                                   level))  # (h,) each
        steps = point.size
        if sampled is None:
            return low[:steps], high[:steps]
        tails = np.quantile(sampled, [(1 - level) / 2, (1 + level) / 2], axis=0)  # (2, steps)
        h = low.size
        return np.r_[low, tails[0, h:]], np.r_[high, tails[1, h:]]

    def _residual_forecast(self, frame: pd.DataFrame, steps: int) -> pd.DataFrame:
        """The band of models saved before calibration: residual quantiles, widened by sqrt."""
        prediction = point_path(self.model_, self.spec_, frame, steps)
        low, high = self._band_for(steps)
        dates = pd.bdate_range(frame.index[-1], periods=steps + 1)[1:]
        out = pd.DataFrame(
            {"prediction": prediction, "lower": prediction * np.exp(low),
             "upper": prediction * np.exp(high)},
            index=pd.DatetimeIndex(dates, name="date"),
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

    # --------------------------------------------------------------------------- evaluating
    @_threaded
    def evaluate(
        self, prices: Any, *, walk_forward: int = 0, walk_forward_epochs: int = 2
    ) -> Evaluation:
        """Score the model and the baselines on validation and test, in price units.

        The split is the config's, applied to ``prices``; the scalers are the fitted ones.
        ``walk_forward=k`` adds a ``test_walk_forward`` split: the test period is predicted in
        blocks of ``k`` days, and before each block a copy of the model is fine-tuned for
        ``walk_forward_epochs`` epochs on every window whose targets are known by then (an
        expanding window).
        """
        self._check_fitted()
        frame = load_prices(prices)
        prepared = prepare_for(self.config, frame, self.spec_)
        series = frame[self.config.target_column].to_numpy(dtype=np.float64)
        rows: dict[tuple[str, str], dict[str, float]] = {}
        frames = []
        for split in ("val", "test"):
            windows = getattr(prepared, split)
            model = self._predict_prices(windows.x, windows.last_price)
            forecasts = self._with_baselines(model, series, windows, prepared)
            rows.update(score_forecasts(split, windows.actual, windows.last_price, forecasts))
            frames.append(prediction_frame(split, windows.dates, windows.actual, forecasts))
        bands = None
        if self.calibration_ is not None:  # the bands are scored on test only: val calibrates
            bands = score_bands(self.model_, self.spec_, prepared.test, self.calibration_,
                                series, self.config.alpha, self.config.cell,
                                seed=self.config.seed)
            for name, scores in bands.metrics.items():
                rows[("test", name)].update(scores)
        if walk_forward:
            model = self._walk_forward(prepared, walk_forward, walk_forward_epochs)
            forecasts = self._with_baselines(model, series, prepared.test, prepared)
            test = prepared.test
            rows.update(score_forecasts("test_walk_forward", test.actual, test.last_price,
                                        forecasts))
        return Evaluation(metrics=metrics_table(rows), predictions=pd.concat(frames),
                          bands=bands)

    def _with_baselines(
        self, model: np.ndarray, series: np.ndarray, windows: Windows, prepared: Prepared
    ) -> dict[str, np.ndarray]:
        cfg = self.config
        train_end = int(prepared.train.origin[-1]) + cfg.horizon  # last training target row
        return with_baselines(cfg.cell, model, series, windows.origin, cfg.horizon,
                              cfg.baseline_window, mean_log_return(series, train_end))

    def _walk_forward(self, prepared: Prepared, block: int, epochs: int) -> np.ndarray:
        """Test forecasts ``(N, h)`` from a model fine-tuned before each block of ``block`` days."""
        require_int("walk_forward", block)
        original = self.model_
        self.model_ = copy.deepcopy(original)
        device = next(original.parameters()).device
        test, h = prepared.test, self.config.horizon
        # fine-tuning sees only known windows (no held-out loss, so no schedule, no restore)
        settings = _settings(self.config, max_epochs=epochs, patience=0, lr_factor=1.0,
                             restore_best=False)
        out = []
        try:
            for start in range(0, len(test), block):
                # test windows whose last target day is on or before the block's origin day
                seen = slice(0, max(start - (h - 1), 0))
                known = TensorSplit(
                    torch.cat([prepared.train.x, prepared.val.x, test.x[seen]]).to(device),
                    torch.cat([prepared.train.y, prepared.val.y, test.y[seen]]).to(device),
                )
                train(self.model_, known, known, settings)
                part = slice(start, start + block)
                out.append(self._predict_prices(test.x[part], test.last_price[part]))
        finally:
            self.model_ = original
        return np.concatenate(out)

    # ------------------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Write the model as one safetensors file (weights + JSON metadata), atomically."""
        self._check_fitted()
        meta = {
            "format": FORMAT,
            "lstmlab_version": __version__,
            "config": self.config.to_dict(),
            "spec": self.spec_.to_dict(),
            "band": self.band_,
            "calibration": (None if self.calibration_ is None
                            else self.calibration_.to_dict()),
            "calibrated_until": (None if self.calibration_ is None
                                 else f"{self.calibrated_until_:%Y-%m-%d}"),
            "manifest": self.manifest_,
            "best_epoch": self.best_epoch_,
            "stop_reason": self.stop_reason_,
            "history": self.history_.to_dict(orient="list"),
        }
        state = {k: v.detach().cpu() for k, v in self.model_.state_dict().items()}
        from lstmlab import persist  # safetensors is only needed to save and load

        return persist.save_model(path, state, meta)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Forecaster:
        """Load a model written by :meth:`save` onto ``device``, validating every part."""
        from lstmlab import persist

        state, meta = persist.load_model(path)
        if meta.get("format") != FORMAT:
            raise ModelFileError(
                f"{path}: saved-model format {meta.get('format')!r} is not supported by lstmlab "
                f"{__version__} (expects {FORMAT!r}); retrain the model with this version"
            )
        try:
            config = ForecastConfig.from_dict({**meta["config"], "device": device})
            spec = WindowSpec.from_dict(meta["spec"])
            self = cls(config)
            model = self._build_model(len(spec.features))
            model.load_state_dict(state, strict=True)
            self.band_ = [[float(a), float(b)] for a, b in meta["band"]]
            calibration = meta.get("calibration")  # absent from models saved before it existed
            self.calibration_ = None if calibration is None else BandCalibration.from_dict(
                calibration)
            self.calibrated_until_ = (None if calibration is None
                                      else pd.Timestamp(meta["calibrated_until"]))
            self.history_ = pd.DataFrame(meta["history"], columns=HISTORY_COLUMNS)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: the saved model is inconsistent ({exc}); it may have "
                                 "been edited or written by another program") from None
        self.model_ = model.to(resolve_device(device)).eval()
        self.spec_ = spec
        self.manifest_ = meta["manifest"]
        self.best_epoch_ = meta.get("best_epoch")
        self.stop_reason_ = meta.get("stop_reason")
        return self


def _tensors(windows: Windows, device: torch.device) -> TensorSplit:
    return TensorSplit(windows.x.to(device), windows.y.to(device))


def _settings(cfg: ForecastConfig, **overrides: Any) -> TrainSettings:
    names = ("max_epochs", "batch_size", "optimizer", "learning_rate", "weight_decay",
             "grad_clip", "patience", "lr_patience", "lr_factor", "seed")
    return TrainSettings(**{**{n: getattr(cfg, n) for n in names}, **overrides})


def _chain(callbacks: list[Callable[[dict[str, float]], None]]):
    if not callbacks:
        return None
    return lambda record: [callback(record) for callback in callbacks]


def _printer(max_epochs: int) -> Callable[[dict[str, float]], None]:
    width = len(str(max_epochs))

    def show(r: dict[str, float]) -> None:
        print(f"epoch {int(r['epoch']):>{width}}/{max_epochs}  train {r['train_loss']:.5f}  "
              f"val {r['val_loss']:.5f}  lr {r['lr']:.1e}  {r['seconds']:.1f}s", flush=True)

    return show
