"""Fan chart, PIT histogram and coverage chart: they draw what they are given and save."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.charts import save_figure
from lstmlab.interval_charts import coverage_chart, fan_chart, pit_chart


def _fan(dates):
    centre = np.linspace(100, 105, len(dates))
    frame = {"prediction": centre}
    for level, spread in ((0.5, 1.0), (0.8, 2.0), (0.9, 3.0)):
        frame[f"lower_{level * 100:g}"] = centre - spread
        frame[f"upper_{level * 100:g}"] = centre + spread
    return pd.DataFrame(frame, index=dates)


def test_fan_chart_draws_three_nested_bands_and_saves(tmp_path):
    history = pd.Series(np.linspace(90, 100, 200), index=pd.bdate_range("2023-01-02", periods=200))
    fan = _fan(pd.bdate_range(history.index[-1], periods=11)[1:])
    fig = fan_chart(history, fan)
    ax = fig.axes[0]
    assert len(ax.collections) == 3  # one filled band per level
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == [
        "90% band", "80% band", "50% band"]
    paths = save_figure(fig, tmp_path / "fan")
    assert all(p.stat().st_size > 0 for p in paths)


def test_fan_chart_over_known_prices_draws_them_too():
    history = pd.Series(np.linspace(90, 100, 100), index=pd.bdate_range("2023-01-02", periods=100))
    fan = _fan(history.index[-30:])
    fig = fan_chart(history, fan)
    assert len(fig.axes[0].lines) >= 3  # forecast, actual before, actual during
    with pytest.raises(ValueError, match="lacks column"):
        fan_chart(history, fan.drop(columns="upper_80"))


def test_pit_and_coverage_charts():
    fig = pit_chart({"gaussian": np.ones(10), "quantile": np.linspace(0.5, 1.5, 10)})
    assert len(fig.axes) == 2
    dates = pd.bdate_range("2023-01-02", periods=120)
    hits = {"adaptive": np.arange(120) % 10 != 0, "naive": np.ones(120, dtype=bool)}
    fig = coverage_chart(dates, hits, 0.9, window=20)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "adaptive (90.0% overall)" and labels[-1] == "nominal 90%"
    with pytest.raises(ValueError, match="shape"):
        coverage_chart(dates, {"x": np.ones(5, dtype=bool)}, 0.9)
