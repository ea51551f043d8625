"""Work spread over processes: results in order, one PyTorch thread each, errors raised here."""

from __future__ import annotations

import operator

import pytest

from lstmlab.errors import ConfigError
from lstmlab.parallel import available_cores, run_parallel


def _threads(_: int) -> int:
    import torch

    return torch.get_num_threads()


def _fail(value: int) -> int:
    if value == 2:
        raise ValueError("piece 2 failed")
    return value


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_order(jobs):
    done = []
    assert run_parallel(operator.neg, [1, 2, 3, 4], jobs=jobs,
                        on_done=lambda i, r: done.append((i, r))) == [-1, -2, -3, -4]
    assert sorted(done) == [(0, -1), (1, -2), (2, -3), (3, -4)]


def test_workers_run_single_threaded_and_jobs_1_runs_here():
    import torch

    assert run_parallel(_threads, [0, 1], jobs=2) == [1, 1]
    assert run_parallel(_threads, [0, 1], jobs=1) == [torch.get_num_threads()] * 2


def test_an_error_in_a_worker_reaches_the_caller():
    with pytest.raises(ValueError, match="piece 2 failed"):
        run_parallel(_fail, [1, 2, 3], jobs=2)


def test_jobs_is_checked_and_zero_means_every_core():
    with pytest.raises(ConfigError, match="jobs must be a whole number >= 0, got -1"):
        run_parallel(operator.neg, [1], jobs=-1)
    assert available_cores() >= 1
    assert run_parallel(operator.neg, [], jobs=0) == []
