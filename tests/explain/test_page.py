"""The explorer page: its embedded JSON is the recorded walk, and it is self-contained and small."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape

import numpy as np
import pytest
import torch

from lstmlab.data import load_prices, windows_for
from lstmlab.explain.attribution import Attribution
from lstmlab.explain.make import explain_run
from lstmlab.explain.page import page_data, render_page
from lstmlab.explain.walk import Outcome, Walk
from lstmlab.forecaster import Forecaster
from lstmlab.recording import record_gates
from lstmlab.runs import read_run

from .pagedata import embedded

GATES = ("f_t", "i_t", "o_t", "c_tilde", "c_t", "h_t")


def _walk(steps: int, units: int, title: str = "a walk") -> Walk:
    rng = np.random.default_rng(0)
    gates = {name: rng.uniform(-1, 1, (steps, units)).astype(np.float32) for name in GATES}
    attribution = Attribution(rng.normal(size=(steps, 1)), 0.1, 0.0, "log return", "zeros", 128)
    return Walk("lstm", title, "sub", [f"2024-01-{k:02d}" for k in range(steps)], ["log_return"],
                rng.normal(size=(steps, 1)), [], [gates], Outcome("close", 1.0, 2.0, "naive", None),
                attribution)


def test_embedded_json_equals_record_gates_on_the_same_window(run_copy):
    made = explain_run(run_copy, "lstm", "2013-09-16")
    data = embedded(made.path)
    forecaster = Forecaster.load(read_run(run_copy).model_path("lstm"))
    prices = load_prices(read_run(run_copy).config["source_file"])
    windows = windows_for(prices, forecaster.spec_)
    row = int(np.flatnonzero(prices.index[windows.origin] == "2013-09-16")[0])
    with torch.no_grad(), record_gates(forecaster.model_) as trace:
        forecaster.model_(windows.x[row : row + 1])
    assert data["gates"] == list(GATES) and len(data["layers"]) == 1
    for name in GATES:
        recorded = trace.layers[0][name][0].numpy()  # (T, H)
        np.testing.assert_allclose(np.array(data["layers"][0][name]), recorded, rtol=1e-6,
                                   atol=1e-7)
    assert data["labels"][-1] == "2013-09-16" and len(data["labels"]) == 20


def test_the_page_allows_no_request_and_only_its_own_script():
    html = render_page(_walk(10, 4))
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                                html).group(1))
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_text_is_escaped_and_json_cannot_close_its_script():
    html = render_page(_walk(5, 2, title="<b>risky</b></script>"))
    assert "<b>risky</b>" not in html and "&lt;b&gt;risky&lt;/b&gt;" in html
    assert html.count("</script>") == 2  # the data block and the page script


def test_sixty_steps_of_sixty_four_units_stay_under_three_megabytes():
    html = render_page(_walk(60, 64))
    assert len(html.encode()) <= 3_000_000
    data = page_data(_walk(60, 64))
    assert np.array(data["layers"][0]["c_t"]).shape == (60, 64)


def test_numbers_read_back_as_the_same_float32_values():
    walk = _walk(7, 3)
    data = page_data(walk)
    for name in GATES:
        np.testing.assert_array_equal(np.array(data["layers"][0][name], dtype=np.float32),
                                      walk.layers[0][name])


@pytest.mark.parametrize(("cell", "name"), [("lstm", "explain.html"), ("gru", "explain-gru.html"),
                                            ("rnn", "explain-rnn.html")])
def test_the_run_report_links_each_page(run_copy, cell, name):
    best = read_run(run_copy).manifest["best_model"]
    made = explain_run(run_copy, cell)
    assert made.path.name == (name if best == "lstm" else
                              "explain.html" if cell == best else f"explain-{cell}.html")
    report = (run_copy / "report.html").read_text()
    assert f'<a href="{made.path.name}">' in report and "Inside the model" in report


def test_a_stacked_model_embeds_every_layer_and_offers_a_choice():
    walk = _walk(6, 3)
    two = Walk(**{**walk.__dict__, "layers": walk.layers * 2})
    assert len(page_data(two)["layers"]) == 2
    assert '<select id="layer">' in render_page(two)
    assert '<select id="layer">' not in render_page(walk)
