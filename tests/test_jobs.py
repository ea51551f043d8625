"""The jobs behind the commands: cells of a compare trained at once give the same models."""

from __future__ import annotations

import numpy as np
from conftest import synthetic_price_csv

from lstmlab import jobs
from lstmlab.config import ForecastConfig
from lstmlab.data import load_prices


def test_cells_trained_in_parallel_match_one_after_another(tmp_path):
    prices = load_prices(synthetic_price_csv(tmp_path / "P.csv", n=300, seed=4))
    configs = {cell: ForecastConfig(cell=cell, hidden_size=4, lookback=10, max_epochs=2)
               for cell in ("rnn", "lstm")}
    events = []
    parallel = jobs.fit_models(prices, configs, lambda cell, r: events.append(cell), jobs=2)
    sequential = jobs.fit_models(prices, configs, jobs=1)
    assert [f.cell for f in parallel] == ["rnn", "lstm"]
    assert sorted(events) == ["lstm", "lstm", "rnn", "rnn"]  # every epoch of both, relayed
    for a, b in zip(parallel, sequential, strict=True):
        np.testing.assert_allclose(a.evaluation.predictions[a.cell],
                                   b.evaluation.predictions[b.cell], rtol=1e-6)
        assert a.forecaster.history_["epoch"].tolist() == [1, 2]
