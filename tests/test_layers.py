"""Layers: exact equivalence with torch.nn.LSTM/RNN/GRU, gradcheck, dropout, checks, make_layer."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lstmlab.cells import LSTMCell
from lstmlab.convert import from_torch
from lstmlab.errors import ConfigError, DataError
from lstmlab.layers import GRU, LSTM, RNN, make_layer

TORCH_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


def _random_case(seed: int, cell: str, num_layers: int, dtype: torch.dtype):
    """A seeded random shape, a torch layer, its input, an initial state and a loss weighting."""
    rng = random.Random(seed)
    batch, steps = rng.randint(1, 4), rng.randint(1, 7)
    inputs, hidden = rng.randint(1, 5), rng.randint(1, 6)
    torch.manual_seed(seed)
    reference = TORCH_CLASSES[cell](inputs, hidden, num_layers, batch_first=True).to(dtype)
    x = torch.randn(batch, steps, inputs, dtype=dtype)
    count = 2 if cell == "lstm" else 1
    state = tuple(torch.randn(num_layers, batch, hidden, dtype=dtype) for _ in range(count))
    weight = torch.randn(batch, steps, hidden, dtype=dtype)  # makes every output matter
    return reference, x, state, weight


def _run(layer: nn.Module, x, state, weight):
    """Forward, backward of a loss touching output and final state; returns what to compare."""
    x = x.clone().requires_grad_()
    state = tuple(s.clone().requires_grad_() for s in state)
    output, final = layer(x, state if len(state) == 2 else state[0])
    finals = final if isinstance(final, tuple) else (final,)
    loss = (output * weight).sum() + sum((f**2).sum() for f in finals)
    loss.backward()
    return output, finals, x.grad, [s.grad for s in state]


def _torch_grads_as_ours(reference: nn.Module, cell: str) -> dict[str, torch.Tensor]:
    """Torch's parameter gradients under our names (our bias gets d/d(bias_ih) = d/d(bias_hh))."""
    grads = {}
    for index in range(reference.num_layers):
        def grad(name, index=index):
            return getattr(reference, f"{name}_l{index}").grad

        grads[f"cells.{index}.weight_ih"] = grad("weight_ih")
        grads[f"cells.{index}.weight_hh"] = grad("weight_hh")
        if cell == "gru":
            grads[f"cells.{index}.bias_ih"] = grad("bias_ih")
            grads[f"cells.{index}.bias_hh"] = grad("bias_hh")
        else:
            torch.testing.assert_close(grad("bias_ih"), grad("bias_hh"))
            grads[f"cells.{index}.bias"] = grad("bias_ih")
    return grads


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loop"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_matches_torch_outputs_states_and_every_gradient(cell, num_layers, fast, dtype):
    seed = 1000 * num_layers + 7 * len(cell) + fast
    reference, x, state, weight = _random_case(seed, cell, num_layers, dtype)
    layer = from_torch(reference, fast=fast)
    assert layer.fast is fast
    ours = _run(layer, x, state, weight)
    theirs = _run(reference, x, state, weight)
    atol = TOLERANCE[dtype]
    torch.testing.assert_close(ours[0], theirs[0], atol=atol, rtol=0)  # output
    for a, b in zip(ours[1] + (ours[2],) + tuple(ours[3]),
                    theirs[1] + (theirs[2],) + tuple(theirs[3]), strict=True):
        torch.testing.assert_close(a, b, atol=atol, rtol=0)  # final states, input/state grads
    expected = _torch_grads_as_ours(reference, cell)
    got = {name: p.grad for name, p in layer.named_parameters()}
    assert got.keys() == expected.keys()
    for name, grad in got.items():
        torch.testing.assert_close(grad, expected[name], atol=atol, rtol=0, msg=name)


@settings(max_examples=15, deadline=None)
@given(
    cell=st.sampled_from(sorted(TORCH_CLASSES)),
    num_layers=st.integers(1, 3),
    fast=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_matches_torch_on_hypothesis_shapes(cell, num_layers, fast, seed):
    reference, x, state, weight = _random_case(seed, cell, num_layers, torch.float64)
    layer = from_torch(reference, fast=fast)
    ours, theirs = _run(layer, x, state, weight), _run(reference, x, state, weight)
    torch.testing.assert_close(ours[0], theirs[0], atol=1e-10, rtol=0)
    torch.testing.assert_close(ours[1], theirs[1], atol=1e-10, rtol=0)
    expected = _torch_grads_as_ours(reference, cell)
    for name, param in layer.named_parameters():
        torch.testing.assert_close(param.grad, expected[name], atol=1e-10, rtol=0, msg=name)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loop"])
@pytest.mark.parametrize("layer_class", [LSTM, GRU, RNN])
def test_gradcheck_float64_two_layers(layer_class, fast):
    torch.manual_seed(4)
    layer = layer_class(2, 3, num_layers=2, fast=fast).double()
    names = [name for name, _ in layer.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in layer.parameters()]
    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 2, 3, dtype=torch.float64, requires_grad=True)

    def run(x, h0, *params):
        state = (h0, torch.tanh(h0)) if layer_class is LSTM else h0
        weights = dict(zip(names, params, strict=True))
        output, _ = torch.func.functional_call(layer, weights, (x, state))
        return output

    assert torch.autograd.gradcheck(run, (x, h0, *params))


