"""Charts: Figures with the expected titles, labels and lines; files written by save_figure."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from lstmlab.charts import loss_chart, prediction_chart, price_chart, residual_chart, save_figure
from lstmlab.errors import DataError

MODELS = ["Simple RNN", "LSTM"]


def _history(epochs: int, scale: float) -> pd.DataFrame:
    epoch = np.arange(1, epochs + 1)
    val = scale * (0.2 + (epoch - epochs / 2) ** 2 / epochs**2)  # best in the middle
    return pd.DataFrame({"epoch": epoch, "train_loss": scale / epoch, "val_loss": val,
                         "lr": 1e-3})


@pytest.fixture(scope="module")
def close(tsla_csv) -> pd.Series:
    frame = pd.read_csv(tsla_csv, parse_dates=["Date"], index_col="Date")
    return frame["Close"].iloc[-300:].rename("TSLA close")


@pytest.fixture(scope="module")
def predictions(close) -> pd.DataFrame:
    previous = close.shift(1)
    frame = pd.DataFrame({"actual": close, "naive": previous, "Simple RNN": previous * 1.01,
                          "LSTM": close.rolling(3).mean().shift(1)}).iloc[3:]
    frame.insert(0, "split", np.where(np.arange(len(frame)) < 150, "val", "test"))
    return frame


def _legend_texts(fig: Figure) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes] + fig.legends
    return [t.get_text() for legend in legends if legend for t in legend.get_texts()]


def test_loss_chart_single_model():
    fig = loss_chart({"LSTM": _history(10, 1.0)})
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert ax.get_title() == "LSTM: training and validation loss"
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "loss (MSE, scaled target)"
    assert ax.get_yscale() == "linear"  # 1.0 down to 0.1 is one decade
    train, val, best = ax.get_lines()
    assert train.get_linestyle() == "-" and val.get_linestyle() == "--"
    assert list(best.get_xdata()) == [5]  # the validation minimum
    assert "LSTM best validation (epoch 5)" in _legend_texts(fig)


def test_loss_chart_overlay_colours_and_log_scale():
    fig = loss_chart({"Simple RNN": _history(8, 1.0), "LSTM": _history(30, 1e-2)},
                     title="Overlay")
    ax = fig.axes[0]
    assert ax.get_title() == "Overlay"
    assert len(ax.get_lines()) == 6
    colours = [line.get_color() for line in ax.get_lines()]
    assert colours[0] == colours[1] != colours[3] == colours[4]
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel().endswith("log scale")


def test_loss_chart_rejects_missing_columns():
    with pytest.raises(DataError, match=r"history of 'LSTM' lacks column\(s\) \['val_loss'\]"):
        loss_chart({"LSTM": pd.DataFrame({"epoch": [1], "train_loss": [1.0]})})
    with pytest.raises(DataError, match="at least one history"):
        loss_chart({})


def test_price_chart_shades_splits(close):
    dates = close.index
    splits = {"train": (dates[0], dates[199]), "val": (dates[200], dates[249]),
              "test": (dates[250], dates[-1])}
    fig = price_chart(close, splits)
    ax = fig.axes[0]
    assert ax.get_title() == "Price with the train, validation and test periods"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("date", "price (USD)")
    assert len(ax.get_lines()) == 1
    assert len(ax.patches) == 3
    assert any(text.startswith("validation (") for text in _legend_texts(fig))


def test_price_chart_needs_dates():
    with pytest.raises(DataError, match="DatetimeIndex"):
        price_chart(pd.Series([1.0, 2.0]), {})


def test_prediction_chart_lines_and_zoom(predictions):
    fig = prediction_chart(predictions, MODELS, title="TSLA")
    main, zoom = fig.axes
    assert main.get_title() == "TSLA"
    assert main.get_ylabel() == "price (USD)" and main.get_xlabel() == "date"
    # naive, actual, two models, and the dotted line where the test period starts
    assert len(main.get_lines()) == 5
    boundary = main.get_lines()[-1]
    test_start = predictions.index[predictions["split"] == "test"][0]
    assert boundary.get_xdata()[0] == test_start
    assert len(zoom.get_lines()) == 4
    assert len(zoom.get_lines()[1].get_xdata()) == 60
    assert _legend_texts(fig) == ["naive (previous price)", "actual", *MODELS]


def test_prediction_chart_without_zoom(predictions):
    fig = prediction_chart(predictions, ["LSTM"], zoom_days=None)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title() == "Actual and predicted price, validation and test"


def test_prediction_chart_rejects_missing_model(predictions):
    with pytest.raises(DataError, match=r"predictions lacks column\(s\) \['GRU'\]"):
        prediction_chart(predictions, ["GRU"])


def test_residual_chart_one_panel_per_model(predictions):
    fig = residual_chart(predictions, MODELS)
    assert fig.get_suptitle() == "Residuals over time, validation and test"
    assert len(fig.axes) == 2
    for ax, model in zip(fig.axes, MODELS, strict=True):
        zero, residual, _boundary = ax.get_lines()
        assert list(zero.get_ydata()) == [0, 0]
        expected = (predictions["actual"] - predictions[model]).to_numpy()
        np.testing.assert_allclose(residual.get_ydata(), expected)
        low, high = ax.get_ylim()
        assert low == -high
    assert fig.axes[-1].get_xlabel() == "date"


def test_charts_do_not_import_pyplot():
    # pyplot would pick a GUI backend and keep figures alive in global state
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from lstmlab.charts import loss_chart\n"
        "h = pd.DataFrame({'epoch': [1, 2], 'train_loss': [1.0, 0.5], 'val_loss': [1.0, 0.7]})\n"
        "loss_chart({'LSTM': h}).savefig(__import__('io').BytesIO(), format='png')\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(src)})
    assert out.stdout.strip() == "False"


def test_save_figure_writes_png_and_svg(tmp_path):
    fig = loss_chart({"LSTM": _history(5, 1.0)})
    written = save_figure(fig, tmp_path / "charts" / "loss.v1")
    assert written == [tmp_path / "charts" / "loss.v1.png", tmp_path / "charts" / "loss.v1.svg"]
    assert written[0].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in written[1].read_bytes()[:1000]
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["loss.v1.png", "loss.v1.svg"]


def test_save_figure_is_reproducible(tmp_path):
    # two figures built alike give identical files: no timestamps, no random SVG ids
    first = [p.read_bytes() for p in save_figure(loss_chart({"LSTM": _history(5, 1.0)}),
                                                 tmp_path / "a")]
    second = [p.read_bytes() for p in save_figure(loss_chart({"LSTM": _history(5, 1.0)}),
                                                  tmp_path / "b")]
    assert first == second
