"""A backtest's bands: causal, adaptive conformal as one online run across refits, each block's
split radius, the head's own band only for a head, the naive volatility band beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab.backtest.bands import BAND_COLUMNS, default_bands
from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.refit import run_refit
from lstmlab.backtest.run import plan_tasks, run_backtest
from lstmlab.baselines import volatility_band
from lstmlab.conformal import AdaptiveConformal, nonconformity
from lstmlab.errors import ConfigError
from lstmlab.intervals import BandCalibration

from .conftest import TINY
from .test_refit import _perturbed_after


def _settings(prices, start=300, every=40):
    return BacktestSettings(str(prices.index[start].date()), refit_every=every)


def test_no_band_reads_an_outcome_after_its_origin(short_prices):
    config = TINY.replace(loss="gaussian", horizon=2)
    original = run_backtest(short_prices, {"lstm": config}, _settings(short_prices), jobs=1).bands
    cut = 350  # an origin inside the second block (refit at row 340)
    changed = run_backtest(_perturbed_after(short_prices, cut + 1), {"lstm": config},
                           _settings(short_prices), jobs=1).bands
    assert list(original.columns) == list(BAND_COLUMNS)
    known = original["origin"] <= short_prices.index[cut]
    assert known.sum() == 2 * (cut - 299 + 1) * 5  # both steps, every origin, five bands
    pd.testing.assert_frame_equal(original.loc[known, ["lower", "upper"]],
                                  changed.loc[known, ["lower", "upper"]], check_exact=True)
    assert not np.allclose(original.loc[~known, "upper"], changed.loc[~known, "upper"])


def test_adaptive_conformal_is_one_online_run_across_the_refits(short_prices):
    result = run_backtest(short_prices, {"lstm": TINY}, _settings(short_prices), jobs=1)
    bands = result.bands.query("model == 'lstm'")
    assert sorted(set(bands["method"])) == ["adaptive", "residual", "split"]  # no head, no band
    adaptive = bands.query("method == 'adaptive'")
    point, actual = adaptive["point"].to_numpy(), adaptive["actual"].to_numpy()
    assert adaptive["refit"].nunique() == 3
    # by hand: one AdaptiveConformal seeded with the first refit's calibration, never restarted
    _, chains = plan_tasks(short_prices, {"lstm": TINY}, _settings(short_prices), [TINY.seed])
    first = BandCalibration.from_dict(run_refit(chains[0][0]).calibration)
    aci = first.levels[0.9].adaptive[0]
    radii, _ = AdaptiveConformal(aci.history, 0.1, gamma=aci.gamma,
                                 window=aci.history.maxlen).run(
        nonconformity(np.log(point), np.log(point), np.log(actual)))
    np.testing.assert_allclose(adaptive["upper"], point * np.exp(radii), rtol=1e-9)
    np.testing.assert_allclose(adaptive["lower"], point * np.exp(-radii), rtol=1e-9)


def test_split_is_each_blocks_own_radius_and_naive_is_the_volatility_band(short_prices):
    config = TINY.replace(loss="quantile")
    result = run_backtest(short_prices, {"lstm": config}, _settings(short_prices), jobs=1)
    bands = result.bands
    model = bands.query("model == 'lstm' and method == 'model'")
    split = bands.query("model == 'lstm' and method == 'split'")
    radius = np.log(split["upper"].to_numpy() / model["upper"].to_numpy())  # (N,)
    for refit in range(3):
        mine = radius[split["refit"].to_numpy() == refit]
        np.testing.assert_allclose(mine, mine[0], rtol=1e-9)  # one radius per block
    assert (model["lower"] < model["upper"]).all()  # a head's own band has a width
    naive = bands.query("model == 'naive'")
    assert set(naive["method"]) == {"volatility"}
    series = short_prices["close"].to_numpy()
    origins = short_prices.index.get_indexer(naive["origin"])
    lower, upper = volatility_band(series, origins, 1, 0.1)
    np.testing.assert_allclose(naive["lower"], lower[:, 0])
    np.testing.assert_allclose(naive["upper"], upper[:, 0])
    headline = default_bands(result.intervals.query("scope == 'pooled'"))
    assert sorted(headline["method"]) == ["adaptive", "volatility"]


def test_seeds_have_bands_of_their_own_and_alphas_must_agree(short_prices):
    result = run_backtest(short_prices, {"lstm": TINY}, _settings(short_prices, 340, 60),
                          seeds=[1, 2], jobs=1)
    assert set(result.bands["model"]) == {"lstm_seed1", "lstm_seed2", "naive"}
    with pytest.raises(ConfigError, match="must share alpha"):
        run_backtest(short_prices, {"lstm": TINY, "gru": TINY.replace(cell="gru", alpha=0.2)},
                     _settings(short_prices))
