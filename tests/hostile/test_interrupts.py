"""Ctrl-C during training: a sweep stops whole and redoes the trial; ``train`` keeps the best
model, says it was interrupted (output, manifest, report) and exits 130."""

from __future__ import annotations

import json

from fake_run import invoke

from lstmlab.runs import read_run
from lstmlab.sweep.runner import run_sweep
from lstmlab.sweep.store import load_results
from lstmlab.sweep.trial import TrialOptions, plan_trials

from .conftest import TINY_GRID, TINY_TRAIN


def test_ctrl_c_in_a_sequential_sweep_stops_it_and_the_trial_is_redone(
        prices_csv, tmp_path, ctrl_c_in_epoch):
    trials = plan_trials([str(prices_csv)], ["rnn", "lstm"], TINY_GRID)
    options = TrialOptions(charts=False)
    ctrl_c_in_epoch(2)
    try:
        run_sweep(trials, tmp_path, options, engine="sequential")
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt did not stop the sweep")
    stored = load_results(tmp_path)
    assert [r.status for r in stored.values()] == ["interrupted"]  # the second trial never ran
    assert stored[trials[0].key].message == "interrupted after 1 of 3 epochs"
    assert not (tmp_path / "runs" / trials[0].run_name).exists()

    ctrl_c_in_epoch(10**9)  # no interrupt this time
    again = run_sweep(trials, tmp_path, options, engine="sequential")
    assert [r.status for r in again] == ["ok", "ok"]
    assert again[0].metrics["epochs"] == 3


def test_ctrl_c_in_the_sweep_command_exits_130_with_the_resume_hint(
        prices_csv, tmp_path, ctrl_c_in_epoch):
    ctrl_c_in_epoch(2)
    grid = [arg for spec in TINY_GRID for arg in ("--grid", spec)]
    result = invoke("sweep", prices_csv, *grid, "--out", tmp_path, "--sequential",
                    "--no-charts")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        f"interrupted: finished trials are stored in {tmp_path}; run the same command again "
        f"to resume")


def test_ctrl_c_in_train_keeps_the_best_model_and_says_so(prices_csv, tmp_path,
                                                          ctrl_c_in_epoch):
    ctrl_c_in_epoch(3)
    result = invoke("train", prices_csv, *TINY_TRAIN, "--out", tmp_path, "--name", "cut")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        f"interrupted: training stopped (lstm after 2 of 3 epochs); the best model so far is "
        f"saved in {tmp_path / 'cut'}")
    run = read_run(tmp_path / "cut")
    assert run.manifest["interrupted"] == {"lstm": 2}
    assert run.model_path().is_file()
    assert "was stopped by Ctrl-C after 2 epochs" in (tmp_path / "cut" / "report.html").read_text()
    assert json.loads((tmp_path / "cut" / "manifest.json").read_text())["interrupted"]


def test_a_full_train_run_records_no_interruption(prices_csv, tmp_path):
    result = invoke("train", prices_csv, *TINY_TRAIN, "--out", tmp_path, "--name", "whole")
    assert result.exit_code == 0, result.output
    assert read_run(tmp_path / "whole").manifest["interrupted"] == {}


def test_ctrl_c_while_loading_leaves_nothing_and_exits_130(prices_csv, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("lstmlab.data.load_prices", interrupted)
    result = invoke("train", prices_csv, *TINY_TRAIN, "--out", tmp_path / "runs")
    assert result.exit_code == 130
    assert result.stderr == "interrupted: stopped before anything was written\n"
    assert not (tmp_path / "runs").exists()
