"""What lstmlab says about a forecast: which one is selected, and sentences a test backs.

Two rules hold for every sentence the package prints (``Evaluation.summary``, the command line,
the HTML report, the sweep page):

- **Selection** happens on the validation period among the trained models *and* the baselines,
  by the lowest RMSE over all forecast steps; the test period only reports how the selected
  forecaster did. A baseline may win, and the sentence then says so plainly.
- **Wording**: a sentence says a forecast "beats" another only when the Diebold-Mariano test of
  their squared errors is significant at 5% (and in the forecast's favour); "is significantly
  worse" likewise; otherwise it says the difference is not significant.

The functions read a headline metrics table indexed by ``(split, model)`` with the columns
``rmse`` and ``dm_p_value`` (the test against the naive forecast): :func:`at_step` makes one
from an evaluation's ``(split, model, step)`` table or from ``metrics.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from lstmlab.vocabulary import BASELINES, MEAN_STEP, display_name

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LEVEL", "at_step", "compare", "forecast_warning", "lag_sentence", "lag_verdict",
           "overall_step", "run_summary",
           "select_forecaster", "selection_sentence", "summary_line"]

LEVEL = 0.05  # the significance level of every verdict
NAIVE = "naive"


def overall_step(metrics: pd.DataFrame) -> str:
    """The step label of the whole-forecast rows: ``"mean"`` when there is one, else ``"1"``."""
    steps = metrics.index.get_level_values("step") if "step" in metrics.index.names else (
        metrics["step"].astype(str))
    return MEAN_STEP if MEAN_STEP in set(map(str, steps)) else "1"


def at_step(metrics: pd.DataFrame, step: str | int | None = None) -> pd.DataFrame:
    """The ``(split, model)`` rows of ``step`` from a table with a ``step`` level or column
    (an :class:`Evaluation`'s or ``metrics.csv``); ``None``: :func:`overall_step`."""
    step = overall_step(metrics) if step is None else str(step)
    table = metrics.reset_index() if "step" in metrics.index.names else metrics
    rows = table[table["step"].astype(str) == step]
    return rows.drop(columns="step").set_index(["split", "model"])


def _label(model: str) -> str:
    """``the LSTM``, ``the naive forecast``: a model's name inside a sentence."""
    if model == NAIVE:
        return "the naive forecast"
    if model in BASELINES:
        return f"the {display_name(model).lower()} forecast"
    return f"the {display_name(model)}"


def compare(model: str, other: str, rmse: float, other_rmse: float, p_value: float, *,
            label: str | None = None) -> str:
    """A clause comparing ``model`` with ``other``; ``p_value`` is their DM test's.

    Says "beats" or "is significantly worse than" only when ``p_value < LEVEL``; otherwise "does
    not differ significantly from". Always quotes both RMSEs, their ratio and the p-value.
    ``label`` names ``model`` in the sentence instead of its display name (a sweep's
    configuration).
    """
    ratio = rmse / other_rmse if other_rmse else math.nan
    figures = f"RMSE {rmse:,.3f} against {other_rmse:,.3f} ({ratio:.3f}x"
    name = f"the {label}" if label else _label(model)
    if math.isnan(p_value):
        return f"{name} and {_label(other)} cannot be told apart by a test: {figures})"
    figures += f", DM p = {p_value:.3f})"
    if p_value < LEVEL and rmse < other_rmse:
        verb = "beats"
    elif p_value < LEVEL and rmse > other_rmse:
        verb = "is significantly worse than"
    else:
        verb = "does not differ significantly from"
    return f"{name} {verb} {_label(other)}: {figures}"


def select_forecaster(metrics: pd.DataFrame, split: str = "val") -> str:
    """The model with the lowest RMSE on ``split`` among every row, trained or baseline.

    On a tie the baseline wins (the simpler forecast). Rows with a missing RMSE are skipped.
    """
    # pandas-stubs types .loc[label, column] as a scalar; on the (split, model) index it is the
    # split's column
    rows = cast("pd.Series[float]", metrics.loc[split, "rmse"]).dropna()
    if rows.empty:
        raise ValueError(f"no model has an RMSE on the {split!r} split to select by")
    ranked = sorted(rows.items(), key=lambda item: (item[1], item[0] not in BASELINES))
    return str(ranked[0][0])


def selection_sentence(selected: str, trained: Sequence[str]) -> str:
    """How the selection came out, in one sentence."""
    if selected in trained:
        return (f"Selected on validation: {display_name(selected)}, the lowest validation RMSE "
                f"among {len(trained)} trained model(s) and the baselines.")
    return (f"No trained model had a lower validation RMSE than {_label(selected)}, so "
            f"{_label(selected)} is selected.")


def _against_naive(metrics: pd.DataFrame, model: str, split: str) -> str:
    # a full (split, model) key selects one row (pandas-stubs types it as a scalar)
    row = cast("pd.Series[float]", metrics.loc[(split, model)])
    naive = cast("pd.Series[float]", metrics.loc[(split, NAIVE)])
    return compare(model, NAIVE, float(row["rmse"]), float(naive["rmse"]),
                   float(row["dm_p_value"]))


def summary_line(metrics: pd.DataFrame, trained: Sequence[str], selected: str,
                 split: str = "test") -> str:
    """The selection, then how the selected forecaster did against naive on ``split``.

    When a baseline is selected the best trained model's result is given too, so a model that
    lost is never presented without its verdict.
    """
    parts = [selection_sentence(selected, trained)]
    if selected != NAIVE:
        parts.append(f"On the {split} period {_against_naive(metrics, selected, split)}.")
    if selected not in trained and trained:
        best = min(trained, key=lambda m: cast(float, metrics.loc[("val", m), "rmse"]))
        parts.append(f"The best trained model on validation, {display_name(best)}: on the "
                     f"{split} period {_against_naive(metrics, best, split)}.")
    return " ".join(parts)


def run_summary(metrics: pd.DataFrame, selected: str) -> str:
    """:func:`summary_line` of a run's ``metrics.csv`` (the whole-forecast rows); every model
    that is not a baseline (trained cells and seed ensembles) counts as trained."""
    table = at_step(metrics)
    trained = [m for m in dict.fromkeys(table.index.get_level_values("model"))
               if m not in BASELINES]
    return summary_line(table, trained, selected)


def forecast_warning(selected: str, cell: str) -> str | None:
    """The warning due before forecasting from ``cell`` when the run selected another forecast."""
    if selected == cell:
        return None
    return (f"warning: this run selected {_label(selected)} on validation, not "
            f"{display_name(cell)}; {display_name(cell)} had a higher validation RMSE, so this "
            f"forecast comes from a model that lost")


def lag_verdict(previous: float, same: float) -> str:
    """The lag check's one-line verdict from its two correlations (see
    :func:`lstmlab.metrics.lag_check`)."""
    if math.isnan(previous) or math.isnan(same):
        return "this forecast's changes are constant: there is no lag to check"
    if previous**2 > 0.5 and previous > same:
        return "this forecast mostly repeats yesterday's move"
    if same**2 > 0.5 and same > previous:
        return "this forecast's changes mostly follow the same day's move"
    return "this forecast does not mostly repeat yesterday's move"


def lag_sentence(previous: float, same: float) -> str:
    """The verdict with its figures, as a sentence."""
    verdict = lag_verdict(previous, same)
    if math.isnan(previous) or math.isnan(same):
        return verdict[0].upper() + verdict[1:] + "."
    return (f"{verdict[0].upper()}{verdict[1:]} (its day-to-day changes correlate {previous:.2f} "
            f"with the previous day's actual change, {same:.2f} with the same day's).")
