"""Selection among models and baselines, and the wording rule over every sentence written."""

import math
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmlab.verdicts import (
    LEVEL,
    compare,
    select_forecaster,
    selection_sentence,
    summary_line,
)

CLAIMS = re.compile(r"\bbeats?\b|\bbetter than\b|\boutperforms?\b")
WORSE = re.compile(r"significantly worse")


def _table(rows: dict[tuple[str, str], tuple[float, float]]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(list(rows), names=["split", "model"])
    return pd.DataFrame([{"rmse": r, "dm_p_value": p} for r, p in rows.values()], index=index)


def _check_wording(sentence: str, rmse: float, other: float, p: float) -> None:
    """A claim of superiority or inferiority only with a significant test in that direction."""
    significant = not math.isnan(p) and p < LEVEL
    if CLAIMS.search(sentence):
        assert significant and rmse < other, sentence
    if WORSE.search(sentence):
        assert significant and rmse > other, sentence
    if not significant:
        assert "not differ significantly" in sentence or "cannot be told apart" in sentence


@settings(max_examples=300, deadline=None)
@given(
    rmse=st.floats(0.1, 100.0), other=st.floats(0.1, 100.0),
    p=st.one_of(st.just(math.nan), st.floats(0.0, 1.0)),
    model=st.sampled_from(["lstm", "gru", "rnn", "drift", "moving_average", "mean_return"]),
)
def test_compare_claims_only_what_the_test_backs(rmse, other, p, model):
    _check_wording(compare(model, "naive", rmse, other, p), rmse, other, p)


@settings(max_examples=200, deadline=None)
@given(
    val=st.lists(st.floats(1.0, 2.0), min_size=3, max_size=3),
    test=st.lists(st.floats(1.0, 2.0), min_size=3, max_size=3),
    p=st.lists(st.one_of(st.just(math.nan), st.floats(0.0, 1.0)), min_size=2, max_size=2),
)
def test_every_summary_sentence_follows_the_wording_rule(val, test, p):
    models = ["lstm", "naive", "drift"]
    rows = {("val", m): (v, math.nan) for m, v in zip(models, val, strict=True)}
    rows.update({("test", "lstm"): (test[0], p[0]), ("test", "naive"): (test[1], math.nan),
                 ("test", "drift"): (test[2], p[1])})
    table = _table(rows)
    selected = select_forecaster(table)
    line = summary_line(table, ["lstm"], selected)
    for sentence in re.split(r"(?<=\.)\s+(?=[A-Z])", line):
        for model, q in (("lstm", p[0]), ("drift", p[1])):
            if model in sentence.lower() and "test period" in sentence:
                _check_wording(sentence, test[models.index(model)], test[1], q)
    if selected != "lstm":  # a baseline won: the trained model's test result is still given
        assert "No trained model had a lower validation RMSE" in line
        assert "LSTM" in line and f"RMSE {test[0]:,.3f}" in line


def test_selection_includes_the_baselines_and_prefers_them_on_ties():
    table = _table({("val", "lstm"): (1.036, math.nan), ("val", "naive"): (1.0, math.nan),
                    ("val", "drift"): (1.0, math.nan), ("test", "lstm"): (1.036, 0.016),
                    ("test", "naive"): (1.0, math.nan), ("test", "drift"): (1.0, 0.9)})
    assert select_forecaster(table) in ("naive", "drift")
    line = summary_line(table, ["lstm"], "naive")
    assert line.startswith("No trained model had a lower validation RMSE than the naive "
                           "forecast, so the naive forecast is selected.")
    assert "the LSTM is significantly worse than the naive forecast" in line
    assert "DM p = 0.016" in line


def test_a_trained_model_selected_and_not_significant():
    table = _table({("val", "lstm"): (0.99, math.nan), ("val", "naive"): (1.0, math.nan),
                    ("test", "lstm"): (0.998, 0.4), ("test", "naive"): (1.0, math.nan)})
    assert select_forecaster(table) == "lstm"
    assert selection_sentence("lstm", ["lstm"]).startswith("Selected on validation: LSTM")
    assert ("the LSTM does not differ significantly from the naive forecast"
            in summary_line(table, ["lstm"], "lstm"))


def test_selection_needs_an_rmse():
    table = _table({("val", "lstm"): (math.nan, math.nan)})
    with pytest.raises(ValueError, match="no model has an RMSE on the 'val' split"):
        select_forecaster(table)
