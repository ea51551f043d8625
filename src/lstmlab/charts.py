"""Charts of training and forecasts as matplotlib ``Figure`` objects, saved as PNG and SVG.

Figures are built with :class:`matplotlib.figure.Figure` and an Agg canvas, never through
``pyplot``: no GUI backend is needed, nothing global changes, and a notebook shows a returned
figure as it is. Colours are fixed per model position, so a model keeps its colour across charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lstmlab.errors import DataError
from lstmlab.fileio import atomic_path

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["forecast_chart", "loss_chart", "prediction_chart", "price_chart", "residual_chart",
           "save_figure"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
_SPLIT_COLOURS = {"train": "#1f77b4", "val": "#ff7f0e", "test": "#2ca02c"}
_SPLIT_LABELS = {"train": "train", "val": "validation", "test": "test"}
_LOG_SPAN_DECADES = 1.5  # losses spanning more than this many powers of ten get a log axis
_DPI = 130


def _new_figure(width: float, height: float) -> Figure:
    """An empty figure on its own Agg canvas: no pyplot, so no global state and no GUI."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _colour(position: int) -> str:
    """The colour of the model at ``position``, the same in every chart."""
    return _COLOURS[position % len(_COLOURS)]


def _date_axis(ax: Axes) -> None:
    """Concise date ticks on the x axis, labelled as dates."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlabel("date")


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`DataError` naming the columns of ``what`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")


def loss_chart(histories: Mapping[str, pd.DataFrame], title: str | None = None) -> Figure:
    """Training (solid) and validation (dashed) loss per epoch, one colour per model.

    Each history has columns ``epoch, train_loss, val_loss``; the best validation epoch of each
    model is marked. The y axis turns logarithmic when the losses span more than 1.5 decades.
    """
    if not histories:
        raise DataError("loss_chart needs at least one history, got none")
    fig = _new_figure(9.0, 5.0)
    ax = fig.subplots()
    losses = []
    for position, (name, history) in enumerate(histories.items()):
        _require_columns(history, ("epoch", "train_loss", "val_loss"), f"history of {name!r}")
        losses.append(_plot_history(ax, name, history, _colour(position)))
    _loss_axes(ax, np.concatenate(losses))
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    names = list(histories)
    default = (f"{names[0]}: training and validation loss" if len(names) == 1
               else f"Training and validation loss: {' vs '.join(names)}")
    ax.set_title(title or default)
    return fig


def _loss_axes(ax: Axes, losses: np.ndarray) -> None:
    """Integer epoch ticks; a log y axis with plain-number labels when the losses span decades."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.set_xlabel("epoch")
    positive = losses[np.isfinite(losses) & (losses > 0)]
    if positive.size and np.log10(positive.max() / positive.min()) > _LOG_SPAN_DECADES:
        ax.set_yscale("log")
        # label 1, 2, 5 of every decade: bare powers of ten alone are too sparse to read values
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("loss (MSE, scaled target), log scale")
    else:
        ax.set_ylabel("loss (MSE, scaled target)")


def _plot_history(ax: Axes, name: str, history: pd.DataFrame, colour: str) -> np.ndarray:
    """Draw one model's train and validation curves and its best epoch; return all losses."""
    epoch = history["epoch"].to_numpy()
    train = history["train_loss"].to_numpy(dtype=float)
    val = history["val_loss"].to_numpy(dtype=float)
    sample = history["train_loss_sample"].max() if "train_loss_sample" in history else 0
    estimate = f" (estimate on {int(sample)} windows)" if sample and sample > 0 else ""
    ax.plot(epoch, train, color=colour, lw=1.8, label=f"{name} train{estimate}")
    ax.plot(epoch, val, color=colour, lw=1.8, ls="--", label=f"{name} validation")
    if np.isfinite(val).any():
        best = int(np.nanargmin(val))
        ax.plot(epoch[best], val[best], marker="o", ms=8, mfc="white", mec=colour, mew=2,
                ls="none", label=f"{name} best validation (epoch {epoch[best]})")
    return np.concatenate([train, val])


