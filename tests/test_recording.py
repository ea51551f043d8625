"""Gate recording: values consistent with the outputs and the equations, and free when off."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstmlab.cells import GRUCell
from lstmlab.errors import ConfigError
from lstmlab.layers import GRU, LSTM, RNN
from lstmlab.recording import GateTrace, record_gates

B, T, F, H = 3, 6, 2, 4  # batch, time, features, hidden


def _sigmoid_range(t: torch.Tensor) -> bool:
    return bool(((t > 0) & (t < 1)).all())


def test_lstm_gates_have_contract_shapes_and_match_outputs():
    torch.manual_seed(0)
    layer = LSTM(F, H, num_layers=2)
    x = torch.randn(B, T, F)
    expected, _ = layer(x)  # fast path, for comparison
    with record_gates(layer) as trace:
        output, (h_n, c_n) = layer(x)
    assert isinstance(trace, GateTrace)
    assert len(trace.layers) == 2
    for index, gates in enumerate(trace.layers):
        assert list(gates) == ["f_t", "i_t", "o_t", "c_tilde", "c_t", "h_t"]
        assert all(g.shape == (B, T, H) and not g.requires_grad for g in gates.values())
        assert all(_sigmoid_range(gates[name]) for name in ("f_t", "i_t", "o_t"))
        torch.testing.assert_close(gates["c_t"][:, -1], c_n[index])
        torch.testing.assert_close(gates["h_t"][:, -1], h_n[index])
        c_prev = torch.cat([torch.zeros(B, 1, H), gates["c_t"][:, :-1]], dim=1)
        c_t = gates["f_t"] * c_prev + gates["i_t"] * gates["c_tilde"]
        torch.testing.assert_close(gates["c_t"], c_t)
        torch.testing.assert_close(gates["h_t"], gates["o_t"] * torch.tanh(gates["c_t"]))
    torch.testing.assert_close(trace.layers[-1]["h_t"], output.detach())
    torch.testing.assert_close(output, expected, atol=1e-6, rtol=0)


def test_gru_gates_follow_the_update_equation():
    torch.manual_seed(1)
    layer = GRU(F, H)
    x = torch.randn(B, T, F)
    with record_gates(layer) as trace:
        output, h_n = layer(x)
    (gates,) = trace.layers
    assert list(gates) == ["z_t", "r_t", "n_t", "h_t"]
    h_prev = torch.cat([torch.zeros(B, 1, H), gates["h_t"][:, :-1]], dim=1)
    blended = (1 - gates["z_t"]) * gates["n_t"] + gates["z_t"] * h_prev
    torch.testing.assert_close(gates["h_t"], blended)
    torch.testing.assert_close(gates["h_t"], output.detach())
    torch.testing.assert_close(gates["h_t"][:, -1], h_n[0].detach())


def test_rnn_records_h_t_equal_to_the_output():
    torch.manual_seed(2)
    layer = RNN(F, H, num_layers=3)
    with record_gates(layer) as trace:
        output, _ = layer(torch.randn(B, T, F))
    assert [list(g) for g in trace.layers] == [["h_t"]] * 3
    torch.testing.assert_close(trace.layers[-1]["h_t"], output.detach())


class _TwoLayerModel(nn.Module):
    """A model holding two recurrent layers and a head, as a user would build it."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = LSTM(F, H)
        self.decoder = GRU(H, H, num_layers=2)
        self.head = nn.Linear(H, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.decoder(self.encoder(x)[0])[0][:, -1])


def test_finds_layers_inside_a_model_and_groups_calls():
    torch.manual_seed(3)
    model = _TwoLayerModel()
    with record_gates(model) as trace:
        model(torch.randn(B, T, F))
    assert [len(call) for call in trace.calls] == [1, 2]
    assert "f_t" in trace.calls[0][0] and "z_t" in trace.calls[1][0]
    assert len(trace.layers) == 3


def test_recording_keeps_gradients_flowing():
    torch.manual_seed(4)
    model = _TwoLayerModel()
    with record_gates(model):
        model(torch.randn(B, T, F)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_recording_off_again_returns_to_the_fast_path(monkeypatch):
    calls = []
    original = GRUCell.step
    monkeypatch.setattr(GRUCell, "step", lambda self, *a: calls.append(1) or original(self, *a))
    layer = GRU(F, H)
    x = torch.randn(B, T, F)
    with record_gates(layer):
        layer(x)
    assert len(calls) == T
    assert layer._trace is None
    layer(x)
    assert len(calls) == T  # the fused kernel ran, not the loop


def test_an_error_inside_the_block_still_stops_recording():
    layer = LSTM(F, H)
    with pytest.raises(RuntimeError, match="boom"), record_gates(layer):
        raise RuntimeError("boom")
    assert layer._trace is None


def test_no_recurrent_layer_raises_config_error():
    with pytest.raises(ConfigError, match="found no lstmlab RNN/LSTM/GRU layer inside Linear"):
        record_gates(nn.Linear(2, 2)).__enter__()


def test_nesting_raises_config_error():
    layer = LSTM(F, H)
    with record_gates(layer), pytest.raises(ConfigError, match="already active"):
        record_gates(layer).__enter__()
