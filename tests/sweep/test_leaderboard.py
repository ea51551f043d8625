"""The leaderboard from stored results: best per series by validation RMSE, medians per
configuration, failures counted, and its CSV, text and HTML forms."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lstmlab.sweep.leaderboard import build_leaderboard, format_leaderboard, write_leaderboard
from lstmlab.sweep.page import write_sweep_report
from lstmlab.sweep.trial import TrialResult


def _ok(series: str, label: str, val_rmse: float, ratio: float) -> TrialResult:
    metrics = {"val_rmse": val_rmse, "test_rmse": ratio * 10.0, "naive_test_rmse": 10.0,
               "test_ratio": ratio, "val_loss": 1.0}
    return TrialResult(f"{series}-{label}", series, label, "ok", seconds=1.0,
                       run_dir=f"runs/{series.lower()}-{label}", metrics=metrics)


RESULTS = [
    _ok("AAA", "rnn", 2.0, 1.10), _ok("AAA", "lstm", 1.5, 1.02),  # lstm best on AAA...
    _ok("BBB", "rnn", 3.0, 0.99), _ok("BBB", "lstm", 3.5, 0.95),  # ...rnn on BBB (val, not test)
    _ok("CCC", "rnn", 1.0, 1.30),
    TrialResult("CCC-lstm", "CCC", "lstm", "failed", message="the loss became non-finite"),
    TrialResult("DDD-rnn", "DDD", "rnn", "failed", message="price file not found: DDD.csv"),
    TrialResult("DDD-lstm", "DDD", "lstm", "stopped", message="stopped early by ASHA"),
]


def test_best_configuration_per_series_is_the_lowest_validation_rmse():
    board = build_leaderboard(RESULTS)
    assert board.best[["series", "label"]].values.tolist() == [
        ["AAA", "lstm"], ["BBB", "rnn"], ["CCC", "rnn"]]  # DDD has no finished trial
    assert board.best["test_ratio"].tolist() == [1.02, 0.99, 1.30]
    assert board.best["run_dir"].tolist() == ["runs/aaa-lstm", "runs/bbb-rnn", "runs/ccc-rnn"]


def test_configurations_have_the_median_ratio_across_series_and_counts():
    table = build_leaderboard(RESULTS).configurations.set_index("label")
    assert table.loc["rnn", "median_ratio"] == pytest.approx(1.10)  # of 1.10, 0.99, 1.30
    assert table.loc["lstm", "median_ratio"] == pytest.approx((1.02 + 0.95) / 2)
    assert table.loc["rnn"][["series", "wins", "failed", "stopped"]].tolist() == [3, 2, 1, 0]
    assert table.loc["lstm"][["series", "wins", "failed", "stopped"]].tolist() == [2, 1, 1, 1]
    assert list(table.index) == ["lstm", "rnn"]  # best median first


def test_ties_go_to_the_first_trial():
    board = build_leaderboard([_ok("AAA", "rnn", 2.0, 1.1), _ok("AAA", "lstm", 2.0, 1.0)])
    assert board.best["label"].tolist() == ["rnn"]


def test_all_failed_gives_an_empty_leaderboard():
    board = build_leaderboard(RESULTS[5:7])
    assert board.best.empty
    assert math.isnan(board.configurations.set_index("label").loc["lstm", "median_ratio"])


def test_csv_files_text_and_html(tmp_path):
    board = build_leaderboard(RESULTS)
    paths = write_leaderboard(board, tmp_path)
    assert [p.name for p in paths] == ["trials.csv", "leaderboard.csv", "configurations.csv"]
    assert pd.read_csv(paths[1])["label"].tolist() == ["lstm", "rnn", "rnn"]
    assert len(pd.read_csv(paths[0])) == len(RESULTS)
    text = format_leaderboard(board)
    assert "BBB" in text and "0.990" in text
    assert "3 trial(s) without a result:" in text
    assert "DDD rnn: failed: price file not found: DDD.csv" in text
    html = write_sweep_report(board, tmp_path, "lstmlab sweep: test").read_text("utf-8")
    for section in ('id="leaderboard"', 'id="configurations"', 'id="failures"', 'id="trials"'):
        assert section in html
    assert '<a href="runs/bbb-rnn/report.html">BBB</a>' in html
    assert "default-src 'none'" in html and "http" not in html.replace("http-equiv", "")


def test_a_large_sweep_lists_its_trials_in_the_csv_only(tmp_path, monkeypatch):
    monkeypatch.setattr("lstmlab.sweep.page.MAX_LISTED", 5)
    html = write_sweep_report(build_leaderboard(RESULTS), tmp_path, "big").read_text("utf-8")
    assert "8 trials: too many to list here; they are in trials.csv" in html
    assert 'id="failures"' in html and "price file not found" in html  # 3 rows: listed


def test_a_baseline_with_a_lower_validation_rmse_is_selected_and_verdicts_follow_the_rule():
    beaten = _ok("AAA", "lstm", 1.5, 1.02)
    beaten.metrics.update(val_rmse_naive=1.4, val_rmse_drift=1.6, test_dm_p_value=0.01)
    kept = _ok("BBB", "lstm", 3.0, 0.99)
    kept.metrics.update(val_rmse_naive=3.2, test_dm_p_value=0.40)
    best = build_leaderboard([beaten, kept]).best.set_index("series")
    assert best.loc["AAA", "selected"] == "naive" and best.loc["BBB", "selected"] == "lstm"
    assert best.loc["AAA", "verdict"] == (
        "No configuration had a lower validation RMSE than the naive (tomorrow = today) "
        "forecast; on test the configuration lstm is significantly worse than the naive "
        "forecast: RMSE 10.200 against 10.000 (1.020x, DM p = 0.010)")
    assert best.loc["BBB", "verdict"].startswith(
        "The configuration lstm does not differ significantly from the naive forecast")
