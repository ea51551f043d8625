"""A forecasting run walked through one window: the recorded gates, inputs and outcome."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lstmlab.data import load_prices, windows_for
from lstmlab.errors import ConfigError
from lstmlab.explain.walk import forecast_walk, record_sequence, zero_return_inputs
from lstmlab.forecaster import Forecaster
from lstmlab.recording import record_gates
from lstmlab.runs import read_run


@pytest.fixture(scope="module")
def fitted(small_run):
    """The run's LSTM forecaster and the prices it was trained on."""
    run = read_run(small_run)
    return (Forecaster.load(run.model_path("lstm")),
            load_prices(small_run.parent / "prices.csv"))


def test_record_sequence_returns_what_record_gates_records(fitted):
    forecaster, _ = fitted
    x = torch.randn(1, 20, 1)
    with torch.no_grad(), record_gates(forecaster.model_) as trace:
        forecaster.model_(x)
    walked = record_sequence(forecaster.model_, x)
    assert len(walked) == len(trace.layers) == 1
    for name, gate in trace.layers[0].items():
        assert walked[0][name].shape == (20, 6)
        np.testing.assert_allclose(walked[0][name], gate[0].numpy(), rtol=1e-6, atol=1e-7)


def test_default_window_is_the_last_one_with_a_known_next_price(fitted):
    forecaster, prices = fitted
    walk = forecast_walk(forecaster, prices, source="synthetic")
    assert walk.labels[-1] == f"{prices.index[-2]:%Y-%m-%d}" and len(walk.labels) == 20
    assert walk.outcome.actual == pytest.approx(prices["close"].iloc[-1])
    assert walk.outcome.naive == pytest.approx(prices["close"].iloc[-2])  # tomorrow = today
    predicted = forecaster.predict(prices)["prediction"].iloc[-1]
    assert walk.outcome.model == pytest.approx(predicted, rel=1e-6)
    returns = np.diff(np.log(prices["close"].to_numpy()))[-21:-1]  # the window's log returns
    np.testing.assert_allclose(walk.inputs[:, 0], returns, rtol=1e-5, atol=1e-7)
    assert walk.cell == "lstm" and walk.title == "Flow of the memory: LSTM on synthetic"


def test_window_date_picks_the_window_ending_that_day(fitted):
    forecaster, prices = fitted
    day = prices.index[150]
    walk = forecast_walk(forecaster, prices, f"{day:%Y-%m-%d}")
    assert walk.labels[-1] == f"{day:%Y-%m-%d}"
    windows = windows_for(prices, forecaster.spec_)
    row = int(np.flatnonzero(windows.origin == 150)[0])
    with torch.no_grad(), record_gates(forecaster.model_) as trace:
        forecaster.model_(windows.x[row : row + 1])
    np.testing.assert_allclose(walk.layers[0]["c_t"], trace.layers[0]["c_t"][0].numpy(),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("date", "message"), [
    ("yesterday", "--window 'yesterday' is not a date; write it as YYYY-MM-DD"),
    ("2013-01-05", "--window 2013-01-05: no input window ends on that day; pick a trading "
                   "day from 2013-01-30 to 2014-02-24 (windows need a known next price)"),
])
def test_bad_window_dates_are_refused_with_the_valid_range(fitted, date, message):
    forecaster, prices = fitted
    with pytest.raises(ConfigError, match=re.escape(message)):
        forecast_walk(forecaster, prices, date)


def test_zero_return_inputs_hold_the_price_flat():
    inputs = np.array([[0.01, 0.5, 101.0], [-0.02, 0.2, 99.0], [0.03, 1.5, 102.0]])  # (T, F)
    flat = zero_return_inputs(["log_return", "volume_z", "close"], inputs)
    np.testing.assert_array_equal(flat, [[0, 0, 102.0], [0, 0, 102.0], [0, 0, 102.0]])


def test_every_cell_records_its_own_gates(small_run):
    prices = load_prices(small_run.parent / "prices.csv")
    expected = {"rnn": {"h_t"}, "gru": {"z_t", "r_t", "n_t", "h_t"},
                "lstm": {"f_t", "i_t", "o_t", "c_tilde", "c_t", "h_t"}}
    for cell, gates in expected.items():
        forecaster = Forecaster.load(read_run(small_run).model_path(cell))
        walk = forecast_walk(forecaster, prices)
        assert set(walk.layers[0]) == gates, cell
