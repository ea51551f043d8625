"""One trial: a run directory like `lstmlab train` writes, its summary, and failures recorded."""

from __future__ import annotations

import pandas as pd
import pytest

from lstmlab import jobs
from lstmlab.runs import read_run
from lstmlab.sweep.trial import run_trial
from lstmlab.verdicts import at_step

from .conftest import FAST, TINY_GRID, make_trials


def test_key_is_stable_and_changes_with_any_setting(tiny_dir):
    source = str(tiny_dir / "AAA.csv")
    first, second = make_trials([source]), make_trials([source])
    assert [t.key for t in first] == [t.key for t in second]
    assert len({t.key for t in first}) == 2  # rnn and lstm
    seeded = make_trials([source], grid=(*TINY_GRID, "seed=1"))
    assert not {t.key for t in seeded} & {t.key for t in first}
    assert first[0].run_name == f"aaa-rnn-{first[0].key[:10]}"


def test_threads_option_reaches_pytorch_while_the_trial_trains(tiny_dir, tmp_path):
    import dataclasses

    import torch

    trial = make_trials([str(tiny_dir / "AAA.csv")], cells=("lstm",))[0]
    seen: list[int] = []
    before = torch.get_num_threads()
    options = dataclasses.replace(FAST, threads=2)
    result = run_trial(trial, tmp_path, options,
                       on_epoch=lambda cell, record: seen.append(torch.get_num_threads()))
    assert result.status == "ok", result.message
    assert seen == [2, 2]  # before the fix, the config's num_threads (1) won
    assert torch.get_num_threads() == before
    assert result.key == trial.key  # the thread count is not part of the trial's identity


def test_trial_writes_a_run_and_summarises_it(tiny_dir, tmp_path):
    trial = make_trials([str(tiny_dir / "AAA.csv")], cells=("lstm",))[0]
    result = run_trial(trial, tmp_path, FAST)
    assert result.status == "ok", result.message
    run = read_run(tmp_path / result.run_dir)
    assert run.config["command"] == "sweep" and run.config["trial"] == trial.key
    assert (tmp_path / result.run_dir / "models" / "lstm.safetensors").is_file()
    metrics = at_step(pd.read_csv(tmp_path / result.run_dir / "metrics.csv"))
    history = pd.read_csv(tmp_path / result.run_dir / "history.csv")
    assert result.metrics["val_rmse"] == pytest.approx(metrics.loc[("val", "lstm"), "rmse"])
    assert result.metrics["test_ratio"] == pytest.approx(
        metrics.loc[("test", "lstm"), "rmse"] / metrics.loc[("test", "naive"), "rmse"])
    assert result.metrics["val_loss"] == pytest.approx(history["val_loss"].min())
    assert result.metrics["epochs"] == len(history) == 2
    assert result.metrics["val_rmse_naive"] == pytest.approx(metrics.loc[("val", "naive"), "rmse"])


def test_finished_run_directory_is_summarised_without_training(tiny_dir, tmp_path, monkeypatch):
    trial = make_trials([str(tiny_dir / "AAA.csv")], cells=("rnn",))[0]
    first = run_trial(trial, tmp_path, FAST)

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(jobs, "fit_models", no_training)
    again = run_trial(trial, tmp_path, FAST)
    assert again.status == "ok" and again.metrics == first.metrics


def test_broken_csv_is_a_failed_trial_with_the_loader_message(broken_csv, tmp_path):
    trial = make_trials([str(broken_csv)], cells=("lstm",))[0]
    result = run_trial(trial, tmp_path, FAST)
    assert result.status == "failed" and result.run_dir is None
    assert result.message.startswith(f"non-numeric close value 'oops' at line 3 of {broken_csv}")
    assert result.detail == ""  # an lstmlab error: the message says it all


def test_non_finite_loss_is_a_failed_trial_naming_the_epoch(tiny_dir, tmp_path):
    grid = ("hidden_size=4", "lookback=5", "max_epochs=2", "learning_rate=1e30", "grad_clip=0",
            "target=price", "scaler=minmax")
    trial = make_trials([str(tiny_dir / "AAA.csv")], cells=("lstm",), grid=grid)[0]
    result = run_trial(trial, tmp_path, FAST)
    assert result.status == "failed"
    assert result.message.startswith("the loss became non-finite")
    assert "in epoch 1" in result.message
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_unexpected_error_keeps_its_traceback(tiny_dir, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(jobs, "fit_models", broken)
    trial = make_trials([str(tiny_dir / "AAA.csv")], cells=("lstm",))[0]
    result = run_trial(trial, tmp_path, FAST)
    assert result.status == "failed" and result.message == "KeyError: 'surprise'"
    assert "Traceback" in result.detail and "broken" in result.detail
