"""``prepare`` and ``latest_window``: the contract the forecaster builds on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st

from lstmlab.data import Prepared, latest_window, prepare
from lstmlab.data.features import feature_matrix
from lstmlab.data.scale import fit_scaler
from lstmlab.data.targets import TARGETS
from lstmlab.errors import ConfigError, DataError

SPLITS = ("train", "val", "test")


def check_alignment(prepared: Prepared, prices: pd.DataFrame) -> None:
    """Every sample lines up with the price frame: window, dates, last price, targets."""
    price = prices[prepared.spec.target_column].to_numpy()
    matrix, _ = feature_matrix(prices, prepared.features, prepared.spec.target_column)
    scaled = prepared.scaler_x.transform(matrix).astype(np.float32)
    L, h = prepared.spec.lookback, prepared.spec.horizon
    for name in SPLITS:
        w = getattr(prepared, name)
        o = w.origin
        assert w.x.shape == (len(o), L, len(prepared.features)) and w.y.shape == (len(o), h)
        assert w.x.dtype == torch.float32 and w.y.dtype == torch.float32
        assert np.array_equal(o, np.arange(o[0], o[0] + len(o)))
        np.testing.assert_array_equal(w.x[:, -1].numpy(), scaled[o])
        np.testing.assert_array_equal(w.x[:, 0].numpy(), scaled[o - L + 1])
        assert w.dates.equals(prices.index[o + 1].rename("date"))
        np.testing.assert_array_equal(w.last_price, price[o])
        np.testing.assert_array_equal(w.actual, price[o[:, None] + np.arange(1, h + 1)])
        assert o[0] - L + 1 >= prepared.warmup and o[-1] + h <= len(prices) - 1
        back = prepared.to_prices(w.y.numpy(), w.last_price)
        np.testing.assert_allclose(back, w.actual, rtol=2e-5)  # float32 round trip


def test_defaults_are_a_newcomer_setup(tsla):
    p = prepare(tsla)
    assert (p.spec.target, p.spec.target_column, p.spec.lookback, p.spec.horizon) == (
        "log_return",
        "close",
        60,
        1,
    )
    assert p.features == ["log_return"] and p.scaler_x.kind == "standard" and p.warmup == 1
    check_alignment(p, tsla)
    sizes = np.array([len(p.train), len(p.val), len(p.test)])
    np.testing.assert_allclose(sizes / sizes.sum(), [0.7, 0.15, 0.15], atol=2e-3)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("horizon", [1, 4])
def test_every_target_and_horizon_aligns_and_inverts(series, target, horizon):
    p = prepare(
        series,
        target=target,
        horizon=horizon,
        lookback=20,
        features=("close", "log_return", "range", "volume_z"),
        scaler="minmax",
    )
    check_alignment(p, series)


def test_target_blocks_do_not_overlap_between_splits(synthetic):
    p = prepare(synthetic, horizon=5, lookback=10)
    last_target = {n: getattr(p, n).origin[-1] + 5 for n in SPLITS}
    first_target = {n: getattr(p, n).origin[0] + 1 for n in SPLITS}
    assert last_target["train"] < first_target["val"] and last_target["val"] < first_target["test"]
    assert p.notes[-1] == (
        "4 sample(s) at each split boundary are left out so that no price is a target in two splits"
    )


def test_scalers_are_fitted_on_training_rows_only(tsla):
    p = prepare(tsla, features=("log_return", "volume_z"), lookback=30, horizon=2)
    matrix, _ = feature_matrix(tsla, p.features, "close")
    first, last = p.train.origin[0] - 29, p.train.origin[-1]
    assert p.scaler_x == fit_scaler("standard", matrix[first : last + 1])
    raw = np.log(p.train.actual / p.train.last_price[:, None])
    assert p.scaler_y == fit_scaler("standard", raw)


def test_split_by_dates(tsla):
    p = prepare(tsla, split=("2021-01-04", "2022-07-01"))
    assert p.split_dates["val"]["first"] == "2021-01-04"
    assert p.train.dates[-1] < pd.Timestamp("2021-01-04") <= p.val.dates[0]
    assert p.val.dates[-1] < pd.Timestamp("2022-07-01") <= p.test.dates[0]
    check_alignment(p, tsla)


def test_split_dates_and_scalers_are_json(tsla):
    p = prepare(tsla)
    text = json.dumps(
        {"split_dates": p.split_dates, "x": p.scaler_x.to_dict(), "y": p.scaler_y.to_dict()}
    )
    assert json.loads(text)["split_dates"]["test"]["last"] == f"{tsla.index[-1]:%Y-%m-%d}"
    assert p.split_dates["train"]["first"] == f"{tsla.index[61]:%Y-%m-%d}"


def test_notes_carry_the_loading_notes(synthetic):
    newest_first = synthetic.iloc[::-1]
    p = prepare(newest_first, features=("volume_z",), lookback=5)
    assert p.notes[0].startswith(
        f"the DataFrame loaded from {synthetic.attrs['source']} lists the newest date first"
    )
    assert p.notes[1] == (
        "the first 19 row(s) feed no window: warm-up of the derived features in ['volume_z']"
    )


def test_prepare_still_accepts_a_path_with_a_deprecation_warning(tsla_csv, tsla):
    with pytest.warns(DeprecationWarning, match=r"prepare\(\) takes the DataFrame"):
        from_path = prepare(tsla_csv)
    assert torch.equal(from_path.test.y, prepare(tsla).test.y)


def test_a_checked_frame_is_not_loaded_again(tsla, monkeypatch):
    import lstmlab.data.load as load

    calls = []
    monkeypatch.setattr(load, "load_prices", lambda *a, **k: calls.append(a))
    p = prepare(tsla.iloc[-400:])
    latest_window(tsla, p)
    assert calls == [] and len(p.test) > 0


def test_latest_window_ends_at_the_last_row(tsla):
    p = prepare(tsla, features=("log_return", "volume_z"), lookback=30)
    window = latest_window(tsla, p)
    matrix, _ = feature_matrix(tsla, p.features, "close")
    expected = p.scaler_x.transform(matrix[-30:]).astype(np.float32)
    assert window.shape == (1, 30, 2) and window.dtype == torch.float32
    np.testing.assert_array_equal(window[0].numpy(), expected)


def test_latest_window_too_short(tsla):
    p = prepare(tsla, lookback=30)
    with pytest.raises(DataError) as caught:
        latest_window(tsla.iloc[:30], p)
    assert str(caught.value) == (
        f"{tsla.attrs['source']} has 30 rows; a window needs "
        "30 rows after 1 warm-up row(s), so at least 31"
    )


def test_series_too_short(tsla):
    with pytest.raises(DataError) as caught:
        prepare(tsla.iloc[:80], lookback=60, horizon=5)
    assert str(caught.value) == (
        f"series too short: 80 rows with lookback 60, horizon 5 and 1 warm-up row(s) in "
        f"{tsla.attrs['source']} and split (0.7, 0.15, 0.15) leave val, "
        "test without samples (a split needs 5 target row(s)); need at least 93 rows, or use a "
        "shorter lookback/horizon or more data"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lookback": 0}, ConfigError, "lookback must be a whole number >= 1, got 0"),
        ({"horizon": True}, ConfigError, "horizon must be a whole number >= 1, got True"),
        ({"horizon": 1.5}, ConfigError, "horizon must be a whole number >= 1, got 1.5"),
        (
            {"scaler": "robust"},
            ConfigError,
            "unknown scaler 'robust'; choose one of ['standard', 'minmax', 'none']",
        ),
        (
            {"target_column": "adj_close"},
            DataError,
            "target column 'adj_close' is not in the prices from <source> (columns: ['open', "
            "'high', 'low', 'close', 'volume']); pick one",
        ),
    ],
)
def test_bad_settings(synthetic, kwargs, error, message):
    with pytest.raises(error) as caught:
        prepare(synthetic, **kwargs)
    assert str(caught.value) == message.replace("<source>", synthetic.attrs["source"])


def test_to_prices_checks_shapes(synthetic):
    p = prepare(synthetic, horizon=2, lookback=5)
    with pytest.raises(DataError, match=r"^to_prices needs y_scaled of shape \(N, 2\)"):
        p.to_prices(np.zeros((3, 1)), np.ones(3))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(30, 400),
    lookback=st.integers(1, 40),
    horizon=st.integers(1, 6),
    target=st.sampled_from(TARGETS),
    features=st.lists(
        st.sampled_from(["close", "log_return", "range", "volume_z"]),
        min_size=1,
        max_size=4,
        unique=True,
    ),
)
def test_shapes_and_alignment_over_random_settings(
    synthetic, n, lookback, horizon, target, features
):
    prices = synthetic.iloc[:n]
    try:
        p = prepare(prices, lookback=lookback, horizon=horizon, target=target, features=features)
    except DataError as exc:
        assert str(exc).startswith("series too short")
        event("too short")  # counted in --hypothesis-show-statistics
        return
    event("checked")
    check_alignment(p, prices)
    first_target = p.warmup + lookback
    assert len(p.train) + len(p.val) + len(p.test) == n - first_target - 3 * (horizon - 1)
