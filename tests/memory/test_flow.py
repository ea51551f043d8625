"""Gate recording for the heatmaps: the adding sequence's markers, and a continuous price run."""

import numpy as np
import pytest
import torch

from lstmlab.errors import ConfigError
from lstmlab.memory.flow import adding_flow, price_flow, train_on_prices
from lstmlab.memory.train import MemoryConfig, build_model


def test_adding_flow_records_every_gate_and_marks_the_two_markers():
    model = build_model(MemoryConfig(cell="lstm", hidden_size=5))
    flow = adding_flow(model, 12, seed=3)
    assert set(flow.gates) == {"f_t", "i_t", "o_t", "c_t", "h_t"}
    assert all(g.shape == (12, 5) for g in flow.gates.values())
    first, second = flow.marks
    assert 0 <= first < 6 <= second < 12
    assert flow.target == pytest.approx(flow.signal[first] + flow.signal[second], rel=1e-6)
    assert sorted(flow.order) == list(range(5)) and np.all(np.abs(flow.correlation) <= 1)
    strengths = np.abs(flow.correlation[flow.order])
    assert np.all(strengths[:-1] >= strengths[1:])  # strongest memory units first
    with torch.no_grad():  # the recording's equation loop agrees with the fast path
        x = torch.stack([torch.from_numpy(flow.signal), torch.zeros(12)], dim=-1)[None]
        x[0, flow.marks, 1] = 1.0
        assert model(x).item() == pytest.approx(flow.prediction, abs=1e-5)


def test_gate_heatmaps_need_an_lstm():
    with pytest.raises(ConfigError, match="gate heatmaps need an LSTM, got GRU"):
        adding_flow(build_model(MemoryConfig(cell="gru", hidden_size=3)), 6)


def test_price_flow_is_the_test_period_as_one_continuous_sequence(tsla_csv):
    trained = train_on_prices(tsla_csv, lookback=10, hidden_size=4, steps=5, batch_size=8)
    assert set(trained.test) == {"mse", "mse_zero"} and trained.seconds > 0
    flow, dates = price_flow(trained)
    test = trained.prepared.test
    length = 10 + len(test) - 1
    assert flow.gates["f_t"].shape == (length, 4) and len(dates) == length
    for j in (0, 7, len(test) - 1):  # window j is the slice j .. j + lookback of the sequence
        np.testing.assert_array_equal(flow.signal[j : j + 10], test.x[j, :, 0].numpy())
    assert dates[9] == trained.dates[test.origin[0]].strftime("%Y-%m-%d")
    assert dates[-1] == trained.dates[test.origin[-1]].strftime("%Y-%m-%d")