def test_fast_and_loop_agree_on_a_default_layer():
    torch.manual_seed(5)
    layer = LSTM(3, 8, num_layers=2)
    x = torch.randn(4, 10, 3)
    fast_out, fast_state = layer(x)
    layer.fast = False
    loop_out, loop_state = layer(x)
    torch.testing.assert_close(fast_out, loop_out, atol=1e-6, rtol=0)
    torch.testing.assert_close(fast_state, loop_state, atol=1e-6, rtol=0)


@pytest.mark.parametrize("layer_class", [LSTM, GRU])
def test_fast_and_loop_agree_after_chrono_init(layer_class):
    torch.manual_seed(6)
    layer = layer_class(3, 8, num_layers=2, init="chrono", t_max=200)
    x = torch.randn(4, 30, 3)
    fast_out, fast_state = layer(x)
    layer.fast = False
    loop_out, loop_state = layer(x)
    torch.testing.assert_close(fast_out, loop_out, atol=1e-6, rtol=0)
    torch.testing.assert_close(fast_state, loop_state, atol=1e-6, rtol=0)
    assert all(cell.init == "chrono" and cell.t_max == 200 for cell in layer.cells)


def test_fast_path_does_not_run_the_equation_loop(monkeypatch):
    calls = []
    original = LSTMCell.step
    monkeypatch.setattr(LSTMCell, "step", lambda self, *a: calls.append(1) or original(self, *a))
    layer = LSTM(2, 3)
    layer(torch.randn(1, 4, 2))
    assert calls == []
    layer.fast = False
    layer(torch.randn(1, 4, 2))
    assert len(calls) == 4


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "loop"])
def test_dropout_only_between_layers_and_only_in_training(fast):
    torch.manual_seed(6)
    x = torch.randn(8, 5, 3)
    single = LSTM(3, 16, num_layers=1, dropout=0.5, fast=fast)
    assert torch.equal(single(x)[0], single.eval()(x)[0])  # nothing after the last layer
    stacked = LSTM(3, 16, num_layers=2, dropout=0.5, fast=fast)
    evaluated = stacked.eval()(x)[0]
    assert torch.equal(evaluated, stacked(x)[0])  # eval: deterministic
    assert not torch.allclose(stacked.train()(x)[0], evaluated)


def test_state_dict_holds_only_the_parameters():
    keys = list(LSTM(2, 3, num_layers=2).state_dict())
    assert keys == [f"cells.{i}.{n}" for i in (0, 1) for n in ("weight_ih", "weight_hh", "bias")]


def test_dtype_conversion_moves_the_fused_zero_bias():
    layer = LSTM(2, 3).double()
    output, _ = layer(torch.randn(1, 2, 2, dtype=torch.float64))
    assert output.dtype == torch.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("layer_class", [LSTM, GRU, RNN])
def test_cuda_matches_cpu(layer_class):
    torch.manual_seed(7)
    layer = layer_class(3, 4, num_layers=2)
    x = torch.randn(2, 5, 3)
    expected = layer(x)[0]
    gpu = layer.to("cuda")
    torch.testing.assert_close(gpu(x.cuda())[0].cpu(), expected, atol=1e-5, rtol=0)
    gpu.fast = False
    torch.testing.assert_close(gpu(x.cuda())[0].cpu(), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden_size": 0}, "hidden_size must be a whole number >= 1, got 0"),
        ({"num_layers": 0}, "num_layers must be a whole number >= 1, got 0"),
        ({"num_layers": 1.5}, "num_layers must be a whole number >= 1, got 1.5"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\), got 1.0"),
        ({"dropout": -0.1}, r"dropout must be a number in \[0, 1\), got -0.1"),
        ({"dropout": "0.2"}, r"dropout must be a number in \[0, 1\), got '0.2'"),
    ],
)
@pytest.mark.parametrize("layer_class", [LSTM, GRU, RNN])
def test_bad_arguments_raise_config_error(layer_class, kwargs, message):
    arguments = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(ConfigError, match=message):
        layer_class(**arguments)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((4, 3), r"expects input of shape \(batch, time, 3\), got \(4, 3\)"),
        ((2, 4, 5), r"expects input of shape \(batch, time, 3\), got \(2, 4, 5\)"),
        ((2, 0, 3), r"input of shape \(2, 0, 3\) has no batch rows or no time steps"),
    ],
)
def test_wrong_input_shape_raises_data_error(shape, message):
    with pytest.raises(DataError, match=message):
        GRU(3, 4)(torch.randn(*shape))


def test_wrong_initial_state_raises_data_error():
    layer = LSTM(3, 4, num_layers=2)
    x = torch.randn(5, 6, 3)
    with pytest.raises(DataError, match=r"must be \(h_0, c_0\) with each of shape \(2, 5, 4\)"):
        layer(x, torch.zeros(2, 5, 4))
    with pytest.raises(DataError, match=r"got shapes \[\(1, 5, 4\), \(2, 5, 4\)\]"):
        layer(x, (torch.zeros(1, 5, 4), torch.zeros(2, 5, 4)))


@pytest.mark.parametrize(("name", "layer_class"), [("lstm", LSTM), ("GRU", GRU), ("rnn", RNN)])
def test_make_layer_builds_the_named_layer(name, layer_class):
    layer = make_layer(name, 3, 5, num_layers=2, dropout=0.1)
    assert type(layer) is layer_class
    assert (layer.input_size, layer.hidden_size, layer.num_layers, layer.dropout) == (3, 5, 2, 0.1)


def test_make_layer_rejects_an_unknown_cell():
    with pytest.raises(ConfigError, match=r"unknown cell 'transformer'; choose one of \['gru'"):
        make_layer("transformer", 3, 5)
