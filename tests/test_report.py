"""The HTML report: self-contained, complete, and rendered cleanly by a real browser."""

from __future__ import annotations

import base64
import json
import re

import pytest
from browser_probe import chromium, probe
from fake_run import CELLS, draw_chart, make_run

from lstmlab.report import build_report, display_name
from lstmlab.runs import chart_stem, read_run


@pytest.fixture
def run_dir(tmp_path):
    return make_run(tmp_path)


def test_report_is_self_contained_and_complete(run_dir):
    html = build_report(run_dir).read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<script" not in html and "<link" not in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 4 + len(CELLS)
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    for section in ("summary", "prices", "losses", "predictions", "metrics", "config"):
        assert f'<section id="{section}">' in html
    assert 'id="forecast"' not in html  # no forecast made yet: no empty section
    assert "2,768 trading days, 2013-01-02 to 2023-12-29" in html


def test_summary_says_a_baseline_was_selected_and_gives_the_model_verdict(run_dir):
    html = build_report(run_dir).read_text()
    assert ("No trained model had a lower validation RMSE than the naive forecast, so the "
            "naive forecast is selected. The best trained model on validation, LSTM: on the test "
            "period the LSTM does not differ significantly from the naive forecast: RMSE 5.100 "
            "against 5.000 (1.020x, DM p = 0.430).") in html
    assert "Lag check (LSTM): This forecast mostly repeats yesterday&#39;s move" in html
    assert "Placebo" not in html  # not run for this ticker


def test_summary_quotes_the_placebo_when_it_has_been_run(run_dir):
    placebo = run_dir.parent / "placebo"
    placebo.mkdir()
    (placebo / "TSLA.json").write_text(json.dumps(
        {"real_ratio": 1.0005, "percentile": 60.0, "placebo_ratios": [1.0] * 20,
         "config": {"max_epochs": 5}}))
    html = build_report(run_dir).read_text()
    assert "Placebo (TSLA.json: the default configuration, at most 5 epochs)" in html
    assert ("the real test RMSE / naive ratio 1.0005 lies at the 60th percentile of 20 ratios "
            "on random walks with TSLA&#39;s training mean and volatility: no evidence of skill "
            "beyond what a random walk allows.") in html


def test_metrics_table_marks_the_selected_forecast_and_best_values(run_dir):
    html = build_report(run_dir).read_text()
    test_table = html.split("<h3>Test, step 1</h3>")[1].split("</table>")[0]
    assert ('<tr class="best"><th>Naive (tomorrow = today) <span class="badge">selected</span>'
            '</th><td><strong>5.00') in test_table
    assert '<tr class="model"><th>LSTM</th>' in test_table
    assert '<td class="na">–</td>' in test_table  # baselines have no DM test against themselves


def test_report_shows_forecast_once_made_and_rebuild_is_atomic(run_dir):
    first = build_report(run_dir).read_text()
    draw_chart(chart_stem(run_dir, "forecast", "lstm"), "forecast")
    second = build_report(run_dir).read_text()
    assert 'id="forecast"' in second and len(second) > len(first)
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []


def test_display_names():
    assert [display_name(m) for m in ("rnn", "lstm", "gru", "moving_average", "ets")] == [
        "Simple RNN", "LSTM", "GRU", "Moving average", "Ets"]


def test_config_values_are_escaped(tmp_path):
    run_dir = make_run(tmp_path)
    config = json.loads((run_dir / "config.json").read_text())
    config["configs"]["lstm"]["note"] = "<b>x</b>"
    (run_dir / "config.json").write_text(json.dumps(config))
    html = build_report(read_run(run_dir).path).read_text()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


# --- in a real browser: headless Chromium (Debian package `chromium`) ---------------------------

def test_browser_loads_report_without_errors_or_requests(run_dir, tmp_path):
    seen, log = probe(tmp_path, build_report(run_dir).read_text())
    assert seen["seen"] == []
    assert "CONSOLE" not in log
    assert seen["requests"] == []
    assert len(seen["images"]) == 4 + len(CELLS)
    assert all(done and width > 100 and height > 50 for done, width, height in seen["images"])


def test_browser_probe_catches_broken_and_external_images(run_dir, tmp_path):
    html = build_report(run_dir).read_text().replace(
        "</main>", '<img src="data:image/png;base64,AAAA"><img src="https://example.com/a.png">'
                   "</main>")
    seen, _ = probe(tmp_path, html)
    assert any(s.startswith("csp: https://example.com") for s in seen["seen"])
    assert [width for _, width, _ in seen["images"][-2:]] == [0, 0]


def test_browser_screenshot_shows_the_charts(run_dir, tmp_path):
    import matplotlib.image

    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400",
              build_report(run_dir).as_uri())
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    # the charts' blue lines (matplotlib's C0) are drawn somewhere on the page
    blue = (abs(pixels[..., 0] - 0.12) < 0.06) & (abs(pixels[..., 2] - 0.71) < 0.06)
    assert blue.sum() > 500


def test_the_inputs_fact_names_every_covariate_and_its_features():
    from lstmlab.config import ForecastConfig
    from lstmlab.report import inputs_fact

    config = ForecastConfig(covariates={"AAPL+MSFT": ["log_return"], "SPY": ["log_return",
                                                                             "volume_z"]},
                            calendar_features=True)
    assert inputs_fact({"lstm": config.to_dict()}) == (
        "Inputs", "own log_return · past covariates AAPL+MSFT (log_return); SPY (log_return, "
                  "volume_z) · calendar facts of the forecast days (XNYS)")
    earnings = ForecastConfig(known={"earn.csv": ["earnings"]}).to_dict()
    assert inputs_fact({"lstm": earnings})[1].endswith(
        "known on the forecast days earn.csv (earnings)")
    assert inputs_fact({"rnn": ForecastConfig().to_dict()})[1] == (
        "own log_return · no past covariates")


def test_an_explain_attribution_is_shown_and_a_damaged_one_ignored(run_dir):
    (run_dir / "explain.html").write_text("<html></html>")
    (run_dir / "explain-gru.html").write_text("<html></html>")
    (run_dir / "explain.json").write_text(json.dumps({
        "window": "input window a to b", "units": "log return",
        "by_input": {"log_return": 0.002, "<b>X</b>": -0.001}}))
    (run_dir / "explain-gru.json").write_text('{"by_input": "not a table"')
    build_report(run_dir)
    html = (run_dir / "report.html").read_text()
    assert ("integrated-gradients attribution (log return) of its forecast, input window a to "
            "b, per input: log_return +0.002; &lt;b&gt;X&lt;/b&gt; -0.001") in html
    assert '<a href="explain-gru.html">explain-gru.html</a></li>' in html
