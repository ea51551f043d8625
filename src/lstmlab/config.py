"""Forecaster configuration: one frozen dataclass, saved as JSON with every run and model.

The defaults are a sensible first model for daily prices: an LSTM that predicts tomorrow's log
return from the last 60 days of log returns. Predicting the return rather than the price level
keeps the model from learning "tomorrow = today" the hard way, which price-level tutorials do and
then lose to the naive forecast.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lstmlab.errors import ConfigError
from lstmlab.validation import require_int
from lstmlab.vocabulary import CELL_INITS, CELLS, INITS, SCALERS, TARGETS, parse_cells

__all__ = [
    "CELLS", "CELL_INITS", "INITS", "LIMITS", "LOSSES", "OPTIMIZERS", "TARGETS", "ForecastConfig",
    "check_alpha", "check_quantiles", "parse_cells", "parse_variants",
]

OPTIMIZERS = ("adam", "adamw")
LOSSES = ("mse", "quantile", "gaussian", "student_t")  # training losses: heads in heads.py


# Upper bounds of the sizes that decide memory and threads, far above any sensible run: a
# config (typed, or read from an untrusted model file) beyond them is refused at once, before
# anything is allocated. An LSTM of 4,096 units x 16 layers already holds about 4 GB of weights.
LIMITS = {"hidden_size": 4096, "num_layers": 16, "lookback": 10_000, "horizon": 1000,
          "num_threads": 1024}


@dataclass(frozen=True)
class ForecastConfig:
    """Everything that defines a forecasting run; ``Forecaster`` reads nothing else."""

    cell: str = "lstm"  # recurrent cell: "rnn" (simple tanh RNN), "lstm" or "gru"
    hidden_size: int = 64  # units per recurrent layer
    num_layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # between stacked layers and before the output head
    init: str | None = None  # "default", "forget_bias" or "chrono"; None: the cell's own
    t_max: float | None = None  # init="chrono" only: the longest dependency, in steps
    lookback: int = 60  # time steps in each input window
    horizon: int = 1  # steps ahead predicted at once (direct multi-output)
    target: str = "log_return"  # "price", "return", "log_return" or "change"
    target_column: str = "close"  # price column that is forecast
    features: tuple[str, ...] = ("log_return",)  # input columns, raw or derived
    split: tuple[Any, ...] = (0.7, 0.15, 0.15)  # fractions, or (val_start, test_start) dates
    scaler: str = "standard"  # "standard", "minmax" or "none"; fitted on the training part only
    batch_size: int = 64
    max_epochs: int = 50
    optimizer: str = "adam"  # "adam" or "adamw"
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10  # epochs without validation improvement before stopping; 0: never stop
    lr_patience: int = 4  # epochs without improvement before the learning rate is reduced
    lr_factor: float = 0.5  # factor applied to the learning rate on a plateau; 1: never reduce
    grad_clip: float = 1.0  # maximum gradient norm; 0: no clipping
    baseline_window: int = 20  # days averaged by the moving-average baseline
    # windows the per-epoch train loss is measured on: 0, the whole training split (exact, the
    # loss chart's default); N, a fixed random sample of N drawn once per fit (an estimate that
    # saves most of a forward pass per epoch: for backtest refits and sweeps)
    train_loss_sample: int = 0
    seed: int = 0
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...
    num_threads: int = 1  # PyTorch CPU threads while fitting and predicting; 0: PyTorch's own
    loss: str = "mse"  # "mse" (point), "quantile" (pinball), "gaussian" or "student_t" (NLL)
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)  # levels of the quantile head, increasing
    alpha: float = 0.1  # miscoverage of the forecast band: 0.1 gives a 90% interval
    calibration_fraction: float = 0.5  # last share of validation windows kept to calibrate
    # past covariates: (source, features) pairs; a source is a ticker, a CSV path or "A+B+C" for
    # their equal-weight index; a {source: features} mapping is accepted and stored as pairs
    covariates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    max_fill: int = 3  # trading days a covariate may be forward-filled in a row
    calendar_features: bool = False  # calendar facts of the forecast days as inputs
    calendar: str = "XNYS"  # exchange calendar of those facts and of the known tables' days
    # future-known columns: (source, columns) pairs; a source is a date-indexed table (a CSV
    # path) whose columns are known in advance (a scheduled earnings-date flag); the model reads
    # their values on the horizon's trading days; a {source: columns} mapping is accepted
    known: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        # JSON gives lists; store tuples so the config stays hashable and immutable.
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "split", tuple(self.split))
        object.__setattr__(self, "quantiles", tuple(self.quantiles))
        object.__setattr__(self, "covariates", _source_pairs("covariates", self.covariates))
        object.__setattr__(self, "known", _source_pairs("known", self.known))
        self._validate()

    def _validate(self) -> None:
        _choice("cell", self.cell, CELLS)
        _choice("target", self.target, TARGETS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("scaler", self.scaler, SCALERS)
        if self.init is not None:
            _choice("init", self.init, CELL_INITS[self.cell])
        if (self.t_max is not None) != (self.init == "chrono"):
            raise ConfigError(
                f"t_max={self.t_max!r} with init={self.init!r}: init='chrono' needs t_max (for "
                f"example the lookback) and no other init uses it"
            )
        for name in ("hidden_size", "num_layers", "lookback", "horizon", "batch_size",
                     "max_epochs", "baseline_window"):
            require_int(name, getattr(self, name), maximum=LIMITS.get(name))
        for name in ("patience", "lr_patience", "seed", "num_threads", "max_fill",
                     "train_loss_sample"):
            require_int(name, getattr(self, name), minimum=0, maximum=LIMITS.get(name))
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ConfigError("weight_decay and grad_clip must be >= 0, got "
                              f"{self.weight_decay!r} and {self.grad_clip!r}")
        if not 0.0 < self.lr_factor <= 1.0:
            raise ConfigError(f"lr_factor must be in (0, 1], got {self.lr_factor!r}")
        self._validate_intervals()
        both = sorted({n for n, _ in self.covariates} & {n for n, _ in self.known})
        if both:
            raise ConfigError(f"{both} named both as covariates and as known tables; a source "
                              "is either a past covariate (prices) or a table of known columns")
        if self.calendar_features or self.known:
            from lstmlab.trading_days import check_calendar

            object.__setattr__(self, "calendar", check_calendar(self.calendar))
        if not self.features:
            raise ConfigError("features must name at least one column, e.g. ('log_return',)")
        if len(self.split) not in (2, 3):
            raise ConfigError(
                f"split must be three fractions (train, val, test) or two dates "
                f"(val_start, test_start), got {self.split!r}"
            )

    def _validate_intervals(self) -> None:
        _choice("loss", self.loss, LOSSES)
        check_quantiles(self.quantiles)
        check_alpha(self.alpha)
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ConfigError(f"calibration_fraction must be a fraction in (0, 1) of the "
                              f"validation windows, e.g. 0.5; got {self.calibration_fraction!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of JSON types (tuples become lists; covariates and known tables a
        source -> columns dict; ``known`` only when set)."""
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in
                dataclasses.asdict(self).items()}
        data["covariates"] = {name: list(wanted) for name, wanted in self.covariates}
        # only when set: the keys of stored refits and sweep trials hash this dict, and configs
        # without known tables keep the keys they had before the field existed
        known = data.pop("known")
        if known:
            data["known"] = {name: list(wanted) for name, wanted in self.known}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastConfig:
        """Build a config from a dict, refusing unknown keys (they are usually typos)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown config field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**data)

    def to_json(self) -> str:
        """The config as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> ForecastConfig:
        """Parse a config from JSON text (as written by :meth:`to_json`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"config is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config JSON must be an object, got {type(data).__name__}")
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> ForecastConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def check_quantiles(levels: Sequence[float]) -> tuple[float, ...]:
    """Return ``levels`` as floats if they are strictly increasing and inside (0, 1), else raise.

    The :class:`ConfigError` names the offending value.
    """
    levels = tuple(levels)
    if not levels:
        raise ConfigError("quantiles must name at least one level in (0, 1), e.g. (0.05, 0.5, "
                          "0.95)")
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ConfigError(f"quantile level {level!r} is outside (0, 1); use levels such as "
                              "0.05, 0.5, 0.95")
    for before, after in itertools.pairwise(levels):
        if after <= before:
            kind = "duplicated" if after == before else "not sorted"
            raise ConfigError(f"quantile levels must be strictly increasing: {after!r} after "
                              f"{before!r} is {kind}; list each level once, smallest first")
    return tuple(float(level) for level in levels)


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """Return ``alpha`` as a float if it lies in (0, 1), else raise :class:`ConfigError`."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ConfigError(f"{name} must be in (0, 1), e.g. 0.1 for a 90% interval; got {alpha!r}")
    return float(alpha)


