"""The adding and copy-memory generators: layout, targets, seeds and baselines."""

import math

import pytest
import torch

from lstmlab.errors import ConfigError
from lstmlab.memory.tasks import COPY_DELIMITER, AddingTask, CopyTask, get_task


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_adding_has_one_marker_in_each_half_and_sums_the_marked_values():
    x, y = AddingTask().batch(64, 11, _gen())
    assert x.shape == (64, 11, 2) and y.shape == (64, 1)
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values <= 1)).all()
    assert (markers[:, :5].sum(1) == 1).all() and (markers[:, 5:].sum(1) == 1).all()
    torch.testing.assert_close(y[:, 0], (values * markers).sum(1))


def test_adding_is_fixed_by_the_seed():
    a, b, c = (AddingTask().batch(8, 20, _gen(s)) for s in (3, 3, 4))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


def test_adding_baseline_is_the_mse_of_predicting_one():
    task = AddingTask()
    _, y = task.batch(40_000, 6, _gen())
    mse = task.loss(torch.ones_like(y), y).item()
    assert task.baseline(6) == pytest.approx(1 / 6)
    assert mse == pytest.approx(task.baseline(6), abs=0.005)
    assert task.metrics(torch.ones_like(y), y) == {"mse": pytest.approx(mse)}


def test_copy_layout_symbols_gap_delimiter_and_recall():
    length = 7
    x, y = CopyTask().batch(16, length, _gen())
    assert x.shape == (16, length + 20, 10) and y.shape == (16, length + 20)
    tokens = x.argmax(-1)
    assert torch.equal(x.sum(-1), torch.ones(16, length + 20))  # one-hot
    symbols = tokens[:, :10]
    assert ((symbols >= 1) & (symbols <= 8)).all()
    assert (tokens[:, 10 + length - 1] == COPY_DELIMITER).all()
    others = torch.cat([tokens[:, 10 : 10 + length - 1], tokens[:, 10 + length :]], dim=1)
    assert (others == 0).all()
    assert torch.equal(y[:, -10:], symbols) and (y[:, :-10] == 0).all()


def test_copy_baseline_is_the_cross_entropy_of_a_memoryless_guess():
    task, length = CopyTask(), 5
    _, y = task.batch(32, length, _gen())
    logits = torch.full((32, length + 20, 10), -1e9)
    logits[:, :-10, 0] = 0.0  # certain blank while nothing is asked
    logits[:, -10:, 1:9] = 0.0  # uniform over the 8 symbols when recalling
    metrics = task.metrics(logits, y)
    assert task.baseline(length) == pytest.approx(10 * math.log(8) / (length + 20))
    assert metrics["cross_entropy"] == pytest.approx(task.baseline(length), rel=1e-5)


def test_copy_training_loss_weighs_recall_as_much_as_the_blanks():
    task, length = CopyTask(), 30
    _, y = task.batch(16, length, _gen())
    logits = torch.full((16, length + 20, 10), -1e9)
    logits[:, :-10, 0] = 0.0  # blanks right
    logits[:, -10:, 1:9] = 0.0  # recall a uniform guess
    assert float(task.loss(logits, y)) == pytest.approx(math.log(8), rel=1e-5)  # ln 8 + 0
    assert task.metrics(logits, y)["cross_entropy"] == pytest.approx(task.baseline(length))
    logits[:, -10:] = torch.nn.functional.one_hot(y[:, -10:], 10).float() * 50 - 1e9 * (
        1 - torch.nn.functional.one_hot(y[:, -10:], 10).float())
    assert float(task.loss(logits, y)) == pytest.approx(0.0, abs=1e-6)


def test_copy_accuracy_counts_only_the_recalled_symbols():
    task = CopyTask()
    _, y = task.batch(4, 3, _gen())
    perfect = torch.nn.functional.one_hot(y, 10).float() * 50
    assert task.metrics(perfect, y)["accuracy"] == 1.0
    wrong = perfect.clone()
    wrong[:, -10:] = torch.nn.functional.one_hot(torch.zeros_like(y[:, -10:]), 10).float() * 50
    assert task.metrics(wrong, y)["accuracy"] == 0.0


def test_unknown_task_and_short_length_raise_config_error():
    with pytest.raises(ConfigError, match="unknown memory task 'sum': choose one of adding, copy"):
        get_task("sum")
    with pytest.raises(ConfigError, match="sequence length must be a whole number >= 2, got 1"):
        AddingTask().batch(2, 1, _gen())
    with pytest.raises(ConfigError, match="sequence length must be a whole number >= 1, got 0"):
        CopyTask().batch(2, 0, _gen())


def test_public_names_resolve_lazily_from_the_package():
    import lstmlab
    from lstmlab.memory import gradients, train

    assert lstmlab.AddingTask is AddingTask and lstmlab.CopyTask is CopyTask
    assert lstmlab.MemoryConfig is train.MemoryConfig and lstmlab.MemoryRun is train.MemoryRun
    assert lstmlab.train_memory is train.train_memory
    assert lstmlab.hidden_gradient_norms is gradients.hidden_gradient_norms
