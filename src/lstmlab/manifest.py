"""The reproducibility manifest saved with every fitted model: what it takes to get it again."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
from typing import Any

import numpy as np
import pandas as pd
import torch

from lstmlab._version import __version__

__all__ = ["build_manifest", "data_sha256"]


def data_sha256(prices: pd.DataFrame) -> str:
    """SHA-256 of the price table's dates, column names and values (order-sensitive)."""
    digest = hashlib.sha256()
    digest.update(np.asarray(prices.index.asi8 if isinstance(prices.index, pd.DatetimeIndex)
                             else prices.index.to_numpy()).tobytes())
    digest.update(",".join(map(str, prices.columns)).encode())
    digest.update(np.ascontiguousarray(prices.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()


def build_manifest(
    seed: int, prices: pd.DataFrame, split_dates: dict[str, dict[str, str]], device: str
) -> dict[str, Any]:
    """Seed, library versions, determinism settings, data hash and the exact split dates."""
    return {
        "seed": seed,
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "lstmlab": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "python": platform.python_version(),
        },
        "determinism": {
            "torch_deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "cudnn_deterministic": torch.backends.cudnn.deterministic,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            "torch_num_threads": torch.get_num_threads(),
            "device": device,
            "note": "same seed, data, device and thread count give the same numbers",
        },
        "data": {
            "sha256": data_sha256(prices),
            "rows": len(prices),
            "first_date": str(prices.index[0].date()) if len(prices) else None,
            "last_date": str(prices.index[-1].date()) if len(prices) else None,
        },
        "split_dates": {name: dict(span) for name, span in split_dates.items()},
    }
