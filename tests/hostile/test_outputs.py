"""Outputs stay safe and whole: formula-like text in CSV cells is defused, a killed run's
temporary folder is cleaned up (a live one is kept), renames are flushed to disk, and a run
name cannot leave the output folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest
from fake_run import invoke

from lstmlab.errors import ConfigError
from lstmlab.fileio import atomic_write_text
from lstmlab.runs import check_run_name, new_run, remove_stale_partials, write_table

from .conftest import TINY_TRAIN


def test_formula_cells_are_written_as_text(tmp_path):
    frame = pd.DataFrame({"series": ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "\tx",
                                     "ok", "a=b"],
                          "value": [-1.5, 2, -3, 4, 5, 6, 7]})
    write_table(tmp_path, "t.csv", frame)
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["series"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-cmd", "'@SUM(A1)",
                                       "'\tx", "ok", "a=b"]
    assert back["value"].tolist() == [-1.5, 2, -3, 4, 5, 6, 7]  # numbers untouched


def test_a_sweep_of_a_formula_named_file_writes_no_formula(prices_csv, tmp_path):
    source = tmp_path / "=cmd.csv"
    source.write_bytes(prices_csv.read_bytes())
    grid = ["--grid", "hidden_size=4", "--grid", "lookback=5", "--grid", "max_epochs=1"]
    result = invoke("sweep", source, *grid, "--out", tmp_path / "sweep", "--sequential",
                    "--no-charts", "--quiet")
    assert result.exit_code == 0, result.output
    for name in ("trials.csv", "leaderboard.csv"):  # (a series' name is upper case)
        assert pd.read_csv(tmp_path / "sweep" / name)["series"].tolist() == ["'=CMD"]


_KILLED = """
import os, sys
from lstmlab.runs import new_run
with new_run(sys.argv[1]) as partial:
    (partial / "half.txt").write_text("half")
    print(partial, flush=True)
    os._exit(0) if sys.argv[2] == "die" else sys.stdin.read()
"""


def _run_python(code: str, *args: str, stdin=None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stdin=stdin, text=True)


def test_a_killed_runs_partial_folder_is_removed_by_the_next_run(tmp_path):
    alive = _run_python(_KILLED, str(tmp_path / "b"), "wait", stdin=subprocess.PIPE)
    live = alive.stdout.readline().strip()
    died = _run_python(_KILLED, str(tmp_path / "a"), "die")
    partial = died.stdout.readline().strip()
    died.wait()
    try:
        assert os.path.isdir(partial) and os.path.isdir(live)
        with new_run(tmp_path / "c") as folder:
            (folder / "x").write_text("x")
        assert not os.path.exists(partial)  # its process is gone: stale
        assert os.path.isdir(live)  # its process still runs: kept
    finally:
        alive.stdin.close()
        alive.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c"]
    assert remove_stale_partials(tmp_path) == []


def test_a_rename_is_followed_by_a_flush_of_the_folder(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    atomic_write_text(tmp_path / "a.txt", "a")
    assert synced == [False, True]  # the file, then its folder


@pytest.mark.parametrize("name", ["../outside", "a/b", "..", "a\\b", ".hidden", "", "x\0y"])
def test_a_run_name_must_be_a_plain_folder_name(name):
    with pytest.raises(ConfigError, match=r"must be a plain folder name \(no path separator, "
                                          r"no '\.\.', no leading dot\); choose another --name"):
        check_run_name(name)


def test_train_refuses_a_name_that_leaves_the_output_folder(prices_csv, tmp_path):
    out = tmp_path / "runs"
    result = invoke("train", prices_csv, *TINY_TRAIN, "--out", out, "--name", "../escaped")
    assert result.exit_code == 1
    assert result.stderr == ("error: run name '../escaped' must be a plain folder name (no path "
                             "separator, no '..', no leading dot); choose another --name\n")
    assert not (tmp_path / "escaped").exists()
