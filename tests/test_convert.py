"""Weight conversion both ways with torch.nn.LSTM / GRU / RNN."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstmlab.convert import from_torch, to_torch
from lstmlab.errors import ConfigError
from lstmlab.layers import GRU, LSTM, RNN

PAIRS = [(LSTM, nn.LSTM), (GRU, nn.GRU), (RNN, nn.RNN)]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_from_torch_copies_settings_dtype_and_weights(ours, theirs):
    torch.manual_seed(0)
    reference = theirs(3, 5, num_layers=2, dropout=0.25, batch_first=True).double()
    layer = from_torch(reference, fast=False)
    assert type(layer) is ours
    assert (layer.input_size, layer.hidden_size, layer.num_layers) == (3, 5, 2)
    assert (layer.dropout, layer.fast) == (0.25, False)
    assert layer.cells[1].weight_hh.dtype == torch.float64
    assert torch.equal(layer.cells[1].weight_hh, reference.weight_hh_l1)
    if ours is GRU:
        assert torch.equal(layer.cells[1].bias_hh, reference.bias_hh_l1)
    else:
        assert torch.equal(layer.cells[1].bias, reference.bias_ih_l1 + reference.bias_hh_l1)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_to_torch_builds_the_same_model(ours, theirs):
    torch.manual_seed(1)
    layer = ours(4, 6, num_layers=3, dropout=0.1)
    converted = to_torch(layer)
    assert type(converted) is theirs
    assert converted.batch_first and converted.num_layers == 3 and converted.dropout == 0.1
    x = torch.randn(2, 5, 4)
    layer.eval()
    converted.eval()
    torch.testing.assert_close(converted(x)[0], layer(x)[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_round_trip_keeps_every_parameter(ours, theirs):
    torch.manual_seed(2)
    layer = ours(2, 3, num_layers=2)
    back = from_torch(to_torch(layer))
    for (name, a), (_, b) in zip(layer.named_parameters(), back.named_parameters(), strict=True):
        assert torch.equal(a, b), name


def test_lstm_bias_goes_back_as_bias_ih_with_zero_bias_hh():
    layer = LSTM(2, 3)
    converted = to_torch(layer)
    assert torch.equal(converted.bias_ih_l0, layer.cells[0].bias)
    assert torch.equal(converted.bias_hh_l0, torch.zeros(12))
    assert torch.equal(converted.bias_ih_l0[3:6], torch.ones(3))  # forget bias survives


@pytest.mark.parametrize(
    ("torch_layer", "problem"),
    [
        (nn.LSTM(2, 3, bidirectional=True), "bidirectional=True"),
        (nn.GRU(2, 3, bias=False), "bias=False"),
        (nn.LSTM(2, 3, proj_size=2), "proj_size=2"),
        (nn.RNN(2, 3, nonlinearity="relu"), "nonlinearity='relu'"),
    ],
)
def test_unsupported_torch_features_raise_config_error(torch_layer, problem):
    with pytest.raises(ConfigError, match=f"cannot convert .* with {problem}"):
        from_torch(torch_layer)


def test_wrong_types_raise_config_error():
    with pytest.raises(ConfigError, match=r"expects torch\.nn\.LSTM, GRU or RNN, got Linear"):
        from_torch(nn.Linear(2, 3))
    with pytest.raises(ConfigError, match="to_torch expects an lstmlab LSTM, GRU or RNN, got LSTM"):
        to_torch(nn.LSTM(2, 3))
