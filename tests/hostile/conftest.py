"""Shared inputs of the hostile-input suite: a short price file and a tiny sweep grid."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import synthetic_price_csv

TINY_TRAIN = ("--epochs", "3", "--hidden-size", "4", "--lookback", "5", "--seed", "0",
              "--patience", "0")
TINY_GRID = ("hidden_size=4", "lookback=5", "max_epochs=3", "batch_size=32")


@pytest.fixture(scope="session")
def prices_csv(tmp_path_factory) -> Path:
    """A 300-day synthetic price file, AAA.csv."""
    return synthetic_price_csv(tmp_path_factory.mktemp("hostile") / "AAA.csv", n=300, seed=3)


@pytest.fixture
def ctrl_c_in_epoch(monkeypatch):
    """Ctrl-C arrives during the training epoch number ``n`` (counted across models)."""
    from lstmlab import training

    def arm(n: int) -> None:
        original, calls = training._train_epoch, []

        def epoch(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        monkeypatch.setattr(training, "_train_epoch", epoch)

    return arm
