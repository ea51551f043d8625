"""Refits as Ray tasks (`--address`): the same forecasts as in this process."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.run import run_backtest

from .conftest import TINY

ray = pytest.importorskip("ray", reason="backtests on Ray need the lstmlab[ray] extra")


def test_refits_on_ray_match_refits_here(short_prices, tmp_path):
    settings = BacktestSettings(str(short_prices.index[300].date()), refit_every=50)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = run_backtest(short_prices, {"lstm": TINY}, settings, address="auto",
                              store=tmp_path)
    finally:
        ray.shutdown()
    here = run_backtest(short_prices, {"lstm": TINY}, settings, jobs=1)
    assert len(list(tmp_path.glob("*.safetensors"))) == 2  # stored by the Ray workers
    np.testing.assert_allclose(on_ray.predictions["lstm"], here.predictions["lstm"], rtol=1e-6)
