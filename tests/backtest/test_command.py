"""`lstmlab backtest` end to end: the run directory, both charts in the report, resuming, and
one `error:` line for a bad setting."""

from __future__ import annotations

import json

import pandas as pd
from conftest import synthetic_price_csv
from fake_run import invoke

FAST = ("--epochs", "1", "--hidden-size", "4", "--lookback", "10", "--refit-every", "60",
        "--jobs", "1")


def test_backtest_writes_a_run_with_both_charts_and_resumes(tmp_path):
    csv = synthetic_price_csv(tmp_path / "ABC.csv", n=400, seed=2)
    out = tmp_path / "runs"
    result = invoke("backtest", csv, "--start", "2014-01-02", "--cells", "rnn,lstm", *FAST,
                    "--out", out, "--name", "first")
    assert result.exit_code == 0, result.output
    assert "pooled one-step RMSE" in result.stdout and "Diebold-Mariano" in result.stdout
    assert "90% adaptive conformal band covered" in result.stdout
    run = out / "first"
    table = pd.read_csv(run / "predictions.csv")
    assert list(table.columns[:5]) == ["origin", "step", "target_date", "refit", "actual"]
    assert {"rnn", "lstm", "naive", "drift", "moving_average"} <= set(table.columns)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["command"] == "backtest" and manifest["refits"] == table["refit"].nunique()
    report = (run / "report.html").read_text()
    assert report.count("<img") == 3 and "Goyal" in report
    for chart in ("rolling-ratio", "cumulative-difference", "coverage"):
        assert (run / "charts" / f"{chart}.png").is_file()
    assert "adaptive conformal band covered" in report
    assert 'id="bands"' in report and "volatility band" in report
    bands = pd.read_csv(run / "bands.csv")
    assert set(bands["model"]) == {"rnn", "lstm", "naive"}
    intervals = pd.read_csv(run / "intervals.csv")
    assert set(intervals["method"]) == {"adaptive", "split", "residual", "volatility"}
    metrics = pd.read_csv(run / "metrics.csv").query("scope == 'pooled' and step == 1")
    assert metrics.set_index("model").loc[["lstm", "naive"], "coverage"].between(0, 1).all()
    again = invoke("backtest", csv, "--start", "2014-01-02", "--cells", "rnn,lstm", *FAST,
                   "--out", out, "--name", "second")
    assert again.exit_code == 0
    refits = 2 * manifest["refits"]
    assert f"resuming: {refits} of {refits} refits are stored already" in again.stderr
    assert (pd.read_csv(out / "second" / "predictions.csv")["lstm"] == table["lstm"]).all()
    assert invoke("report", run).exit_code == 0  # the report rebuilds from the folder alone


def test_a_bad_setting_is_one_error_line_before_any_training(tmp_path):
    csv = synthetic_price_csv(tmp_path / "ABC.csv", n=400, seed=2)
    result = invoke("backtest", csv, "--start", "2014-01-02", "--window", "rolling",
                    "--train-size", "5", *FAST, "--out", tmp_path / "runs")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: rolling train_size 5 is too short")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_covariate_backtest_names_its_covariates_in_the_report(tmp_path):
    csv = synthetic_price_csv(tmp_path / "ABC.csv", n=400, seed=2)
    other = synthetic_price_csv(tmp_path / "XYZ.csv", n=400, seed=3)
    out = tmp_path / "runs"
    result = invoke("backtest", csv, "--start", "2014-06-02", *FAST, "--covariate",
                    f"{other}:log_return,range", "--out", out, "--name", "cov", "--no-charts")
    assert result.exit_code == 0, result.output
    config = json.loads((out / "cov" / "config.json").read_text())
    assert config["covariates"] == [str(other)]
    report = (out / "cov" / "report.html").read_text()
    assert f"past covariates {other} (log_return, range)" in report


def test_a_global_backtest_writes_one_backtest_per_series(tmp_path):
    first = synthetic_price_csv(tmp_path / "ABC.csv", n=400, seed=2)
    second = synthetic_price_csv(tmp_path / "XYZ.csv", n=400, seed=3)
    out = tmp_path / "runs"
    refused = invoke("backtest", first, second, "--start", "2014-06-02", *FAST, "--out", out)
    assert refused.exit_code == 2 and "give one source, or --global" in refused.output
    result = invoke("backtest", first, second, "--global", "--series-id", "--start",
                    "2014-06-02", *FAST, "--out", out, "--name", "both", "--no-charts")
    assert result.exit_code == 0, result.output
    assert "ABC:" in result.stdout and "XYZ:" in result.stdout
    run = out / "both"
    pooled = pd.read_csv(run / "pooled.csv")
    assert set(pooled["series"]) == {"ABC", "XYZ"} and set(pooled["model"]) == {"lstm",
                                                                                 "selected"}
    refits = pd.read_csv(run / "ABC" / "refits.csv")["refit"]
    assert len(pd.read_csv(run / "refits.csv")) == refits.nunique()  # one fit per refit date
    for name in ("ABC", "XYZ"):
        config = json.loads((run / name / "config.json").read_text())
        assert config["global"] and config["series_id"] and config["source"] == name
        assert (run / name / "report.html").is_file()


def test_a_distribution_head_backtest_scores_its_own_band_too(tmp_path):
    csv = synthetic_price_csv(tmp_path / "ABC.csv", n=400, seed=2)
    result = invoke("backtest", csv, "--start", "2014-01-02", "--loss", "gaussian", "--alpha",
                    "0.2", *FAST, "--out", tmp_path / "runs", "--name", "head")
    assert result.exit_code == 0, result.output
    assert "80% adaptive conformal band covered" in result.stdout
    intervals = pd.read_csv(tmp_path / "runs" / "head" / "intervals.csv")
    assert "model" in set(intervals.query("model == 'lstm'")["method"])
    report = (tmp_path / "runs" / "head" / "report.html").read_text()
    assert "own quantiles" in report


def test_backtest_with_a_known_earnings_flag(tmp_path):
    csv = synthetic_price_csv(tmp_path / "ABC.csv", n=400, seed=2)
    days = pd.bdate_range("2013-01-02", periods=420)
    flags = tmp_path / "earnings.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"),
                  "earnings": [int(i % 63 == 5) for i in range(len(days))]}).to_csv(flags,
                                                                                    index=False)
    result = invoke("backtest", csv, "--start", "2014-01-02", *FAST, "--horizon", "2",
                    "--known", f"{flags}:earnings", "--out", tmp_path / "runs", "--name", "k")
    assert result.exit_code == 0, result.output
    assert "lstm" in pd.read_csv(tmp_path / "runs" / "k" / "predictions.csv").columns
    short = tmp_path / "short.csv"
    pd.read_csv(flags).iloc[:300].to_csv(short, index=False)
    refused = invoke("backtest", csv, "--start", "2014-01-02", *FAST,
                     "--known", f"{short}:earnings", "--out", tmp_path / "runs")
    assert refused.exit_code == 1 and "lacks" in refused.stderr
