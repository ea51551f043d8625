"""Tiny series and grids shared by the sweep tests: trials of well under a second each."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import synthetic_price_csv  # the suite's generator of Yahoo-style CSVs

from lstmlab.sweep.trial import Trial, TrialOptions, plan_trials

CELLS = ("rnn", "lstm")
TINY_GRID = ("hidden_size=4", "lookback=5", "max_epochs=2", "batch_size=32")
FAST = TrialOptions(charts=False)  # charts are most of a tiny trial's time


def make_trials(sources: list[str], cells=CELLS, grid=TINY_GRID) -> list[Trial]:
    """The trials of a tiny grid (two cells by default), as the sweep command plans them."""
    return plan_trials(sources, cells, grid)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A folder with two short synthetic series, AAA.csv and BBB.csv (300 business days)."""
    folder = tmp_path_factory.mktemp("tiny")
    for seed, name in enumerate(("AAA", "BBB")):
        synthetic_price_csv(folder / f"{name}.csv", n=300, seed=seed + 10)
    return folder


@pytest.fixture(scope="session")
def broken_csv(tmp_path_factory) -> Path:
    """A price file whose second row has a close that is not a number."""
    path = tmp_path_factory.mktemp("broken") / "BAD.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n"
                    "2020-01-02,1,1,1,1,100\n2020-01-03,1,1,1,oops,100\n", encoding="utf-8")
    return path

