"""The command line's surface: help, exit codes, the data command, and bad input.

Every bad input of issue 5 gives one clear ``error:`` line (exit 1) or a usage error (exit 2),
and leaves earlier run directories exactly as they were. Training commands are in
``test_cli_train.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import synthetic_price_csv
from fake_run import invoke, make_run, snapshot

from lstmlab import __version__

COMMANDS = ("data", "train", "compare", "forecast", "report", "export", "memory", "sweep",
            "backtest")




@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No data folder, an empty cache, and no yfinance: a ticker can only come from disk."""
    monkeypatch.delenv("LSTMLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import fails as if not installed


@pytest.fixture
def small_csv(tmp_path):
    return synthetic_price_csv(tmp_path / "small.csv", n=300)


@pytest.fixture
def earlier(tmp_path):
    """An output folder holding one earlier run; yields (out folder, its snapshot)."""
    out = tmp_path / "runs"
    make_run(out, "earlier")
    return out, snapshot(out)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage: lstmlab " + command in result.stdout


def test_help_and_version():
    assert invoke("--version").stdout == f"lstmlab {__version__}\n"
    result = invoke("--help")
    assert result.exit_code == 0
    assert all(command in result.stdout for command in COMMANDS)


def test_help_is_fast_and_does_not_import_torch():
    code = ("import sys; sys.argv = ['lstmlab', '--help']\nfrom lstmlab.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, 'pandas' in sys.modules)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().endswith("False False")
    assert time.perf_counter() - start < 5  # the benchmark holds it to 1 s; this is a guard


def test_memory_lab_is_registered_with_its_own_checks():
    result = invoke("memory", "--task", "nope")
    assert result.exit_code == 2
    assert "unknown task 'nope'; choose adding or copy" in result.stderr


def test_data_prints_summary_and_writes_chart(tsla_csv, tmp_path):
    result = invoke("data", tsla_csv, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "2013-01-02 to" in result.stdout and "missing values: 0" in result.stdout
    for split in ("train", "val", "test"):
        assert split in result.stdout
    assert (tmp_path / "tsla-prices.png").stat().st_size > 10_000
    assert (tmp_path / "tsla-prices.svg").is_file()


def test_data_quiet_prints_only_the_chart_path(small_csv, tmp_path):
    result = invoke("data", small_csv, "--out", tmp_path, "--quiet")
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path / 'small-prices.png'}\n"


def test_data_by_ticker_from_the_data_directory(price_dir, tmp_path, monkeypatch, offline):
    monkeypatch.setenv("LSTMLAB_DATA_DIR", str(price_dir))
    result = invoke("data", "AAPL", "--out", tmp_path, "--lookback", "30")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "aapl-prices.png").is_file()


# --- bad input: a clear message, the right exit code, earlier runs untouched ------------------

def _refused(earlier, *args: str, code: int = 1):
    out, before = earlier
    result = invoke(*args, "--out", out) if args[0] in ("train", "compare") else invoke(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["earlier"]
    if code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize("command", ["train", "compare"])
def test_unknown_ticker_offline(earlier, offline, command):
    message = _refused(earlier, command, "ZZZZ")
    assert "no price file for ticker ZZZZ: looked for ZZZZ.csv in" in message
    assert "pip install 'lstmlab[yahoo]'" in message


def test_missing_csv(earlier, tmp_path):
    message = _refused(earlier, "train", tmp_path / "nope.csv")
    assert "price file not found:" in message and "nope.csv" in message


def test_malformed_csv(earlier, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-02,10\n2020-01-03,abc\n")
    message = _refused(earlier, "compare", bad)
    assert "bad.csv" in message and "abc" in message


def test_unknown_cell(earlier):
    message = _refused(earlier, "train", "TSLA", "--cell", "transformer", code=2)
    assert ("Error: Invalid value for '--cell': unknown cell 'transformer'; choose from rnn, "
            "lstm, gru\n") in message
    message = _refused(earlier, "compare", "TSLA", "--cells", "rnn,foo", code=2)
    assert "unknown cell 'foo'" in message


def test_lookback_longer_than_the_data(earlier, small_csv):
    message = _refused(earlier, "train", small_csv, "--lookback", "5000")
    assert "series too short: 300 rows with lookback 5000" in message and "small.csv" in message
    assert "use a shorter lookback/horizon or more data" in message


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_zero_or_negative_epochs(earlier, small_csv, epochs):
    message = _refused(earlier, "train", small_csv, "--epochs", epochs, code=2)
    assert "Invalid value for '--epochs'" in message


def test_unwritable_output_directory(small_csv, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = invoke("train", small_csv, "--epochs", "1", "--out", blocker / "runs")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write a run directory under ")
    assert "choose a writable folder with --out" in result.stderr
    result = invoke("data", small_csv, "--out", blocker)
    assert result.exit_code == 1 and result.stderr.startswith("error: cannot write ")
    assert "a file stands where a folder is needed: choose another --out" in result.stderr


@pytest.mark.parametrize("command", ["forecast", "report"])
def test_a_folder_that_is_not_a_run(earlier, tmp_path, command):
    (tmp_path / "plain").mkdir()
    message = _refused(earlier, command, tmp_path / "plain")
    assert "is not an lstmlab run directory (no manifest.json)" in message
    message = _refused(earlier, command, tmp_path / "missing")
    assert "does not exist" in message


def test_verbose_adds_the_traceback(tmp_path):
    result = invoke("report", tmp_path / "missing", "--verbose")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: run directory")
