"""The forecast chart: anchored on the last actual price, band included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.charts import forecast_chart
from lstmlab.errors import DataError


def _series() -> pd.Series:
    dates = pd.bdate_range("2023-01-02", periods=200)
    return pd.Series(np.linspace(100, 120, 200), index=dates, name="close")


def _forecast(start: pd.Timestamp) -> pd.DataFrame:
    dates = pd.bdate_range(start, periods=5)
    return pd.DataFrame({"prediction": [121, 122, 123, 124, 125], "lower": [118] * 5,
                         "upper": [128] * 5}, index=dates, dtype=float)


def test_forecast_line_starts_at_the_last_actual_price():
    history = _series()
    fig = forecast_chart(history, _forecast(history.index[-1] + pd.offsets.BDay(1)),
                         history_days=30)
    ax = fig.axes[0]
    actual, forecast = ax.get_lines()[:2]
    assert len(actual.get_xdata()) == 30
    assert forecast.get_ydata()[0] == pytest.approx(120.0)  # anchor: the last actual price
    assert list(forecast.get_ydata()[1:]) == [121, 122, 123, 124, 125]
    assert "last actual 2023-10-06: 120.00" in [t.get_text() for t in ax.texts]
    assert ax.get_ylabel() == "price (USD)"


def test_forecast_chart_requires_its_columns():
    history = _series()
    with pytest.raises(DataError, match=r"lacks column\(s\) \['lower', 'upper'\]"):
        forecast_chart(history, _forecast(history.index[-1])[["prediction"]])
