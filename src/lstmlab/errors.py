"""Exceptions that lstmlab raises for problems a user can fix.

Every error a user can cause (bad data, bad configuration, a damaged model file) derives from
:class:`LstmlabError`. The CLI prints such errors as one line and exits with status 1; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "LstmlabError", "ModelFileError", "NotFittedError",
           "TrainingError"]


class LstmlabError(Exception):
    """Base class of every error caused by user input rather than by a bug."""


class DataError(LstmlabError, ValueError):
    """Input data is missing, malformed, or unsuitable (names the file, row and value)."""


class ConfigError(LstmlabError, ValueError):
    """A configuration value is out of range or inconsistent (names the field and value)."""


class ModelFileError(LstmlabError):
    """A saved model or run directory is missing, truncated, tampered with, or incompatible."""


class TrainingError(LstmlabError, RuntimeError):
    """Training cannot go on, for example because the loss became non-finite."""


class NotFittedError(LstmlabError, ValueError, AttributeError):
    """A model was used before it was fitted or loaded (as scikit-learn's ``NotFittedError``)."""
