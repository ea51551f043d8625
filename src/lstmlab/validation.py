"""Argument checks shared by every module, so that the same mistake reads the same everywhere."""

from __future__ import annotations

from numbers import Integral

from lstmlab.errors import ConfigError

__all__ = ["require_int"]


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
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise error(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise error(f"{name} must be at most {maximum:,}, got {value:,}; lstmlab refuses larger "
                    f"values, which would need more memory or threads than a machine has")
    return int(value)
