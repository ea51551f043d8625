"""A tiny sweep on a local Ray with 2 CPUs (CI installs the lstmlab[ray] extra).

It checks what only Ray shows: trials run in worker processes from the same stored plan, a
broken CSV fails its trials only, the leaderboard matches the metrics that the trials wrote into
their own run directories, a rerun resumes without starting any work, and ASHA on Ray Tune
records every trial.
"""

from __future__ import annotations

import pandas as pd
import pytest

from lstmlab.sweep.asha import AshaSettings
from lstmlab.sweep.leaderboard import build_leaderboard
from lstmlab.sweep.runner import run_sweep

from .conftest import FAST, make_trials

ray = pytest.importorskip("ray", reason="the sweep's Ray tests need the lstmlab[ray] extra")


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray with 2 CPUs for the module (starting Ray takes seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _val_rmse_in_run(sweep_dir, run_dir: str, cell: str) -> float:
    metrics = pd.read_csv(sweep_dir / run_dir / "metrics.csv")
    row = metrics[(metrics["split"] == "val") & (metrics["model"] == cell)]
    return float(row["rmse"].iloc[0])


def test_sweep_on_ray_ranks_failures_and_resumes(local_ray, tiny_dir, broken_csv, tmp_path,
                                                 monkeypatch):
    trials = make_trials([str(tiny_dir), str(broken_csv)])
    results = run_sweep(trials, tmp_path, FAST, engine="ray")
    assert [(r.series, r.status) for r in results] == [
        ("AAA", "ok"), ("AAA", "ok"), ("BBB", "ok"), ("BBB", "ok"),
        ("BAD", "failed"), ("BAD", "failed")]
    assert all("non-numeric close value 'oops'" in r.message for r in results[4:])

    board = build_leaderboard(results)
    for series in ("AAA", "BBB"):  # the trials' own run directories decide, not the results
        own = {r.label: _val_rmse_in_run(tmp_path, r.run_dir, r.config["cell"])
               for r in results if r.series == series}
        best = board.best.set_index("series").loc[series, "label"]
        assert best == min(own, key=own.get)

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray was asked for with nothing to run")

    monkeypatch.setattr("lstmlab.sweep.runner._on_ray", no_ray)
    starts = []
    again = run_sweep(trials, tmp_path, FAST, engine="ray", on_start=starts.append)
    assert again == results and starts == [0]


def test_asha_on_ray_tune_records_every_trial(local_ray, tiny_dir, tmp_path):
    grid = ("hidden_size=4", "lookback=5", "max_epochs=3", "batch_size=32", "patience=0",
            "learning_rate=1e-3,1e-2")
    trials = make_trials([str(tiny_dir / "AAA.csv")], cells=("lstm",), grid=grid)
    results = run_sweep(trials, tmp_path, FAST, asha=AshaSettings(grace_period=1,
                                                                  reduction_factor=2))
    assert [r.key for r in results] == [t.key for t in trials]
    assert {r.status for r in results} <= {"ok", "stopped"}
    assert "ok" in {r.status for r in results}  # the first to reach a rung always goes on
    for result in results:
        if result.status == "ok":
            assert result.metrics["epochs"] == 3 and (tmp_path / result.run_dir).is_dir()
        else:
            assert result.message.startswith("stopped early by ASHA after epoch")
