"""The model's input matrix: own features, past covariates, calendar facts, known tables.

:func:`input_matrix` is the one place where the columns of a window are assembled, for
training (:func:`lstmlab.data.prepare`) and for new data (``windows_for``, ``latest_window``):

1. the series' own causal features (:mod:`.features`);
2. the features of each past covariate, aligned on the series' days (:mod:`.covariates`);
3. when a calendar is named, the future-known facts of the ``horizon`` days being forecast
   (:mod:`.known`), from that exchange's sessions (:mod:`lstmlab.trading_days`);
4. the values of the known tables' columns on those same days (:mod:`.known`), from the
   sessions of the exchange ``known_calendar``.

Every column is causal or known in advance, so the scalers fitted on the training rows keep the
leakage guarantee for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from lstmlab.data.covariates import MAX_FILL, Covariate, covariate_matrix
from lstmlab.data.features import feature_matrix
from lstmlab.data.known import calendar_matrix, calendar_names, known_matrix, known_names
from lstmlab.errors import ConfigError

__all__ = ["input_matrix", "input_names"]


def input_names(
    features: Sequence[str], covariates: Sequence[tuple[str, Sequence[str]]],
    calendar: str | None, horizon: int, known: Sequence[tuple[str, Sequence[str]]] = (),
) -> tuple[str, ...]:
    """Column names of :func:`input_matrix`, in order."""
    names = list(features)
    names += [f"{name}:{feature}" for name, wanted in covariates for feature in wanted]
    names += calendar_names(horizon) if calendar else []
    names += known_names(known, horizon)
    return tuple(names)


def input_matrix(
    frame: pd.DataFrame, features: Sequence[str], target_column: str, *,
    covariates: Sequence[Covariate] = (), calendar: str | None = None, horizon: int = 1,
    max_fill: int = MAX_FILL, known: Sequence[Covariate] = (), known_calendar: str | None = None,
) -> tuple[np.ndarray, int, list[str]]:
    """``(n, F)`` float64 inputs of ``frame``'s rows, the warm-up row count, and notes.

    ``known`` are the known tables (``Covariate(name, table, columns)``), read on the sessions
    of the exchange ``known_calendar``.
    """
    own, warmup = feature_matrix(frame, features, target_column)  # (n, F_own)
    blocks = [own]
    dates = cast(pd.DatetimeIndex, frame.index)  # a prices frame (lstmlab.data.load)
    extra, extra_warmup, notes = covariate_matrix(dates, covariates, max_fill=max_fill)
    blocks.append(extra)  # (n, F_cov)
    if calendar:
        blocks.append(calendar_matrix(dates, _sessions(dates, calendar, horizon),
                                      horizon))  # (n, 4h)
    if known:
        if known_calendar is None:
            raise ConfigError("known tables need the exchange calendar of their days, e.g. XNYS")
        blocks.append(known_matrix(dates, known, _sessions(dates, known_calendar, horizon),
                                   horizon))  # (n, C h)
    return np.column_stack(blocks), max(warmup, extra_warmup), notes


def _sessions(index: pd.DatetimeIndex, calendar: str, horizon: int) -> pd.DatetimeIndex:
    """The calendar's sessions from the first row to ``horizon`` sessions past the last."""
    from lstmlab.trading_days import sessions_through

    return sessions_through(index[0], index[-1], horizon, calendar)