_EXAMPLES = {"covariates": "{'AAPL': ['log_return']}", "known": "{'earnings.csv': ['earnings']}"}


def _source_pairs(field: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``{"AAPL": ["log_return"]}`` (or its pairs) as ``(("AAPL", ("log_return",)),)``, for the
    ``field`` ``covariates`` (features) or ``known`` (columns): every name non-empty, none
    twice."""
    items = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = tuple((str(name), _column_names(field, name, wanted)) for name, wanted in items)
    except ConfigError:
        raise
    except (TypeError, ValueError):
        raise ConfigError(f"{field} must map each source to its columns, e.g. "
                          f"{_EXAMPLES[field]}; got {value!r}") from None
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ConfigError(f"{field} names a source twice: {names}; list each once")
    return pairs


def _column_names(field: str, name: Any, wanted: Any) -> tuple[str, ...]:
    columns = (wanted,) if isinstance(wanted, str) else tuple(str(f) for f in wanted)
    if not columns or not str(name).strip() or not all(c.strip() for c in columns):
        raise ConfigError(f"{field} source {name!r} with {wanted!r}: each source needs a "
                          f"non-empty name and at least one non-empty column, e.g. "
                          f"{_EXAMPLES[field]}")
    if len(set(columns)) != len(columns):
        raise ConfigError(f"{field} source {name!r} lists a column twice: {list(columns)}; "
                          "list each once")
    return columns


def parse_variants(text: str) -> list[tuple[str, str | None]]:
    """``(cell, init)`` pairs from names such as ``"rnn,lstm,lstm-chrono"``, in order.

    A bare cell name keeps the cell's own initialisation (``init=None``); ``cell-init`` names one
    of :data:`INITS` that the cell offers (:data:`CELL_INITS`). Raises :class:`ConfigError`
    naming the bad part, or when none is given.
    """
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    pairs: list[tuple[str, str | None]] = []
    for name in dict.fromkeys(names):
        cell, _, init = name.partition("-")
        parse_cells(cell)
        if init and init not in CELL_INITS[cell]:
            raise ConfigError(f"unknown initialisation in {name!r}: {cell} offers "
                              f"{', '.join(f'{cell}-{i}' for i in CELL_INITS[cell])}")
        pairs.append((cell, init or None))
    if not pairs:
        raise ConfigError("no cell given: name at least one, e.g. rnn,lstm,lstm-chrono")
    return pairs


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")

