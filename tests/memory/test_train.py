"""The step-budget trainer: configuration checks, schedule, learning and reproducibility."""

import itertools
import math

import pytest
import torch

from lstmlab.errors import ConfigError, TrainingError
from lstmlab.memory.tasks import AddingTask, TaskBatch
from lstmlab.memory.train import MemoryConfig, learning_rate, train_memory

TINY = {"length": 6, "batch_size": 32, "hidden_size": 16, "test_size": 256, "eval_every": 50}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("steps", 0, "steps must be a whole number >= 1, got 0"),
        ("length", 2.5, "length must be a whole number >= 1, got 2.5"),
        ("learning_rate", -0.1, "memory config field learning_rate=-0.1: use a number > 0"),
        ("grad_clip", math.nan, "memory config field grad_clip=nan: use a number > 0"),
        ("task", "sum", "unknown memory task 'sum'"),
    ],
)
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ConfigError, match=message):
        MemoryConfig(**{field: value})


def test_learning_rate_holds_then_decays_to_a_twentieth():
    rates = [learning_rate(s, 100, 0.01) for s in range(100)]
    assert rates[:50] == [0.01] * 50
    assert all(a >= b for a, b in itertools.pairwise(rates[50:]))
    assert learning_rate(100, 100, 0.01) == pytest.approx(0.0005)


def test_lstm_beats_the_adding_baseline_on_short_sequences():
    run = train_memory(MemoryConfig(cell="lstm", steps=400, **TINY))
    assert run.baseline == pytest.approx(1 / 6)
    assert run.test["mse"] < run.baseline / 10
    assert [p["step"] for p in run.history] == list(range(50, 401, 50))
    assert run.history[-1]["test_loss"] == pytest.approx(run.test["mse"])
    assert run.seconds > 0


def test_same_seed_same_run_and_progress_records():
    seen: list[tuple[str, dict]] = []
    config = MemoryConfig(cell="gru", steps=20, **{**TINY, "eval_every": 10})
    first = train_memory(config, on_progress=lambda task, record: seen.append((task, record)))
    second = train_memory(config)
    assert first.test == second.test
    assert [task for task, _ in seen] == ["adding T=6 gru"] * 2
    assert [record["step"] for _, record in seen] == [10, 20] and "train_loss" in seen[0][1]
    assert first.summary()["config"]["cell"] == "gru"


def test_copy_task_trains_and_reports_cross_entropy_and_accuracy():
    run = train_memory(MemoryConfig(task="copy", cell="rnn", steps=10, **{**TINY, "length": 3}))
    assert set(run.test) == {"cross_entropy", "accuracy"}
    assert 0.0 <= run.test["accuracy"] <= 1.0
    assert run.baseline == pytest.approx(10 * math.log(8) / 23)


def test_non_finite_loss_raises_training_error(monkeypatch):
    real_batch = AddingTask.batch

    def nan_batch(self, batch_size, length, generator):
        x, y = real_batch(self, batch_size, length, generator)
        return TaskBatch(torch.full_like(x, math.nan), y)

    monkeypatch.setattr(AddingTask, "batch", nan_batch)
    with pytest.raises(TrainingError, match="loss became nan at step 1: lower --lr"):
        train_memory(MemoryConfig(steps=3, **TINY))


def test_chrono_init_is_recorded_and_t_max_defaults_to_the_sequence_steps():
    config = MemoryConfig(task="copy", init="chrono", steps=2, **{**TINY, "length": 5})
    run = train_memory(config)
    assert config.variant == "lstm-chrono"
    cell = run.model.rnn.cells[0]
    assert (cell.init, cell.t_max) == ("chrono", 25)  # T + 20 steps of the copy task
    assert run.summary()["config"]["init"] == "chrono"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cell": "rnn", "init": "chrono"}, "init='chrono' is not available for the rnn cell"),
        ({"init": "forget_bias", "t_max": 50}, "t_max=50 is only used by init='chrono'"),
    ],
)
def test_config_rejects_bad_init_options(changes, message):
    with pytest.raises(ConfigError, match=message):
        MemoryConfig(**changes)


def test_solved_run_stops_early():
    config = MemoryConfig(cell="lstm", steps=2000, stop_when_solved=True, **TINY)
    run = train_memory(config)
    assert run.test["mse"] < 0.01
    assert run.history[-1]["step"] < 2000
