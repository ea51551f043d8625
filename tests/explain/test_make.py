"""``explain_run`` beside the page: the attribution per input, which the run's report shows."""

from __future__ import annotations

import json

import pytest
from conftest import synthetic_price_csv
from fake_run import invoke

from lstmlab.explain.make import CALENDAR_GROUP, explain_run

from .conftest import SMALL
from .pagedata import embedded


def test_each_covariate_gets_its_share_of_the_attribution(tmp_path):
    prices = synthetic_price_csv(tmp_path / "prices.csv", n=300)
    other = synthetic_price_csv(tmp_path / "other.csv", n=300, seed=5)
    made = invoke("train", prices, "--cell", "lstm", *SMALL, "--covariate",
                  f"{other}:log_return,range", "--calendar-features", "--out", tmp_path,
                  "--name", "cov")
    assert made.exit_code == 0, made.stderr
    page = explain_run(tmp_path / "cov").path
    saved = json.loads(page.with_suffix(".json").read_text())
    by_input = saved["by_input"]
    assert list(by_input) == ["log_return", str(other), CALENDAR_GROUP]
    walk_total = sum(by_input.values())
    attribution = embedded(page)["attribution"]
    assert walk_total == pytest.approx(attribution["output"] - attribution["baseline_output"],
                                       abs=1e-6 + abs(walk_total) * 1e-3)  # completeness
    report = (tmp_path / "cov" / "report.html").read_text()
    assert f"per input: log_return {by_input['log_return']:+.3g}; {other}" in report
