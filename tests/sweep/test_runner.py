"""Sweeps in one process: every trial stored, failures do not stop it, reruns resume."""

from __future__ import annotations

import json

import pytest

from lstmlab.errors import ConfigError
from lstmlab.sweep import trial as trial_module
from lstmlab.sweep.runner import run_sweep
from lstmlab.sweep.store import load_results

from .conftest import FAST, make_trials


@pytest.fixture
def counted(monkeypatch):
    """Count the trials that actually run."""
    calls = []
    original = trial_module.run_trial

    def counting(trial, *args, **kwargs):
        calls.append(trial.key)
        return original(trial, *args, **kwargs)

    monkeypatch.setattr("lstmlab.sweep.runner.run_trial", counting)
    return calls


def test_failure_does_not_stop_the_sweep_and_a_rerun_resumes(tiny_dir, broken_csv, tmp_path,
                                                              counted):
    trials = make_trials([str(broken_csv), str(tiny_dir / "AAA.csv")])
    starts = []
    results = run_sweep(trials, tmp_path, FAST, engine="sequential", on_start=starts.append)
    assert [r.status for r in results] == ["failed", "failed", "ok", "ok"]
    assert [r.key for r in results] == [t.key for t in trials]
    assert set(load_results(tmp_path)) == {t.key for t in trials}
    assert len(counted) == 4

    again = run_sweep(trials, tmp_path, FAST, engine="sequential", on_start=starts.append)
    assert again == results and len(counted) == 4  # nothing recomputed
    assert starts == [4, 0]


def test_retry_failed_runs_only_the_failed_trials(tiny_dir, broken_csv, tmp_path, counted):
    trials = make_trials([str(broken_csv), str(tiny_dir / "AAA.csv")])
    run_sweep(trials, tmp_path, FAST, engine="sequential")
    counted.clear()
    run_sweep(trials, tmp_path, FAST, engine="sequential", retry_failed=True)
    assert counted == [t.key for t in trials[:2]]


def test_a_larger_sweep_reuses_the_trials_it_shares(tiny_dir, tmp_path, counted):
    run_sweep(make_trials([str(tiny_dir / "AAA.csv")]), tmp_path, FAST, engine="sequential")
    bigger = make_trials([str(tiny_dir)])  # AAA and BBB
    results = run_sweep(bigger, tmp_path, FAST, engine="sequential")
    assert len(counted) == 4 and [r.series for r in results] == ["AAA", "AAA", "BBB", "BBB"]


def test_damaged_stored_result_is_named_and_skipped(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "0123.json").write_text('{"key": ', encoding="utf-8")
    heard = []
    assert load_results(tmp_path, lambda path, why: heard.append((path.name, why))) == {}
    assert heard == [("0123.json", "JSONDecodeError: Expecting value: line 1 column 9 "
                                   "(char 8)")]


def test_stored_result_is_the_trial_result(tiny_dir, tmp_path):
    (result,) = run_sweep(make_trials([str(tiny_dir / "AAA.csv")], cells=("gru",)), tmp_path,
                          FAST, engine="sequential")
    stored = json.loads((tmp_path / "results" / f"{result.key}.json").read_text("utf-8"))
    assert stored == result.to_dict()


def test_unknown_engine_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="engine must be one of ray, sequential, got 'dask'"):
        run_sweep([], tmp_path, engine="dask")
