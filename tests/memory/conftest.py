"""Run the memory tests on one PyTorch thread.

Their tensors are tiny, so a second thread saves nothing, while on a CPU shared with other jobs
OpenMP threads that wait for each other can make each step many times slower.
"""

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(scope="package", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
