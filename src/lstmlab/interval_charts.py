"""Charts of forecast uncertainty: fan charts, PIT histograms and coverage over time.

Built like :mod:`lstmlab.charts` (a figure on its own Agg canvas, saved with
:func:`lstmlab.charts.save_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lstmlab.charts import _colour, _date_axis, _new_figure, _require_columns
from lstmlab.intervals import FAN_LEVELS, band_columns

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["coverage_chart", "fan_chart", "pit_chart"]


def fan_chart(
    history: pd.Series, fan: pd.DataFrame, title: str | None = None, *,
    levels: Sequence[float] = FAN_LEVELS, history_days: int = 120, colour: str | None = None,
) -> Figure:
    """Actual prices and a forecast with nested central bands (darkest: the narrowest).

    ``fan`` is date-indexed with ``prediction`` and the columns of :func:`band_columns` for each
    level. ``history`` is the actual price series; the chart shows its last ``history_days``
    rows before the fan and, where it has them, the actual prices inside the fan's dates (a
    backtest or test period), so misses can be seen.
    """
    import pandas as pd

    for level in levels:
        _require_columns(fan, ["prediction", *band_columns(level)], "fan")
    colour = colour or _colour(0)
    before = history[history.index < fan.index[0]].iloc[-history_days:]
    during = history[(history.index >= fan.index[0]) & (history.index <= fan.index[-1])]
    if len(before) and not len(during):  # a forecast past the data: anchor it on the last price
        anchor = pd.DataFrame({c: [float(before.iloc[-1])] for c in fan.columns},
                              index=before.index[-1:])
        fan = pd.concat([anchor, fan])
    fig = _new_figure(11.0, 4.8)
    ax = fig.subplots()
    for rank, level in enumerate(sorted(levels, reverse=True)):
        lower, upper = band_columns(level)
        ax.fill_between(fan.index, fan[lower].to_numpy(), fan[upper].to_numpy(), color=colour,
                        alpha=0.14 + 0.12 * rank, lw=0, label=f"{level:.0%} band")
    ax.plot(fan.index, fan["prediction"].to_numpy(), color=colour, lw=1.4, label="forecast")
    ax.plot(before.index, before.to_numpy(), color="black", lw=1.2, label="actual")
    if len(during):
        ax.plot(during.index, during.to_numpy(), color="black", lw=1.0, marker="." if
                len(during) <= 60 else "", ms=3)
    if len(before):
        ax.axvline(before.index[-1], color="grey", ls=":", lw=1.2)
    _date_axis(ax)
    ax.set_ylabel("price (USD)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", framealpha=0.9, fontsize=9)
    ax.set_title(title or "Forecast with 50%, 80% and 90% bands")
    return fig


def pit_chart(histograms: Mapping[str, np.ndarray], title: str | None = None) -> Figure:
    """PIT histograms, one panel per model: flat at 1 when the forecast distribution is right.

    Each value is a bin's share of points times the number of bins (see
    :func:`lstmlab.interval_metrics.pit_histogram`).
    """
    if not histograms:
        raise ValueError("pit_chart needs at least one histogram, got none")
    fig = _new_figure(max(3.4 * len(histograms) + 0.6, 7.0), 3.6)
    axes = fig.subplots(1, len(histograms), sharey=True, squeeze=False)[0]
    top = max(float(np.max(h)) for h in histograms.values())
    for position, (ax, (name, values)) in enumerate(zip(axes, histograms.items(), strict=True)):
        bins = len(values)
        edges = np.linspace(0.0, 1.0, bins + 1)
        ax.bar(edges[:-1], values, width=1.0 / bins, align="edge", color=_colour(position),
               alpha=0.75, edgecolor="white")
        ax.axhline(1.0, color="black", ls="--", lw=1.0)
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, max(2.0, top * 1.1))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("PIT = F(actual)")
    axes[0].set_ylabel("density (1 = calibrated)")
    fig.suptitle(title or "PIT histograms: flat is calibrated, U too narrow, hump too wide",
                 fontsize=11)
    return fig


def coverage_chart(
    dates: pd.DatetimeIndex, covered: Mapping[str, np.ndarray], nominal: float,
    title: str | None = None, *, window: int = 63,
) -> Figure:
    """Rolling coverage (``window`` days) of each method's band over time, and the nominal level.

    ``covered`` maps a method to a boolean array over ``dates`` (True: the actual price fell in
    the band). Each legend entry gives the method's overall coverage.
    """
    import pandas as pd

    if not covered:
        raise ValueError("coverage_chart needs at least one method, got none")
    fig = _new_figure(11.0, 4.5)
    ax = fig.subplots()
    for position, (name, hits) in enumerate(covered.items()):
        hits = np.asarray(hits, dtype=np.float64)
        if hits.shape != (len(dates),):
            raise ValueError(f"covered[{name!r}] has shape {hits.shape}, dates {len(dates)}")
        rolling = pd.Series(hits, index=dates).rolling(window, min_periods=window).mean()
        ax.plot(dates, rolling.to_numpy() * 100, color=_colour(position), lw=1.2,
                label=f"{name} ({hits.mean():.1%} overall)")
    ax.axhline(nominal * 100, color="black", ls="--", lw=1.0, label=f"nominal {nominal:.0%}")
    _date_axis(ax)
    ax.set_ylabel(f"coverage over {window} days (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", framealpha=0.9, fontsize=9)
    ax.set_title(title or "Coverage of the bands over time")
    return fig
