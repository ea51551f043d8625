"""``lstmlab explain`` through the CLI: what it prints, its exit codes and its errors."""

from __future__ import annotations

from fake_run import invoke, snapshot

from lstmlab.runs import read_run


def test_explain_writes_the_page_and_says_where(run_copy):
    result = invoke("explain", run_copy, "--model", "gru", "--window", "2013-06-03")
    assert result.exit_code == 0, result.stderr
    assert "input window 2013-05-07 to 2013-06-03 (20 trading days)" in result.stdout
    name = "explain.html" if read_run(run_copy).manifest["best_model"] == "gru" else (
        "explain-gru.html")
    assert f"explain: {run_copy / name} (" in result.stdout and " MB, " in result.stdout
    quiet = invoke("explain", run_copy, "--model", "gru", "-q")
    assert quiet.stdout == f"{run_copy / name}\n"


def test_explain_adding_trains_into_the_folder(tmp_path):
    result = invoke("explain", tmp_path / "adding", "--task", "adding", "--length", "12",
                    "--steps", "5", "--model", "rnn")
    assert result.exit_code == 0, result.stderr
    assert "one sequence of 12 steps" in result.stdout and "(trained now)" in result.stdout
    assert (tmp_path / "adding" / "explain-rnn.html").is_file()


def test_bad_requests_fail_with_one_line_and_change_nothing(run_copy, tmp_path):
    before = snapshot(run_copy)
    cases = [
        (("explain", tmp_path / "nowhere"), 1, f"error: run directory {tmp_path / 'nowhere'} "
                                               f"does not exist"),
        (("explain", run_copy, "--window", "1999-01-04"), 1,
         "error: --window 1999-01-04: no input window ends on that day"),
        (("explain", run_copy, "--task", "adding", "--window", "2013-06-03"), 1,
         "error: --window picks a day of a forecasting run; the adding problem has no dates"),
        (("explain", run_copy, "--task", "copy"), 2, "unknown task 'copy'"),
        (("explain", run_copy, "--model", "transformer"), 2, "unknown cell"),
    ]
    for args, code, message in cases:
        result = invoke(*args)
        assert result.exit_code == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert snapshot(run_copy) == before
