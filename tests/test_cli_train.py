"""Training commands end to end: compare, train, forecast and report through the CLI.

One small compare run (tiny models, few epochs, a short synthetic series) is shared by the
module; tests that damage a run work on a copy.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from browser_probe import chromium, probe
from conftest import synthetic_price_csv
from fake_run import invoke, snapshot

from lstmlab.persist import load_model, save_model
from lstmlab.runs import read_run

TINY = ("--epochs", "2", "--hidden-size", "4", "--lookback", "10", "--seed", "0")
RUN_FILES = ("config.json", "manifest.json", "history.csv", "metrics.csv", "predictions.csv",
             "report.html", "charts/prices.png", "charts/loss.png", "charts/loss-rnn.png",
             "charts/loss-lstm.svg", "charts/predictions.png", "charts/residuals.svg",
             "models/rnn.safetensors", "models/lstm.safetensors")




@pytest.fixture(scope="module")
def prices_csv(tmp_path_factory):
    return synthetic_price_csv(tmp_path_factory.mktemp("data") / "prices.csv", n=360)


@pytest.fixture(scope="module")
def compared(prices_csv, tmp_path_factory):
    """``lstmlab compare`` on the small series: (result, run directory)."""
    out = tmp_path_factory.mktemp("runs")
    result = invoke("compare", prices_csv, *TINY, "--out", out, "--name", "small")
    assert result.exit_code == 0, result.stderr
    return result, out / "small"


@pytest.fixture
def run_copy(compared, tmp_path):
    """A copy of the compare run that a test may damage."""
    return shutil.copytree(compared[1], tmp_path / "copy")


def test_compare_writes_a_complete_run_and_prints_metrics(compared):
    result, run_dir = compared
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert [p.name for p in run_dir.parent.iterdir()] == ["small"]  # no temporary left
    run = read_run(run_dir)
    assert run.cells == ["rnn", "lstm"]
    assert run.manifest["best_model"] in ("rnn", "lstm")
    metrics = run.table("metrics.csv")
    assert set(metrics["model"]) == {"rnn", "lstm", "naive", "drift", "moving_average",
                                     "mean_return"}
    assert metrics.groupby("split").size().to_dict() == {"test": 6, "val": 6}
    history = run.table("history.csv")
    assert history.groupby("model").size().to_dict() == {"lstm": 2, "rnn": 2}
    html = (run_dir / "report.html").read_text()
    assert "· small</p>" in html and ".partial" not in html  # named as the final folder
    selected = run.manifest["selected"]
    assert selected in set(metrics["model"])
    for text in ("test metrics", "Simple RNN", "LSTM", "Naive (tomorrow = today)",
                 "best trained model (lowest validation RMSE)", "lag check (LSTM)",
                 "report.html"):
        assert text in result.stdout, text
    summary = " ".join(result.stdout.split())  # rich wraps long lines
    assert ("Selected on validation:" in summary) == (selected in run.cells)
    assert ("No trained model had a lower validation RMSE" in summary) == (
        selected not in run.cells)
    assert "the naive forecast" in summary


def test_forecast_warns_when_the_run_selected_another_forecast(run_copy):
    manifest = json.loads((run_copy / "manifest.json").read_text())
    manifest["selected"] = "naive"
    (run_copy / "manifest.json").write_text(json.dumps(manifest))
    result = invoke("forecast", run_copy, "--steps", "1", "--cell", "lstm")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: this run selected the naive forecast on "
                                    "validation, not LSTM")


def test_trained_report_renders_in_the_browser(compared, tmp_path):
    import matplotlib.image

    report = compared[1] / "report.html"
    seen, log = probe(tmp_path, report.read_text())
    assert seen["seen"] == [] and seen["requests"] == [] and "CONSOLE" not in log
    assert len(seen["images"]) == 6  # prices, loss overlay, 2 per-model losses, predictions,
    # residuals; every one decoded at the size matplotlib drew it
    assert all(done and width >= 600 and height >= 300 for done, width, height in seen["images"])
    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,3000", report.as_uri())
    assert matplotlib.image.imread(shot).shape[:2] == (3000, 1280)


def test_saved_models_hold_the_config_scalers_and_features(compared):
    tensors, meta = load_model(compared[1] / "models" / "lstm.safetensors")
    assert tensors and all(t.device.type == "cpu" for t in tensors.values())
    assert meta["config"]["cell"] == "lstm" and meta["config"]["lookback"] == 10
    assert meta["spec"]["features"] == ["log_return"]
    assert {"scaler_x", "scaler_y"} <= set(meta["spec"])
    assert {"manifest", "lstmlab_version", "format_version"} <= set(meta)


def test_train_one_cell_quiet_prints_the_run_path(prices_csv, tmp_path):
    result = invoke("train", prices_csv, "--cell", "gru", *TINY, "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.stderr
    run_dir = tmp_path / result.stdout.strip().rsplit("/", 1)[-1]
    assert result.stdout == f"{run_dir}\n"
    assert read_run(run_dir).cells == ["gru"]
    assert (run_dir / "models" / "gru.safetensors").is_file()
    assert run_dir.name.startswith("prices-train-")


def test_forecast_starts_the_day_after_the_last_actual_price(run_copy, prices_csv):
    result = invoke("forecast", run_copy, "--steps", "3", "--cell", "lstm")
    assert result.exit_code == 0, result.stderr
    prices = pd.read_csv(prices_csv, parse_dates=["Date"])
    last_date, last_close = prices["Date"].iloc[-1], prices["Close"].iloc[-1]
    table = pd.read_csv(run_copy / "forecast-lstm.csv", index_col=0, parse_dates=True)
    assert len(table) == 3
    assert table.index[0] == last_date + pd.offsets.BDay(1)  # no step skipped, none repeated
    assert (table["lower"] <= table["prediction"]).all()
    assert (table["prediction"] <= table["upper"]).all()
    assert 0.8 < table["prediction"].iloc[0] / last_close < 1.25  # anchored on the last close
    assert f"from the last close {last_close:,.2f} on {last_date:%Y-%m-%d}" in result.stdout
    assert (run_copy / "charts" / "forecast-lstm.png").is_file()
    assert 'id="forecast"' in (run_copy / "report.html").read_text()


def test_forecast_finds_a_relative_csv_source_from_another_folder(prices_csv, monkeypatch,
                                                                  tmp_path):
    monkeypatch.chdir(prices_csv.parent)
    result = invoke("train", prices_csv.name, "--cell", "rnn", *TINY, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = result.stdout.strip()
    monkeypatch.chdir(tmp_path)
    result = invoke("forecast", run_dir, "--steps", "1", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{run_dir}/forecast-rnn.csv\n"


def test_forecast_uses_the_latest_row_of_newer_data(run_copy, prices_csv, tmp_path):
    prices = pd.read_csv(prices_csv)
    shorter, moved = tmp_path / "shorter.csv", tmp_path / "moved.csv"
    prices.iloc[:-20].to_csv(shorter, index=False)
    changed = prices.iloc[:-20].copy()
    changed.loc[changed.index[-1], ["Close", "High"]] *= 1.10
    changed.to_csv(moved, index=False)
    tables = []
    for data in (shorter, moved):
        result = invoke("forecast", run_copy, "--steps", "2", "--data", data, "--cell", "rnn")
        assert result.exit_code == 0, result.stderr
        tables.append(pd.read_csv(run_copy / "forecast-rnn.csv", index_col=0, parse_dates=True))
    last_date = pd.Timestamp(prices["Date"].iloc[-21])
    assert tables[0].index[0] == last_date + pd.offsets.BDay(1)
    ratio = tables[1]["prediction"].iloc[0] / tables[0]["prediction"].iloc[0]
    assert ratio > 1.05  # moving only the last close moves the first step with it


def test_model_trained_on_a_gpu_forecasts_on_the_cpu(run_copy):
    path = run_copy / "models" / "lstm.safetensors"
    tensors, meta = load_model(path)
    meta["config"]["device"] = "cuda"  # as saved by a run on a GPU machine
    save_model(path, tensors, meta)
    result = invoke("forecast", run_copy, "--steps", "2", "--cell", "lstm")
    assert result.exit_code == 0, result.stderr
    assert "forecast from the last close" in result.stdout


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[:-7], "is truncated"),
    (lambda b: b[:-9] + bytes([b[-9] ^ 1]) + b[-8:], "fails its checksum"),
    (lambda b: b[:8] + b"#" + b[9:], "has a damaged safetensors header"),
    (lambda b: b"", "is not a safetensors file (it is empty or too short)"),
])
def test_corrupted_model_file_is_refused(run_copy, compared, damage, message):
    before = snapshot(compared[1])
    path = run_copy / "models" / "lstm.safetensors"
    path.write_bytes(damage(path.read_bytes()))
    result = invoke("forecast", run_copy, "--cell", "lstm")
    assert result.exit_code == 1
    # after the warning that the run selected another forecast, if it did: one error line
    assert result.stderr.split("\n")[-2].startswith(f"error: model file {path} ")
    assert message in result.stderr
    assert not (run_copy / "forecast-lstm.csv").exists()
    assert snapshot(compared[1]) == before


def test_forecast_of_an_unknown_cell_in_the_run(run_copy):
    result = invoke("forecast", run_copy, "--cell", "gru")
    assert result.exit_code == 1
    assert "has no 'gru' model; it holds rnn, lstm" in result.stderr


def test_forecast_calendar_option(run_copy):
    result = invoke("forecast", run_copy, "--cell", "lstm", "--calendar", "NOPE")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: unknown exchange calendar 'NOPE'")
    assert invoke("forecast", run_copy, "--cell", "lstm", "--calendar", "none").exit_code == 0


def test_report_is_rebuilt(run_copy):
    (run_copy / "report.html").unlink()
    result = invoke("report", run_copy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"report: {run_copy / 'report.html'}\n"
    assert "Metrics against the baselines" in (run_copy / "report.html").read_text()


def test_interrupted_training_leaves_no_run(prices_csv, tmp_path, monkeypatch):
    import lstmlab.jobs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lstmlab.jobs, "fit_models", interrupted)
    result = invoke("compare", prices_csv, *TINY, "--out", tmp_path / "runs")
    assert result.exit_code == 130  # the shell's code for Ctrl-C
    assert list((tmp_path / "runs").iterdir()) == []
