"""The two backtest charts: how each model fares against the naive forecast as time goes on.

- :func:`rolling_ratio_chart`: each model's RMSE over the last 63 forecasts divided by the naive
  forecast's (below 1: the model had the smaller errors over that quarter).
- :func:`cumulative_difference_chart`: the running sum of the model's squared errors minus the
  naive forecast's, the plot Goyal & Welch (2008) made the standard way to see *when* a
  forecast wins: where the line falls the model is winning, where it rises it is losing, and
  its end value is the total difference.

- :func:`coverage_over_time_chart`: the rolling coverage of each forecast's headline band
  (adaptive conformal for a model, the volatility band for naive) against the nominal level.

Refit dates are faint vertical lines. All use the drawing helpers and colours of
:mod:`lstmlab.charts`, so a model has the same colour in every chart of a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lstmlab.charts import _colour, _date_axis, _new_figure  # the package's one chart style
from lstmlab.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["coverage_over_time_chart", "cumulative_difference_chart", "rolling_ratio_chart"]


def rolling_ratio_chart(ratios: pd.DataFrame, refit_dates: Iterable[pd.Timestamp],
                        window: int, title: str | None = None) -> Figure:
    """One line per model (``ratios`` columns, indexed by target date) and a line at 1."""
    ax, fig = _axes(ratios, refit_dates)
    ax.axhline(1.0, color="black", lw=0.9, label="naive forecast (ratio 1)")
    ax.set_ylabel(f"RMSE / naive RMSE, last {window} forecasts")
    ax.set_title(title or f"Rolling {window}-day RMSE ratio to the naive forecast "
                          f"(below 1: fewer errors than naive)")
    ax.legend(loc="upper left", frameon=False)
    return fig


def cumulative_difference_chart(differences: pd.DataFrame,
                                refit_dates: Iterable[pd.Timestamp],
                                title: str | None = None) -> Figure:
    """One line per model (``differences`` columns, indexed by target date) and a zero line."""
    ax, fig = _axes(differences, refit_dates)
    ax.axhline(0.0, color="black", lw=0.9)
    ax.set_ylabel("cumulative squared error − naive's (price²)")
    ax.set_title(title or "Cumulative squared-error difference against the naive forecast "
                          "(falling: the model is winning)")
    ax.legend(loc="upper left", frameon=False)
    return fig


def coverage_over_time_chart(dates: pd.DatetimeIndex, covered: dict[str, np.ndarray],
                             refit_dates: Iterable[pd.Timestamp], nominal: float,
                             window: int) -> Figure:
    """:func:`lstmlab.interval_charts.coverage_chart` of the bands' hits (``covered``: label ->
    booleans over the target ``dates``), with the refit dates."""
    from lstmlab.interval_charts import coverage_chart

    fig = coverage_chart(dates, covered, nominal, f"Rolling {window}-day coverage of the "
                         f"{nominal:.0%} bands, one step ahead (dashed: nominal)", window=window)
    for date in refit_dates:
        # matplotlib takes dates here (through its units registry); its stubs say float
        fig.axes[0].axvline(date, color="#cccccc", lw=0.7, zorder=0)  # type: ignore[arg-type]
    return fig


def _axes(lines: pd.DataFrame, refit_dates: Iterable[pd.Timestamp]) -> tuple[Axes, Figure]:
    if lines.shape[1] == 0 or len(lines) == 0:
        raise DataError("a backtest chart needs at least one model and one forecast date")
    fig = _new_figure(11.0, 5.0)
    ax = fig.subplots()
    for date in refit_dates:
        ax.axvline(date, color="#cccccc", lw=0.7, zorder=0)  # type: ignore[arg-type]  # as above
    for position, name in enumerate(lines.columns):
        ax.plot(lines.index, lines[name].to_numpy(), color=_colour(position), lw=1.2,
                label=name)
    _date_axis(ax)
    ax.grid(True, axis="y", alpha=0.3)
    return ax, fig
