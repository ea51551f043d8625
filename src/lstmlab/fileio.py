"""Atomic file writes: a reader sees either the old file or the complete new one, never half.

Each writer puts the bytes in a temporary file in the destination's folder (same filesystem),
flushes it to disk, then renames it over the destination with :func:`os.replace`, which is atomic
on POSIX and Windows, and flushes the folder too (POSIX), so the rename itself is on disk.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_json", "atomic_write_text",
           "fsync_folder"]


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path`` atomically.

    Use it for writers that want a file name (``savefig``, ``safetensors.torch.save_file``).
    If the block raises, the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, _file_mode())  # mkstemp makes 0600 files; outputs are meant to be shared
    try:
        yield tmp
        with open(tmp, "rb+") as handle:  # flush the writer's bytes before the rename
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_folder(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries to disk, so that a rename into it survives a power cut.

    POSIX only: elsewhere folders cannot be opened, and the rename is all there is.
    """
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically and return the path."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")
