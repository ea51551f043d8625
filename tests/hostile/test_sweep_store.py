"""A sweep folder is untrusted input too: damaged or forged stored results are redone, never
trusted; a changed price file is a new trial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lstmlab.sweep.runner import run_sweep
from lstmlab.sweep.trial import TrialOptions, plan_trials

from .conftest import TINY_GRID

FAST = TrialOptions(charts=False)


@pytest.fixture
def swept(prices_csv, tmp_path):
    """A one-trial sweep of a copy of the prices, already run into ``tmp_path``: (trials,
    result)."""
    copy = tmp_path / "data" / "AAA.csv"
    copy.parent.mkdir()
    copy.write_bytes(prices_csv.read_bytes())
    trials = plan_trials([str(copy)], ["rnn"], TINY_GRID)
    (result,) = run_sweep(trials, tmp_path, FAST, engine="sequential")
    assert result.status == "ok"
    return trials, result


def test_changed_price_file_is_a_new_trial(swept, tmp_path):
    trials, first = swept
    source = Path(trials[0].series.source)
    text = source.read_text(encoding="utf-8").splitlines()
    date, *cells = text[-1].split(",")
    text[-1] = ",".join([date, *(f"{float(c) * 1.5:.4f}" for c in cells[:4]), cells[4]])
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    changed = plan_trials([str(source)], ["rnn"], TINY_GRID)
    assert changed[0].key != first.key
    (again,) = run_sweep(changed, tmp_path, FAST, engine="sequential")
    assert again.status == "ok" and again.run_dir != first.run_dir
    assert again.metrics["test_rmse"] != first.metrics["test_rmse"]


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],  # cut short by a full disk or a crash
    lambda text: json.dumps({**json.loads(text), "metrics": "fast"}),  # forged type
    lambda text: json.dumps({**json.loads(text), "status": "excellent"}),
    lambda text: json.dumps({**json.loads(text), "key": "0" * 16}),  # another trial's file
    lambda text: "[" * 100_000,  # nested past Python's recursion limit
], ids=["truncated", "metrics-a-string", "unknown-status", "wrong-key", "deep-json"])
def test_damaged_stored_result_is_redone(swept, tmp_path, damage):
    trials, first = swept
    path = tmp_path / "results" / f"{first.key}.json"
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    (again,) = run_sweep(trials, tmp_path, FAST, engine="sequential")
    assert again.status == "ok" and again.metrics["epochs"] == 3
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "ok"
