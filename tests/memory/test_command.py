"""The memory command through Typer's test runner: output, saved files, exit codes."""

import json
import re
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from lstmlab.memory.command import memory_app

app = typer.Typer()
app.add_typer(memory_app, name="memory")
app.command("other")(lambda: None)  # two commands, so "memory" is named on the line as in lstmlab
runner = CliRunner()
TINY = ["--steps", "4", "--batch", "8", "--hidden", "4"]


def test_adding_runs_every_cell_and_length_and_saves_table_record_and_chart(tmp_path):
    result = runner.invoke(app, ["memory", "--lengths", "4,6", "--cells", "rnn,LSTM", *TINY,
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["length", "cell",
                                                                            "mse"])
    assert [line.split()[:2] for line in lines[header + 1 : header + 5]] == [
        ["4", "rnn"], ["4", "lstm"], ["6", "rnn"], ["6", "lstm"]]
    assert re.search(r"adding T=4 rnn .* 4/4 steps .* train [0-9.]+  test", result.output)
    record = json.loads((tmp_path / "adding_results.json").read_text())
    assert [(r["config"]["length"], r["config"]["cell"]) for r in record] == [
        (4, "rnn"), (4, "lstm"), (6, "rnn"), (6, "lstm")]
    assert (tmp_path / "adding_results.csv").read_text().startswith(
        "task,length,cell,mse,baseline,vs_baseline,seconds\n")
    assert (tmp_path / "adding_learning_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_copy_reports_cross_entropy_and_accuracy_quietly(tmp_path):
    result = runner.invoke(app, ["memory", "--task", "copy", "--lengths", "3", "--cells", "gru",
                                 *TINY, "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    header, row = result.output.splitlines()
    assert header.split() == ["length", "cell", "cross_entropy", "accuracy", "baseline",
                              "vs_baseline", "seconds"]
    assert row.split()[:2] == ["3", "gru"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "sum"], "unknown task 'sum'; choose adding or copy"),
        (["--cells", "lstm,tcn"], "unknown cell 'tcn'; choose from rnn, lstm, gru"),
        (["--cells", "rnn-chrono"], "unknown initialisation in 'rnn-chrono'"),
        (["--lengths", "50,x"], "lengths '50,x' must be whole numbers >= 2"),
        (["--lengths", "1"], "lengths '1' must be whole numbers >= 2"),
        (["--steps", "0"], "Invalid value for '--steps'"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args, message, tmp_path):
    result = runner.invoke(app, ["memory", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())  # rich may wrap the box
    assert list(tmp_path.iterdir()) == []


def test_bad_learning_rate_is_a_one_line_error_with_exit_1(tmp_path):
    result = runner.invoke(app, ["memory", "--lr", "-1", *TINY, "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        "error: memory config field learning_rate=-1.0: use a number > 0\n")


def test_importing_the_command_does_not_load_torch():
    code = "import sys, lstmlab.memory.command; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_gates_and_gradients_charts_come_from_the_command(tmp_path):
    result = runner.invoke(app, ["memory", "--lengths", "5", "--cells", "rnn,lstm-chrono",
                                 *TINY, "--gates", "--gradients", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "gradient lstm-chrono, trained: ||dL/ds_1|| / ||dL/ds_T|| = " in result.output
    assert "gates: markers at steps" in result.output
    for name in ("adding_gradient_norms.png", "gates_adding.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_gates_need_an_lstm(tmp_path):
    result = runner.invoke(app, ["memory", "--lengths", "5", "--cells", "gru", *TINY, "--gates",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.endswith("error: --gates draws an LSTM's gates: add lstm to --cells\n")


def test_span_trains_every_variant_and_length_and_prints_the_span_line(tmp_path):
    result = runner.invoke(app, ["memory", "span", "--lengths", "4,6", "--cells",
                                 "rnn,lstm-chrono", *TINY, "--workers", "1", "--out",
                                 str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1].startswith("memory span: rnn T=")
    assert lines[-1].endswith("(adding, longest T solved)")
    assert "lstm-chrono T=" in lines[-1]
    assert any(line.startswith("adding T=6 lstm-chrono: test mse ") for line in lines)
    record = json.loads((tmp_path / "adding_span.json").read_text())
    assert sorted((r["config"]["length"], r["variant"]) for r in record) == [
        (4, "lstm-chrono"), (4, "rnn"), (6, "lstm-chrono"), (6, "rnn")]
    assert all(r["stop_reason"] in ("steps", "solved") for r in record)
    assert (tmp_path / "adding_span.png").read_bytes()[:4] == b"\x89PNG"
    assert "solved" in (tmp_path / "adding_span.csv").read_text().splitlines()[0]
