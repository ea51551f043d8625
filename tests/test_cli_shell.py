"""The shell every command shares: one error wrapper, shared checks, one progress style."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from lstmlab.cli_shell import (
    Verbose,
    check_cells,
    check_one_cell,
    console,
    progress,
    safe,
    user_errors,
)
from lstmlab.errors import DataError

app = typer.Typer()


@app.command("fail")
@user_errors
def _fail(verbose: Verbose = False) -> None:
    raise DataError("prices.csv line 3: close 'x' is not a number; fix that cell")


@app.command("bug")
@user_errors
def _bug() -> None:
    raise RuntimeError("a bug keeps its traceback")


@app.command("full")
@user_errors
def _full() -> None:
    import errno

    raise OSError(errno.ENOSPC, "No space left on device", "runs/x/report.html")


runner = CliRunner()


def test_a_full_disk_is_one_line_and_exit_1():
    result = runner.invoke(app, ["full"])
    assert result.exit_code == 1
    assert result.stderr == ("error: cannot write runs/x/report.html: No space left on device; "
                             "free some disk space or choose another folder with --out\n")


def test_user_text_is_printed_as_it_is_never_as_markup(capsys):
    console(stderr=True).print(f"[bold]{safe('AAPL [daily].csv')}[/] {safe('[/x]')}")
    assert capsys.readouterr().err == "AAPL [daily].csv [/x]\n"


def test_a_user_error_is_one_line_and_exit_1():
    result = runner.invoke(app, ["fail"])
    assert result.exit_code == 1
    assert result.stderr == "error: prices.csv line 3: close 'x' is not a number; fix that cell\n"
    verbose = runner.invoke(app, ["fail", "--verbose"])
    assert "Traceback" in verbose.stderr and verbose.stderr.endswith("fix that cell\n")


def test_anything_else_is_not_swallowed():
    result = runner.invoke(app, ["bug"])
    assert isinstance(result.exception, RuntimeError)


def test_cell_options_are_normalised_or_refused():
    assert check_cells(" LSTM,gru,lstm") == "lstm,gru"
    assert check_one_cell(None) is None
    with pytest.raises(typer.BadParameter, match="give one cell"):
        check_one_cell("rnn,gru")
    with pytest.raises(typer.BadParameter, match="unknown cell 'tcn'"):
        check_cells("tcn")


def test_progress_takes_task_and_record_and_is_silent_when_quiet(capsys):
    with progress(["rnn", "lstm"], 3, "epochs", quiet=True) as on_progress:
        assert on_progress is None
    with progress(["rnn", "lstm"], 3, "epochs", quiet=False) as on_progress:
        on_progress("rnn", {"epoch": 1, "train_loss": 0.5, "val_loss": 0.25, "lr": 1e-3})
        on_progress("lstm", {"epoch": 3, "train_loss": 0.4, "val_loss": 0.2, "lr": 1e-3})
    err = capsys.readouterr().err
    assert "Simple RNN" in err and "1/1 epochs" in err  # stopped early: the bar ends at 1
    assert "3/3 epochs" in err and "val 0.2000" in err
