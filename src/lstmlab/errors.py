"""Exceptions that lstmlab raises for problems a user can fix.

Every error a user can cause (bad data, bad configuration, a damaged model file) derives from
:class:`LstmlabError`. The CLI prints such errors as one line and exits with status 1; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno

__all__ = ["ConfigError", "DataError", "LstmlabError", "ModelFileError", "NotFittedError",
           "TrainingError", "from_os_error"]


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


_DISK = {errno.ENOSPC: "free some disk space or choose another folder with --out",
         errno.EDQUOT: "free some of your disk quota or choose another folder with --out",
         errno.EROFS: "choose a writable folder with --out",
         errno.EACCES: "check its permissions or choose a writable folder with --out",
         errno.EPERM: "check its permissions or choose a writable folder with --out",
         errno.ENOTDIR: "a file stands where a folder is needed: choose another --out",
         errno.EEXIST: "a file stands where a folder is needed: choose another --out"}


def from_os_error(err: OSError) -> LstmlabError:
    """A one-line :class:`ConfigError` for an operating-system failure a user can fix (a full
    disk, a read-only or blocked output folder), naming the file and what to do."""
    where = err.filename if err.filename is not None else "a file"
    advice = _DISK.get(err.errno or 0, "check that path")
    return ConfigError(f"cannot write {where}: {err.strerror or err}; {advice}")