def price_chart(
    prices: pd.Series,
    split_dates: Mapping[str, tuple[str | pd.Timestamp, str | pd.Timestamp]],
    title: str | None = None,
) -> Figure:
    """The price series with the train, validation and test periods shaded.

    ``split_dates`` maps ``train``/``val``/``test`` to the (first, last) target date of each.
    """
    import pandas as pd

    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError(f"prices needs a DatetimeIndex, got {type(prices.index).__name__}")
    fig = _new_figure(10.0, 4.5)
    ax = fig.subplots()
    ax.plot(prices.index, prices.to_numpy(), color="black", lw=1.0,
            label=str(prices.name) if prices.name else "price")
    for split, (first, last) in split_dates.items():
        # matplotlib takes dates here (through its units registry); its stubs say float
        ax.axvspan(pd.Timestamp(first), pd.Timestamp(last),  # type: ignore[arg-type]
                   alpha=0.15, lw=0,
                   color=_SPLIT_COLOURS.get(split, "grey"),
                   label=f"{_SPLIT_LABELS.get(split, split)} "
                         f"({pd.Timestamp(first):%Y-%m-%d} to {pd.Timestamp(last):%Y-%m-%d})")
    _date_axis(ax)
    ax.set_ylabel("price (USD)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    ax.set_title(title or "Price with the train, validation and test periods")
    return fig


def _check_predictions(predictions: pd.DataFrame, models: Sequence[str]) -> None:
    """Raise :class:`DataError` unless ``predictions`` has target dates and the needed columns."""
    import pandas as pd

    if not isinstance(predictions.index, pd.DatetimeIndex):
        raise DataError("predictions needs a DatetimeIndex of target dates, got "
                         f"{type(predictions.index).__name__}")
    _require_columns(predictions, ["split", "actual", "naive", *models], "predictions")


def _mark_splits(ax: Axes, predictions: pd.DataFrame) -> None:
    """A vertical line where the test period starts, and the period names along the top."""
    from matplotlib.transforms import blended_transform_factory

    split = predictions["split"].to_numpy()
    on_top = blended_transform_factory(ax.transData, ax.transAxes)
    for name in ("val", "test"):
        dates = predictions.index[split == name]
        if dates.empty:
            continue
        if name == "test" and (split == "val").any():
            ax.axvline(dates[0], color="grey", ls=":", lw=1.2)
        middle = dates[0] + (dates[-1] - dates[0]) / 2
        ax.text(middle, 0.97, _SPLIT_LABELS[name], transform=on_top, ha="center", va="top",
                color="dimgrey", fontsize=10)


def prediction_chart(
    predictions: pd.DataFrame,
    models: Sequence[str],
    title: str | None = None,
    *,
    zoom_days: int | None = 60,
) -> Figure:
    """Actual price against each model's prediction over validation and test.

    The naive forecast is a light grey line; a dotted line marks where the test period starts.
    Over hundreds of days a forecast that lags the price by a day is hard to tell from the price,
    so a second panel zooms on the last ``zoom_days`` rows (shaded above); ``None`` leaves it out.
    """
    _check_predictions(predictions, models)
    zoom = zoom_days if zoom_days is not None and 0 < zoom_days < len(predictions) else 0
    fig = _new_figure(12.0, 7.5 if zoom else 5.0)
    axes = fig.subplots(2 if zoom else 1, 1, squeeze=False,
                        height_ratios=[3, 2] if zoom else [1])
    ax = axes[0, 0]
    _plot_predictions(ax, predictions, models, lw=1.1)
    _mark_splits(ax, predictions)
    ax.set_title(title or "Actual and predicted price, validation and test")
    if zoom:
        recent = predictions.iloc[-zoom:]
        ax.axvspan(recent.index[0], recent.index[-1], color="#fff2cc", lw=0, zorder=0)
        zoomed = axes[1, 0]
        _plot_predictions(zoomed, recent, models, lw=1.4, marker=".")
        zoomed.set_title(f"last {zoom_days} trading days (shaded above)", fontsize=10)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", frameon=False)
    return fig


def _plot_predictions(
    ax: Axes, predictions: pd.DataFrame, models: Sequence[str], *, lw: float, marker: str = ""
) -> None:
    """Draw naive, actual and model prices on ``ax`` with date ticks and a price label."""
    dates = predictions.index
    ax.plot(dates, predictions["naive"].to_numpy(), color="#b0b0b0", lw=lw,
            label="naive (previous price)")
    ax.plot(dates, predictions["actual"].to_numpy(), color="black", lw=lw + 0.3, marker=marker,
            label="actual")
    for position, model in enumerate(models):
        ax.plot(dates, predictions[model].to_numpy(), color=_colour(position), lw=lw,
                alpha=0.85, marker=marker, label=model)
    _date_axis(ax)
    ax.set_ylabel("price (USD)")
    ax.grid(True, alpha=0.3)


def residual_chart(
    predictions: pd.DataFrame, models: Sequence[str], title: str | None = None
) -> Figure:
    """Residuals (actual - prediction) over time, one panel per model on the same axes ranges."""
    _check_predictions(predictions, models)
    if not models:
        raise DataError("residual_chart needs at least one model column, got none")
    fig = _new_figure(11.0, 1.0 + 2.4 * len(models))
    axes = fig.subplots(len(models), 1, sharex=True, squeeze=False)[:, 0]
    actual = predictions["actual"].to_numpy()
    for position, (ax, model) in enumerate(zip(axes, models, strict=True)):
        residual = actual - predictions[model].to_numpy()
        ax.axhline(0.0, color="black", lw=0.8)
        ax.plot(predictions.index, residual, color=_colour(position), lw=0.9, label=model)
        _mark_splits(ax, predictions)
        ax.set_ylabel("actual − predicted\n(USD)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower left", frameon=False)
    limit = max(abs(v) for ax in axes for v in ax.get_ylim())
    for ax in axes:
        ax.set_ylim(-limit, limit)  # symmetric, so over- and under-prediction look alike
    _date_axis(axes[-1])
    fig.suptitle(title or "Residuals over time, validation and test")
    return fig


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Write ``fig`` to ``<stem>.png`` and ``<stem>.svg`` atomically; return both paths."""
    from matplotlib import rc_context

    stem = Path(stem)
    written = []
    for fmt in ("png", "svg"):
        path = stem.with_name(f"{stem.name}.{fmt}")
        # no timestamp and fixed element ids, so the same figure gives the same bytes
        metadata = {"Date": None} if fmt == "svg" else {}
        with atomic_path(path) as tmp, rc_context({"svg.hashsalt": "lstmlab"}):
            fig.savefig(tmp, format=fmt, dpi=_DPI, metadata=metadata)
        written.append(path)
    return written


def forecast_chart(
    history: pd.Series, forecast: pd.DataFrame, title: str | None = None, *,
    history_days: int = 120,
) -> Figure:
    """The last ``history_days`` actual prices, then the forecast with its uncertainty band.

    ``forecast`` is date-indexed with ``prediction, lower, upper``. The forecast line and the
    band start from the last actual price, so the chart shows where the forecast is anchored.
    """
    import pandas as pd

    _require_columns(forecast, ("prediction", "lower", "upper"), "forecast")
    recent = history.iloc[-history_days:]
    last_date, last_price = recent.index[-1], float(recent.iloc[-1])
    dates = pd.DatetimeIndex([last_date]).append(forecast.index)
    fig = _new_figure(10.0, 4.5)
    ax = fig.subplots()
    ax.plot(recent.index, recent.to_numpy(), color="black", lw=1.2, label="actual")
    ax.fill_between(dates, [last_price, *forecast["lower"]], [last_price, *forecast["upper"]],
                    color=_colour(0), alpha=0.18, lw=0, label="uncertainty band")
    ax.plot(dates, [last_price, *forecast["prediction"]], color=_colour(0), lw=1.6, marker=".",
            label="forecast")
    ax.axvline(last_date, color="grey", ls=":", lw=1.2)
    ax.annotate(f"last actual {last_date:%Y-%m-%d}: {last_price:,.2f}", (last_date, last_price),
                xytext=(-10, -28), textcoords="offset points", ha="right", fontsize=9,
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "lightgrey"},
                arrowprops={"arrowstyle": "-", "color": "grey"})
    _date_axis(ax)
    ax.set_ylabel("price (USD)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", framealpha=0.9)
    ax.set_title(title or f"{len(forecast)}-day forecast from {last_date:%Y-%m-%d}")
    return fig
