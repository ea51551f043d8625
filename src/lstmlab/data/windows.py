"""Sliding windows over the feature matrix, as strided views rather than copies.

The window for origin ``t`` holds feature rows ``t - lookback + 1 .. t``; its targets are the
prices at ``t + 1 .. t + h``. :func:`window_view` builds every window with ``Tensor.unfold``,
which only changes strides: the series is stored once, not ``lookback`` times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

__all__ = ["Windows", "window_view"]


@dataclass(frozen=True, eq=False)
class Windows:
    """The samples of one split, all aligned on the same ``N`` origins.

    Attributes:
        x: ``(N, lookback, F)`` float32 scaled features (a strided view; copy before writing).
        y: ``(N, horizon)`` float32 scaled targets.
        dates: ``(N,)`` date of each sample's first target step (row ``origin + 1``).
        last_price: ``(N,)`` the target column at the window's last step (row ``origin``).
        origin: ``(N,)`` int64 row position, in the loaded price frame, of the window's last step.
        actual: ``(N, horizon)`` the true prices at rows ``origin + 1 .. origin + horizon``.
    """

    x: torch.Tensor
    y: torch.Tensor
    dates: pd.DatetimeIndex
    last_price: np.ndarray
    origin: np.ndarray
    actual: np.ndarray

    def __len__(self) -> int:
        return int(self.origin.shape[0])

    def rows(self, index: slice) -> Windows:
        """The windows at positions ``index`` (a slice), every attribute cut alike."""
        return Windows(self.x[index], self.y[index], self.dates[index], self.last_price[index],
                       self.origin[index], self.actual[index])


def window_view(matrix: np.ndarray, origins: range, lookback: int) -> torch.Tensor:
    """``(len(origins), lookback, F)`` float32 windows ending at consecutive ``origins``.

    ``matrix`` is the ``(n, F)`` feature matrix; ``origins`` must satisfy
    ``origins.start >= lookback - 1`` and ``origins.stop <= n``.
    """
    series = torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))  # (n, F)
    windows = series.unfold(0, lookback, 1).transpose(1, 2)  # (n - lookback + 1, lookback, F)
    first = origins.start - lookback + 1  # window ending at origin t starts at t - lookback + 1
    return windows[first : first + len(origins)]  # (N, lookback, F), a view of `series`
