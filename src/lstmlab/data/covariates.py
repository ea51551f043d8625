"""Past covariates: other series aligned on the main series' trading days, and a market proxy.

A covariate is a second price frame (another ticker, an index, a user's CSV) whose derived
features become extra model inputs. Its rows are put on the main series' dates by explicit rules:

- a day the main series has and the covariate lacks is forward-filled from the covariate's last
  earlier day, at most ``max_fill`` days in a row (default 3: a national holiday on one exchange);
  a longer hole is a :class:`DataError` naming its first and last date;
- days before the covariate's first row stay empty: they shorten the usable history of the main
  series (they become warm-up rows), and a note says by how much;
- days the covariate has and the main series lacks are dropped.

Features are computed on the aligned frame, so a filled day has a zero log return and the next
day carries the move: nothing after a row is ever used on that row. Scalers are fitted on the
training part with the main features (see :func:`lstmlab.data.prepare`), which extends the
leakage guarantee to covariates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmlab.data.features import feature_matrix
from lstmlab.errors import ConfigError, DataError

__all__ = [
    "MAX_FILL", "Covariate", "align_covariate", "covariate_matrix", "load_covariates",
    "market_proxy", "with_frames",
]

MAX_FILL = 3  # trading days a covariate may be carried forward in a row
SEPARATOR = ":"  # feature name of a covariate input: "<covariate>:<feature>"


@dataclass(frozen=True)
class Covariate:
    """A past covariate: a ``name``, its loaded price ``frame`` and the ``features`` it feeds."""

    name: str
    frame: pd.DataFrame
    features: tuple[str, ...] = ("log_return",)

    def columns(self) -> list[str]:
        """Model input names of this covariate, ``"<name>:<feature>"``."""
        return [f"{self.name}{SEPARATOR}{feature}" for feature in self.features]


def load_covariates(
    sources: Sequence[str], frames: Mapping[str, Any] | None = None, *,
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The price frame of each covariate source, loaded once.

    A source is resolved like the main series (a ticker, a CSV path; see
    :func:`lstmlab.load_prices`), or ``"A+B+C"``: the equal-weight :func:`market_proxy` of those
    series. ``frames`` may already hold some of them by source name (frames or anything
    ``load_prices`` accepts); the others are loaded (``data_dir``: where tickers are looked up).
    """
    from lstmlab.data.load import as_prices, load_prices

    given = dict(frames or {})
    loaded = {}
    for source in sources:
        if source in given:
            loaded[source] = as_prices(given[source])
        elif "+" in source:
            members = [m.strip() for m in source.split("+") if m.strip()]
            loaded[source] = market_proxy(
                {m: load_prices(m, data_dir=data_dir) for m in members})
        else:
            loaded[source] = load_prices(source, data_dir=data_dir)
    return loaded


def with_frames(
    wanted: Sequence[tuple[str, Sequence[str]]], frames: Mapping[str, pd.DataFrame] | None,
    kind: str = "covariate",
) -> list[Covariate]:
    """The covariates a model was fitted with (``(name, features)`` pairs), given their frames
    (``kind="known table"``: its known tables, ``(name, columns)``, the same way).

    A name missing from ``frames`` is a :class:`DataError` saying which data to pass.
    """
    frames = frames or {}
    missing = [name for name, _ in wanted if name not in frames]
    if missing:
        data = "prices" if kind == "covariate" else "tables"
        raise DataError(f"this model was fitted with the {kind}(s) {missing}; pass their {data} "
                        "too (covariates={name: frame}) covering the dates needed")
    return [Covariate(name, frames[name], tuple(features)) for name, features in wanted]


