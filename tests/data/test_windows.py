"""Strided windows: the right rows, float32, and no copy of the series per window."""

from __future__ import annotations

import numpy as np
import torch

from lstmlab.data.windows import window_view


def test_window_rows_end_at_each_origin():
    matrix = np.arange(20, dtype=np.float64).reshape(10, 2)  # row r holds (2r, 2r + 1)
    x = window_view(matrix, range(3, 7), lookback=3)
    assert x.shape == (4, 3, 2) and x.dtype == torch.float32
    for i, origin in enumerate(range(3, 7)):
        np.testing.assert_array_equal(x[i].numpy(), matrix[origin - 2 : origin + 1])


def test_windows_are_a_view_of_one_copy_of_the_series():
    matrix = np.random.default_rng(0).normal(size=(500, 3))
    x = window_view(matrix, range(59, 500), lookback=60)
    assert x.shape == (441, 60, 3)
    assert x.untyped_storage().nbytes() == 500 * 3 * 4  # the series once, not 441 * 60 times


def test_lookback_one_gives_single_rows():
    matrix = np.arange(6, dtype=np.float64).reshape(6, 1)
    x = window_view(matrix, range(0, 6), lookback=1)
    np.testing.assert_array_equal(x[:, 0, 0].numpy(), np.arange(6))
