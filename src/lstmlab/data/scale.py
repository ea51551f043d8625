"""Per-column scalers fitted on training rows only, serialisable as plain JSON.

Both kinds are the affine map ``z = (a - offset) / scale`` per column:

- ``standard``: ``offset`` = mean, ``scale`` = standard deviation (population, ``ddof=0``);
- ``minmax``: ``offset`` = minimum, ``scale`` = maximum - minimum, mapping training data to
  ``[0, 1]``;
- ``none``: the identity (``offset`` 0, ``scale`` 1).

A column without spread gets ``scale`` 1, so it is shifted but never divided by zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmlab.errors import ConfigError, DataError
from lstmlab.vocabulary import SCALERS

__all__ = ["SCALERS", "Scaler", "fit_scaler"]


@dataclass(frozen=True, eq=False)
class Scaler:
    """A fitted per-column affine scaler: ``transform(a) = (a - offset) / scale``."""

    kind: str
    offset: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)

    def transform(self, a: np.ndarray) -> np.ndarray:
        """Scale ``a`` of shape ``(..., F)``."""
        return np.asarray((np.asarray(a, dtype=np.float64) - self.offset) / self.scale)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform` for ``z`` of shape ``(..., F)``."""
        return np.asarray(np.asarray(z, dtype=np.float64) * self.scale + self.offset)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: ``{"kind", "offset": [...], "scale": [...]}``."""
        return {"kind": self.kind, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scaler:
        """Rebuild a scaler written by :meth:`to_dict`; a malformed dict raises DataError."""
        try:
            kind, offset, scale = data["kind"], data["offset"], data["scale"]
            offset = np.asarray(offset, dtype=np.float64)
            scale = np.asarray(scale, dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"malformed scaler {data!r}: {exc}; expected keys kind, offset, "
                            "scale as written by Scaler.to_dict()") from None
        if kind not in SCALERS or offset.ndim != 1 or offset.shape != scale.shape:
            raise DataError(f"malformed scaler {data!r}: kind must be one of {list(SCALERS)} "
                            "and offset, scale equal-length lists")
        if not (np.isfinite(offset).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise DataError(f"malformed scaler {data!r}: every offset must be finite and every "
                            f"scale finite and positive (a fitted scaler never divides by 0)")
        return cls(kind, offset, scale)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scaler):
            return NotImplemented
        return (self.kind == other.kind and np.array_equal(self.offset, other.offset)
                and np.array_equal(self.scale, other.scale))

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside: not hashable


def fit_scaler(kind: str, data: np.ndarray) -> Scaler:
    """Fit a scaler of ``kind`` on ``data`` of shape ``(n, F)`` (the training rows only)."""
    if kind not in SCALERS:
        raise ConfigError(f"unknown scaler {kind!r}; choose one of {list(SCALERS)}")
    data = np.asarray(data, dtype=np.float64)
    width = data.shape[1]
    if kind == "none":
        return Scaler(kind, np.zeros(width), np.ones(width))
    if kind == "standard":
        offset, spread = data.mean(axis=0), data.std(axis=0)
    else:
        offset, spread = data.min(axis=0), data.max(axis=0) - data.min(axis=0)
    scale = np.where(spread > 0, spread, 1.0)
    return Scaler(kind, offset, scale)