def align_covariate(
    index: pd.DatetimeIndex, covariate: pd.DataFrame, name: str, *, max_fill: int = MAX_FILL
) -> tuple[pd.DataFrame, list[str]]:
    """``covariate`` on the dates of ``index``, filled forward at most ``max_fill`` days.

    Returns the aligned frame (NaN rows before the covariate starts) and notes for the user.
    """
    if max_fill < 0:
        raise ConfigError(f"max_fill must be >= 0 trading days, got {max_fill}")
    aligned = covariate.reindex(index)
    starts = index.searchsorted(covariate.index[0])
    missing = aligned.isna().any(axis=1).to_numpy().copy()
    missing[:starts] = False  # before the covariate's first row: warm-up, not a hole
    run_start, run_length = _longest_run(missing)
    if run_length > max_fill:
        first, last = index[run_start], index[run_start + run_length - 1]
        raise DataError(
            f"covariate {name} has no rows from {first:%Y-%m-%d} to {last:%Y-%m-%d} "
            f"({run_length} trading days of the main series); at most {max_fill} in a row are "
            "forward-filled: fix the covariate's data or raise max_fill"
        )
    notes = []
    filled = int(missing.sum())
    if filled:
        notes.append(f"covariate {name}: forward-filled {filled} day(s) it lacks "
                     f"(at most {max_fill} in a row)")
    if starts:
        notes.append(f"covariate {name} starts on {covariate.index[0]:%Y-%m-%d}, "
                     f"{starts} row(s) after the main series: those rows feed no window")
    head, tail = aligned.iloc[:starts], aligned.iloc[starts:].ffill()
    return pd.concat([head, tail]), notes


def covariate_matrix(
    index: pd.DatetimeIndex, covariates: Sequence[Covariate], *, max_fill: int = MAX_FILL
) -> tuple[np.ndarray, int, list[str]]:
    """Feature matrix ``(n, sum F_c)`` of all covariates on ``index``, warm-up rows, notes.

    The warm-up is the number of leading rows where some covariate feature is undefined (its
    own feature warm-up, or rows before it starts).
    """
    blocks, notes, warmup = [], [], 0
    for covariate in covariates:
        aligned, more = align_covariate(index, covariate.frame, covariate.name,
                                        max_fill=max_fill)
        matrix, _ = feature_matrix(aligned, covariate.features, "close")  # (n, F_c)
        blocks.append(matrix)
        notes.extend(more)
        defined = np.isfinite(matrix).all(axis=1)
        warmup = max(warmup, int(np.argmax(defined)) if defined.any() else len(index))
    if not blocks:
        return np.empty((len(index), 0)), 0, notes
    return np.column_stack(blocks), warmup, notes


def market_proxy(frames: Mapping[str, pd.DataFrame], *, column: str = "close") -> pd.DataFrame:
    """An equal-weight index of ``frames``: the mean daily simple return, compounded from 100.

    Only days every series has are used (an index of members that did not trade is not an
    index). The result is a price frame (``close``, and ``open = high = low = close``) that
    :func:`lstmlab.load_prices` and :class:`Covariate` accept.
    """
    if len(frames) < 2:
        raise ConfigError(f"a market proxy needs at least two series, got {len(frames)}")
    closes = pd.concat({name: f[column] for name, f in frames.items()}, axis=1, join="inner")
    if len(closes) < 2:
        raise DataError(f"the series {list(frames)} share fewer than two dates; "
                        "a market proxy needs overlapping histories")
    returns = closes.pct_change().iloc[1:].mean(axis=1)  # equal weights, rebalanced daily
    level = 100.0 * np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    proxy = pd.DataFrame({c: level for c in ("open", "high", "low", "close")},
                         index=pd.DatetimeIndex(closes.index, name="date"))
    proxy.attrs = {"source": f"equal-weight index of {', '.join(frames)}", "notes": []}
    return proxy


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """Start and length of the longest run of True in ``flags`` (``(0, 0)`` when none)."""
    best_start, best_length, start = 0, 0, None
    for i, flag in enumerate(np.append(flags, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best_length:
                best_start, best_length = start, i - start
            start = None
    return best_start, best_length
