"""The backtest page's sentences: a band is called better or worse than the naive volatility
band only when the Diebold-Mariano test of the interval scores says so."""

from __future__ import annotations

import math

from lstmlab.backtest.page import band_sentence

SCORES = {"coverage": 0.9, "width_pct": 5.0, "interval_score": 9.0}


def test_band_sentence_claims_a_difference_only_when_significant():
    better = band_sentence("lstm", {**SCORES, "interval_dm_p_value": 0.01}, 10.0, 0.9)
    assert "significantly better (Diebold-Mariano p = 0.010)" in better
    assert "90% adaptive conformal band covered 90.0%" in better
    worse = band_sentence("lstm", {**SCORES, "interval_dm_p_value": 0.01}, 8.0, 0.9)
    assert "significantly worse" in worse
    same = band_sentence("lstm", {**SCORES, "interval_dm_p_value": 0.2}, 10.0, 0.9)
    assert "not significant (Diebold-Mariano p = 0.200)" in same and "better" not in same
    none = band_sentence("lstm", {**SCORES, "interval_dm_p_value": math.nan}, 10.0, 0.9)
    assert none.endswith("no test could be computed.")
