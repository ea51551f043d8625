"""Devices and threads."""

import pytest
import torch

from lstmlab.errors import ConfigError
from lstmlab.runtime import resolve_device, torch_threads


def test_resolve_device_accepts_cpu_and_refuses_nonsense():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="'gpu0' is not a device name"):
        resolve_device("gpu0")


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_torch_threads_zero_leaves_the_setting_alone():
    before = torch.get_num_threads()
    with torch_threads(0):
        assert torch.get_num_threads() == before
