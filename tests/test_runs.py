"""Run directories appear whole or not at all, and only real runs are read back."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from lstmlab.errors import ConfigError, ModelFileError
from lstmlab.fileio import atomic_write_json
from lstmlab.runs import (
    default_run_name,
    final_path,
    new_run,
    read_run,
    run_path,
    write_manifest,
    write_table,
)


def _fill(folder) -> None:
    atomic_write_json(folder / "config.json", {"command": "train", "source": "TSLA"})
    (folder / "models").mkdir()
    (folder / "models" / "lstm.safetensors").write_bytes(b"x")
    write_table(folder, "metrics.csv", pd.DataFrame({"split": ["test"], "rmse": [1.5]}))
    span = {"first": "2020-01-02", "last": "2020-12-31"}
    write_manifest(folder, {"command": "train", "source": "TSLA", "name": folder.name,
                            "created": "2024-01-02T15:30:00", "data": span,
                            "split": {"train": span, "val": span, "test": span},
                            "models": {"lstm": "models/lstm.safetensors"}, "best_model": "lstm"})


def test_default_name_is_a_clean_stem_command_and_time():
    now = datetime(2024, 1, 2, 15, 30, 0)
    assert default_run_name("TSLA", "compare", now) == "tsla-compare-20240102-153000"
    name = default_run_name("/data/My Prices.csv", "train", now)
    assert name == "my-prices-train-20240102-153000"


def test_run_appears_only_when_complete(tmp_path):
    with new_run(tmp_path / "r1") as folder:
        assert folder.parent == tmp_path and folder.name == ".r1.partial"
        _fill(folder)
        assert not (tmp_path / "r1").exists()
    run = read_run(tmp_path / "r1")
    assert [p.name for p in tmp_path.iterdir()] == ["r1"]
    assert run.cells == ["lstm"]
    assert run.model_path() == tmp_path / "r1" / "models" / "lstm.safetensors"
    assert run.table("metrics.csv")["rmse"].tolist() == [1.5]
    assert run.manifest["kind"] == "lstmlab-run" and run.config["source"] == "TSLA"


def test_interrupted_run_leaves_nothing_and_keeps_earlier_runs(tmp_path):
    with new_run(tmp_path / "old") as folder:
        _fill(folder)
    before = sorted(p.name for p in (tmp_path / "old").rglob("*"))
    with pytest.raises(KeyboardInterrupt), new_run(tmp_path / "new") as folder:
        _fill(folder)
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["old"]
    assert sorted(p.name for p in (tmp_path / "old").rglob("*")) == before


def test_existing_name_is_refused_or_made_unique(tmp_path):
    (tmp_path / "r").mkdir()
    with pytest.raises(ConfigError, match=r"run directory .*r already exists; choose another"), \
            new_run(tmp_path / "r"):
        pass
    assert run_path(tmp_path, "r", unique=True) == tmp_path / "r-2"
    with pytest.raises(ConfigError, match="already exists"):
        run_path(tmp_path, "r")
    assert run_path(tmp_path, "s") == tmp_path / "s"


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot write a run directory under .*file\.txt/runs: "
                                          r"Not a directory; choose a writable folder"), \
            new_run(blocker / "runs" / "r"):
        pass


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, r"run directory .*nope does not exist; pass a folder written by"),
        (lambda p: p.write_text("x"), r"nope is a file, not a run directory"),
        (lambda p: p.mkdir(), r"nope is not an lstmlab run directory \(no manifest\.json\)"),
    ],
)
def test_not_a_run(tmp_path, make, message):
    make(tmp_path / "nope")
    with pytest.raises(ModelFileError, match=message):
        read_run(tmp_path / "nope")


def test_damaged_or_foreign_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFileError, match=r"manifest\.json is damaged"):
        read_run(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "other"}))
    with pytest.raises(ModelFileError, match="is not an lstmlab run manifest"):
        read_run(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "lstmlab-run",
                                                        "format_version": 7}))
    with pytest.raises(ModelFileError, match="has run format 7"):
        read_run(tmp_path)


def test_model_lookup_errors(tmp_path):
    with new_run(tmp_path / "r") as folder:
        _fill(folder)
    run = read_run(tmp_path / "r")
    with pytest.raises(ConfigError, match=r"has no 'gru' model; it holds lstm"):
        run.model_path("gru")
    (tmp_path / "r" / "models" / "lstm.safetensors").unlink()
    with pytest.raises(ModelFileError, match=r"lists model 'lstm' but .* is missing"):
        run.model_path()
    with pytest.raises(ModelFileError, match=r"lacks history\.csv"):
        run.table("history.csv")


def test_a_name_is_reserved_when_the_run_starts(tmp_path):
    with new_run(tmp_path / "r", unique=True) as first:
        with new_run(tmp_path / "r", unique=True) as second:  # same name, same moment
            assert final_path(second) == tmp_path / "r-2"
            _fill(second)
        _fill(first)
        with pytest.raises(ConfigError, match=r"is being written by another run"), \
                new_run(tmp_path / "r"):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "r-2"]
