"""Features are what their definitions say, and causal: row t never sees row t+1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.data.features import VOLUME_WINDOW, feature_matrix
from lstmlab.errors import ConfigError, DataError


def test_definitions(synthetic):
    matrix, warmup = feature_matrix(synthetic, ("close", "log_return", "range"), "close")
    close = synthetic["close"].to_numpy()
    assert warmup == 1 and matrix.shape == (len(synthetic), 3)
    np.testing.assert_array_equal(matrix[:, 0], close)
    assert np.isnan(matrix[0, 1])
    np.testing.assert_allclose(matrix[1:, 1], np.log(close[1:] / close[:-1]))
    expected_range = (synthetic["high"] - synthetic["low"]) / synthetic["close"]
    np.testing.assert_allclose(matrix[:, 2], expected_range)


def test_volume_z_against_a_direct_computation(synthetic):
    matrix, warmup = feature_matrix(synthetic, ("volume_z",), "close")
    assert warmup == VOLUME_WINDOW - 1
    assert np.isnan(matrix[:warmup, 0]).all() and np.isfinite(matrix[warmup:, 0]).all()
    log_volume = np.log1p(synthetic["volume"].to_numpy())
    t = 100
    trailing = log_volume[t - VOLUME_WINDOW + 1 : t + 1]  # the 20 rows ending at t
    assert matrix[t, 0] == pytest.approx((log_volume[t] - trailing.mean()) / trailing.std())


def test_flat_volume_gives_zero_not_nan():
    index = pd.date_range("2020-01-01", periods=30, freq="B", name="date")
    flat = pd.DataFrame({"close": np.linspace(1, 2, 30), "volume": 500.0}, index=index)
    matrix, warmup = feature_matrix(flat, ("volume_z",), "close")
    np.testing.assert_array_equal(matrix[warmup:, 0], 0.0)


def test_causal_under_perturbation_of_the_future(series):
    """Changing rows >= k leaves every feature on rows < k unchanged."""
    names = ("open", "log_return", "range", "volume_z")
    before, _ = feature_matrix(series, names, "close")
    rng = np.random.default_rng(1)
    for k in (25, len(series) // 2, len(series) - 1):
        changed = series.copy()
        changed.iloc[k:] = changed.iloc[k:] * rng.uniform(0.5, 2.0, size=(len(series) - k, 1))
        after, _ = feature_matrix(changed, names, "close")
        np.testing.assert_array_equal(after[:k], before[:k])
        assert not np.allclose(after[k:], before[k:], equal_nan=True)


def test_log_return_of_another_target_column(synthetic):
    matrix, _ = feature_matrix(synthetic, ("log_return",), "open")
    open_ = synthetic["open"].to_numpy()
    np.testing.assert_allclose(matrix[1:, 0], np.diff(np.log(open_)))


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ((), "features is empty; name at least one, e.g. ('log_return',)"),
        (("close", "close"), "features lists a name twice: ['close', 'close']; list each once"),
        (("rsi",), "unknown feature 'rsi'; choose price columns ['open', 'high', 'low', 'close', "
                   "'volume', 'adj_close'] or derived features ['log_return', 'range', "
                   "'volume_z']"),
    ],
)
def test_bad_feature_lists(synthetic, features, message):
    with pytest.raises(ConfigError) as caught:
        feature_matrix(synthetic, features, "close")
    assert str(caught.value) == message


def test_feature_needing_an_absent_column(synthetic):
    only_close = synthetic[["close"]]
    with pytest.raises(DataError, match=r"^feature 'volume_z' needs the column\(s\) \['volume'\]"):
        feature_matrix(only_close, ("volume_z",), "close")
