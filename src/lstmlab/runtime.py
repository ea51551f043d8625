"""Where and how PyTorch runs: the device to train on and the number of CPU threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from lstmlab.errors import ConfigError

__all__ = ["resolve_device", "torch_threads"]


def resolve_device(name: str) -> torch.device:
    """``torch.device(name)``, refusing a CUDA device on a machine without one."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"device {name!r} is not a device name; use 'cpu' or 'cuda'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device {name!r} was asked for but CUDA is not available here; use device='cpu'"
        )
    return device


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` intra-op CPU threads (0: leave PyTorch's setting), then
    restore the previous count.

    Recurrent models of the size lstmlab trains do many small operations per time step. On an
    idle 2-core machine two threads trained a TSLA LSTM about 20% faster than one, but when other
    processes share the cores the threads wait on each other and a run became 8-70 times slower;
    hence ``ForecastConfig.num_threads`` defaults to 1 (0 keeps PyTorch's setting).
    """
    previous = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
