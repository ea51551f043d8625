"""``sweep_command`` registered on a small Typer app, as the CLI registers it, and run through
Typer's test runner: exit codes, printed leaderboard, files, resume, and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from lstmlab.sweep.command import sweep_command

TINY = ("--grid", "hidden_size=4", "--grid", "lookback=5", "--grid", "max_epochs=2",
        "--grid", "batch_size=32")

app = typer.Typer()
app.command("sweep")(sweep_command)  # the one line the lstmlab CLI needs


@app.command()
def other() -> None:
    """A second command, so that Typer keeps ``sweep`` as a subcommand, as in lstmlab."""


def invoke(*args):
    return CliRunner().invoke(app, ["sweep", *map(str, args)])


def test_sweep_prints_and_writes_the_leaderboard_then_resumes(tiny_dir, broken_csv, tmp_path):
    out = tmp_path / "sweep"
    args = (tiny_dir, broken_csv, "--cells", "rnn,lstm", *TINY, "--out", out, "--sequential",
            "--no-charts")
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "Best configuration per series" in result.stdout
    assert "Per configuration: median test RMSE / naive across series" in result.stdout
    assert "BAD rnn: failed: non-numeric close value 'oops'" in result.stdout
    assert f"leaderboard: {out / 'leaderboard.csv'}" in result.stdout
    assert "failed: BAD lstm: non-numeric close value" in result.stderr  # as it happens
    board = pd.read_csv(out / "leaderboard.csv")
    assert board["series"].tolist() == ["AAA", "BBB"]
    assert set(board["label"]) <= {"rnn", "lstm"}
    assert (out / "report.html").is_file() and (out / "sweep.json").is_file()
    assert len(list((out / "runs").iterdir())) == 4

    again = invoke(*args)
    assert again.exit_code == 0
    assert "resuming: 6 of 6 trials are already done" in again.stderr
    assert pd.read_csv(out / "leaderboard.csv").equals(board)


def test_trial_run_directory_has_charts_and_report_by_default(tiny_dir, tmp_path):
    result = invoke(tiny_dir / "AAA.csv", "--cells", "gru", *TINY, "--out", tmp_path,
                    "--sequential", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'leaderboard.csv'}\n"
    (run,) = (tmp_path / "runs").iterdir()
    charts = {p.stem for p in (run / "charts").glob("*.png")}
    assert {"prices", "loss", "predictions", "residuals"} <= {c.split("-")[0] for c in charts}
    assert "data:image/png;base64," in (run / "report.html").read_text("utf-8")


def test_without_ray_the_command_says_how_to_install_it(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import fails as if not installed
    result = invoke(tiny_dir, *TINY, "--out", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == ("error: the sweep runs on Ray, which is not installed: pip install "
                             "'lstmlab[ray]' (or run the trials one by one in this process "
                             "with --sequential)\n")
    assert not (tmp_path / "sweep.json").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--grid", "hidden=4"), "error: --grid 'hidden=4': unknown field 'hidden'"),
    (("--asha",), "error: --asha runs on Ray Tune; drop --sequential to use it"),
])
def test_bad_options_give_one_error_line(tiny_dir, tmp_path, args, message):
    result = invoke(tiny_dir, *args, "--out", tmp_path, "--sequential")
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_an_unknown_cell_is_a_usage_error_as_in_every_command(tiny_dir, tmp_path):
    result = invoke(tiny_dir, "--cells", "lstm,tcn", "--out", tmp_path, "--sequential")
    assert result.exit_code == 2
    assert "unknown cell 'tcn'; choose from rnn, lstm, gru" in " ".join(result.stderr.split())


def test_every_trial_failing_exits_with_1(broken_csv, tmp_path):
    result = invoke(broken_csv, *TINY, "--out", tmp_path, "--sequential")
    assert result.exit_code == 1
    assert f"error: no trial succeeded (see {tmp_path / 'trials.csv'}" in result.stderr


def test_help_lists_the_options():
    result = invoke("--help")
    assert result.exit_code == 0
    for option in ("--cells", "--grid", "--address", "--asha", "--sequential", "--out"):
        assert option in result.stdout


def test_importing_the_command_loads_neither_torch_nor_ray():
    code = ("import sys, lstmlab.sweep.command; "
            "print('torch' in sys.modules, 'ray' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_ctrl_c_says_how_to_resume(tiny_dir, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("lstmlab.sweep.runner.run_sweep", interrupted)
    result = invoke(tiny_dir, *TINY, "--out", tmp_path, "--sequential")
    assert result.exit_code == 130
    assert result.stderr.endswith(f"interrupted: finished trials are stored in {tmp_path}; run "
                                  f"the same command again to resume\n")
