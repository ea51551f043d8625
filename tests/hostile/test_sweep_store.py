"""A changed price file is a new trial: a sweep's trials are keyed on the data's hash too
(damaged or forged stored results are cases of :mod:`tests.hostile.cases`)."""

from __future__ import annotations

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

