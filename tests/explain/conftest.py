"""Shared fixtures of the explorer tests: one small compare run of all three cells, on one thread.

The run (tiny models, one epoch, a short synthetic series) is made once per session through
the CLI; tests that write into a run work on a copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from conftest import synthetic_price_csv
from fake_run import invoke

# lookback 20 and 6 units: enough for the browser test's step 17 and unit 3
SMALL = ("--epochs", "1", "--hidden-size", "6", "--lookback", "20", "--seed", "0")


@pytest.fixture(scope="package", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="package")
def small_run(tmp_path_factory) -> Path:
    """A compare run of rnn, lstm and gru on a 300-day synthetic series; do not write into it."""
    folder = tmp_path_factory.mktemp("explain-run")
    prices = synthetic_price_csv(folder / "prices.csv", n=300)
    result = invoke("compare", prices, "--cells", "rnn,lstm,gru", *SMALL, "--out", folder,
                    "--name", "small")
    assert result.exit_code == 0, result.stderr
    return folder / "small"


@pytest.fixture
def run_copy(small_run, tmp_path) -> Path:
    """A copy of the small run that a test may write into."""
    return Path(shutil.copytree(small_run, tmp_path / "run"))
