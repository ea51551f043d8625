"""Argument checks shared by every module, so that the same mistake reads the same everywhere."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING

from lstmlab.errors import ConfigError, DataError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["require_int", "require_paired", "require_series"]


def require_int(
    name: str, value: object, *, minimum: int = 1, maximum: int | None = None,
    error: type[Exception] = ConfigError
) -> int:
    """Return ``value`` as an ``int`` if it is a whole number >= ``minimum`` (and <=
    ``maximum`` when given), else raise.

    Python and NumPy integers pass; ``bool`` (an ``int`` subclass) and floats such as ``2.0`` do
    not, since they are almost always a mistake. The error (``ConfigError`` unless ``error`` says
    otherwise) names the argument and the bad value.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise error(f"{name} must be a whole number >= {minimum}, got {value!r}")
    number = int(value)
    if maximum is not None and number > maximum:
        raise error(f"{name} must be at most {maximum:,}, got {number:,}; lstmlab refuses larger "
                    f"values, which would need more memory or threads than a machine has")
    return number


def require_series(name: str, values: object, *, ndim: int = 1) -> np.ndarray:
    """Return ``values`` as a finite float64 array of ``ndim`` dimensions, else raise DataError.

    The error names the argument, the bad shape or the first non-finite position.
    """
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    if array.ndim != ndim:
        hint = "pass one forecast step at a time" if ndim == 1 else "one row per forecast origin"
        raise DataError(f"{name} must be a {ndim}-D array, got shape {array.shape}; {hint}")
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        where = int(bad[0][0]) if ndim == 1 else tuple(int(i) for i in bad[0])
        raise DataError(f"{name} has {len(bad)} non-finite value(s) (NaN or inf), first at "
                        f"position {where}; drop or fill them before scoring")
    return array


def require_paired(*, ndim: int = 1, **arrays: object) -> list[np.ndarray]:
    """Check named arrays of one equal, non-empty shape with :func:`require_series`."""
    checked = [require_series(name, values, ndim=ndim) for name, values in arrays.items()]
    shapes = {name: array.shape for name, array in zip(arrays, checked, strict=True)}
    if len(set(shapes.values())) != 1:
        shown = ", ".join(f"{name}={s[0] if ndim == 1 else s}" for name, s in shapes.items())
        raise DataError(f"arrays must have equal {'lengths' if ndim == 1 else 'shapes'}, "
                        f"got {shown}")
    if checked[0].size == 0:
        raise DataError(f"cannot score empty arrays ({', '.join(arrays)} have length 0)")
    return checked
