"""Square brackets in file names, cells and messages are printed as they are: rich must never
read the user's text as markup (``[/x]`` used to crash the command, ``[daily]`` vanished)."""

from __future__ import annotations

from fake_run import invoke

from .conftest import TINY_GRID, TINY_TRAIN


def test_a_file_name_with_brackets_is_printed_whole(prices_csv, tmp_path):
    source = tmp_path / "AAPL [daily].csv"
    source.write_bytes(prices_csv.read_bytes())
    result = invoke("data", source, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{source}: 300 rows")


def test_a_closing_tag_in_the_path_does_not_crash_training(prices_csv, tmp_path):
    source = tmp_path / "a[" / "b].csv"  # the path a[/b].csv
    source.parent.mkdir()
    source.write_bytes(prices_csv.read_bytes())
    result = invoke("train", source, *TINY_TRAIN, "--out", tmp_path / "runs", "--name", "r")
    assert result.exit_code == 0, result.output
    assert f"{source}: 300 rows" in result.stderr
    assert f"run: {tmp_path / 'runs' / 'r'}" in result.stdout


def test_a_closing_tag_in_a_cell_does_not_lose_the_sweep(prices_csv, tmp_path):
    bad = tmp_path / "BAD.csv"
    bad.write_text("Date,Close\n2020-01-02,1\n2020-01-03,[/x]\n", encoding="utf-8")
    grid = [arg for spec in TINY_GRID for arg in ("--grid", spec)]
    result = invoke("sweep", prices_csv, bad, *grid, "--out", tmp_path / "s", "--sequential",
                    "--no-charts")
    assert result.exit_code == 0, result.output
    assert "failed: BAD lstm: non-numeric close value '[/x]' at line 3 of" in result.stderr
    assert (tmp_path / "s" / "leaderboard.csv").is_file()
