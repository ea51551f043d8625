"""Atomic writes leave either the old file or the new one, never a partial file."""

import json

import pytest

from lstmlab.fileio import atomic_path, atomic_write_json, atomic_write_text


def test_write_text_replaces_content(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_write_json_round_trip(tmp_path):
    target = atomic_write_json(tmp_path / "c.json", {"a": [1, 2], "b": "x"})
    assert json.loads(target.read_text()) == {"a": [1, 2], "b": "x"}


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "report.html", "<html></html>")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644
