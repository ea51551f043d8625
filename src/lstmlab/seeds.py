"""Several seeds of one configuration: how much the scores move, and the seed ensemble.

One training run is one draw: the initial weights and the batch order come from the seed, and on
daily prices the test RMSE of two seeds can differ by more than the model differs from the naive
forecast. ``--seeds N`` trains seeds ``seed, seed + 1, ..., seed + N - 1`` of each
configuration; the first seed's model is the one saved and scored under the cell's name, the
table :func:`seed_spread` gives the mean and standard deviation of every metric across the
seeds, and the average of the seeds' price forecasts is scored as its own model,
``<cell>_ensemble`` (:func:`ensemble_name`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lstmlab.validation import require_int

if TYPE_CHECKING:
    import pandas as pd

    from lstmlab.config import ForecastConfig
    from lstmlab.data import Prepared
    from lstmlab.evaluation import Evaluation
    from lstmlab.forecaster import Forecaster

__all__ = ["ENSEMBLE_SUFFIX", "ensemble_metrics", "ensemble_name", "seed_configs", "seed_spread"]

ENSEMBLE_SUFFIX = "_ensemble"


def ensemble_name(cell: str) -> str:
    """The model name of a cell's seed ensemble in ``metrics.csv`` (``lstm_ensemble``)."""
    return f"{cell}{ENSEMBLE_SUFFIX}"


def seed_configs(config: ForecastConfig, seeds: int) -> list[ForecastConfig]:
    """``config`` with seeds ``config.seed .. config.seed + seeds - 1``, the given one first."""
    seeds = require_int("seeds", seeds)
    return [config.replace(seed=config.seed + i) for i in range(seeds)]


def ensemble_metrics(forecasters: Sequence[Forecaster], prepared: Prepared,
                     prices: pd.DataFrame) -> pd.DataFrame:
    """Metrics rows ``(split, <cell>_ensemble, step)`` of the average of the seeds' forecasts.

    All ``forecasters`` share one configuration but the seed, hence the windows of ``prepared``.
    """
    from lstmlab.evaluation import predict_prices, score_forecasts
    from lstmlab.metrics import metrics_table
    from lstmlab.vocabulary import EVALUATED_SPLITS

    config, spec = forecasters[0].config, prepared.spec
    name = ensemble_name(config.cell)
    rows = {}
    for split in EVALUATED_SPLITS:
        windows = getattr(prepared, split)
        forecasts = [predict_prices(f.model_, spec, windows.x, windows.last_price)
                     for f in forecasters]  # each (N, h)
        average = np.mean(forecasts, axis=0)  # (N, h)
        rows.update(score_forecasts(split, windows.actual, windows.last_price, {name: average},
                                    spec))
    return metrics_table(rows)


def seed_spread(evaluations: Sequence[Evaluation], cell: str) -> pd.DataFrame:
    """Mean and standard deviation (ddof 1) across seeds of each metric of ``cell``.

    One row per ``(split, step)`` with ``model`` = ``cell``, ``seeds`` and the columns
    ``<metric>_mean`` and ``<metric>_sd``.
    """
    import pandas as pd

    tables = [e.metrics.xs(cell, level="model") for e in evaluations]  # (split, step) rows
    stacked = pd.concat(tables, keys=range(len(tables)), names=["seed"])
    grouped = stacked.groupby(level=["split", "step"], sort=False)
    spread = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).add_suffix("_sd"))
    columns = [c for name in tables[0].columns for c in (f"{name}_mean", f"{name}_sd")]
    spread = spread[columns].reset_index()
    spread.insert(1, "model", cell)
    spread.insert(3, "seeds", len(tables))
    return spread
