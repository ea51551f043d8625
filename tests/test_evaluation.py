"""Scoring functions that take the model explicitly: no state swapped, same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.evaluation import (
    evaluate_model,
    predict_prices,
    walk_forward_forecasts,
    with_baselines,
)
from lstmlab.pipeline import prepare_for
from lstmlab.vocabulary import BASELINES, WALK_FORWARD_SPLIT

SMALL = dict(hidden_size=8, lookback=10, max_epochs=2, batch_size=32)


@pytest.fixture(scope="module")
def prices(tsla_csv) -> pd.DataFrame:
    return load_prices(tsla_csv).iloc[-400:]


@pytest.fixture(scope="module")
def fitted(prices) -> Forecaster:
    return Forecaster(ForecastConfig(cell="gru", **SMALL)).fit(prices, verbose=False)


def test_evaluate_model_scores_any_model_it_is_given(fitted, prices):
    prepared = prepare_for(fitted.config, prices, fitted.spec_)
    evaluation = evaluate_model(fitted.model_, fitted.config, prepared, prices)
    pd.testing.assert_frame_equal(evaluation.metrics, fitted.evaluate(prices).metrics)
    assert evaluation.models() == ["gru"]
    assert list(evaluation.at_step().loc["test"].index) == ["gru", *BASELINES]


def test_walk_forward_leaves_the_model_untouched(fitted, prices):
    prepared = prepare_for(fitted.config, prices, fitted.spec_)
    before = {k: v.clone() for k, v in fitted.model_.state_dict().items()}
    tuned = walk_forward_forecasts(fitted.model_, fitted.config, prepared, block=30, epochs=1)
    assert tuned.shape == (len(prepared.test), 1) and np.isfinite(tuned).all()
    assert all((before[k] == v).all() for k, v in fitted.model_.state_dict().items())
    plain = predict_prices(fitted.model_, fitted.spec_, prepared.test.x,
                           prepared.test.last_price)
    assert not np.allclose(tuned, plain)  # fine-tuning did change the forecasts
    metrics = evaluate_model(fitted.model_, fitted.config, prepared, prices, walk_forward=30,
                             walk_forward_epochs=1).metrics
    assert (WALK_FORWARD_SPLIT, "gru", "1") in metrics.index


def test_with_baselines_names_the_model_by_its_cell(fitted, prices):
    prepared = prepare_for(fitted.config, prices, fitted.spec_)
    series = prices["close"].to_numpy()
    forecasts = with_baselines(fitted.config, np.zeros((len(prepared.val), 1)), series,
                               prepared.val, mean_return=0.001)
    assert list(forecasts) == ["gru", *BASELINES]
    np.testing.assert_array_equal(forecasts["naive"][:, 0], prepared.val.last_price)
