"""One refit: it reads only the rows before its refit date, and its stored form reads back."""

from __future__ import annotations

import numpy as np
import torch

from lstmlab import persist
from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.refit import load_refit, run_refit, save_refit
from lstmlab.backtest.run import plan_tasks

from .conftest import TINY


def _perturbed_after(prices, row, seed=1):
    """``prices`` with every value from ``row`` on multiplied by random factors."""
    rng = np.random.default_rng(seed)
    changed = prices.copy()
    factors = rng.uniform(0.5, 2.0, size=(len(prices) - row, 1))
    changed.iloc[row:] *= factors  # every column of a loaded frame is a float
    return changed


def test_perturbing_prices_from_the_refit_date_on_leaves_the_fit_unchanged(short_prices):
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)
    _, chains = plan_tasks(short_prices, {"lstm": TINY}, settings, [TINY.seed])
    task = chains[1][0]  # the second block
    changed = _perturbed_after(short_prices, task.block.refit)
    _, changed_chains = plan_tasks(changed, {"lstm": TINY}, settings, [TINY.seed])
    original, perturbed = run_refit(task), run_refit(changed_chains[1][0])
    assert original.state.keys() == perturbed.state.keys()
    for name, weights in original.state.items():
        assert torch.equal(weights, perturbed.state[name]), name  # bit for bit
    # the forecast from the last origin before the refit date is unchanged too
    assert original.forecasts[0, 0] == perturbed.forecasts[0, 0]
    assert not np.array_equal(original.forecasts[1:], perturbed.forecasts[1:])


def test_perturbing_covariates_from_the_refit_date_on_leaves_the_fit_unchanged(
        short_prices, short_covariate):
    config = TINY.replace(covariates={"OTHER": ("log_return", "volume_z")})
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)

    def second_refit(covariate):
        _, chains = plan_tasks(short_prices, {"lstm": config}, settings, [config.seed],
                               covariates={"OTHER": covariate})
        return chains[1][0]

    task = second_refit(short_covariate)
    assert task.covariates["OTHER"].index[-1] == short_prices.index[task.block.last_row]
    changed = second_refit(_perturbed_after(short_covariate, task.block.refit))
    assert changed.key != task.key  # the key hashes the covariate rows too
    original, perturbed = run_refit(task), run_refit(changed)
    assert original.state["rnn.cells.0.weight_ih"].shape[1] == 3  # own + 2 covariate inputs
    for name, weights in original.state.items():
        assert torch.equal(weights, perturbed.state[name]), name  # bit for bit
    np.testing.assert_array_equal(original.val_forecasts, perturbed.val_forecasts)
    assert original.forecasts[0, 0] == perturbed.forecasts[0, 0]  # the origin before the refit
    assert not np.array_equal(original.forecasts[1:], perturbed.forecasts[1:])


def test_a_stored_refit_reads_back_whole(short_prices, tmp_path):
    settings = BacktestSettings(str(short_prices.index[350].date()), refit_every=100)
    _, chains = plan_tasks(short_prices, {"lstm": TINY}, settings, [TINY.seed])
    result = run_refit(chains[0][0])
    save_refit(tmp_path, result)
    back = load_refit(tmp_path, result.key)
    assert back is not None and back.cached
    assert np.array_equal(back.forecasts, result.forecasts)
    assert np.array_equal(back.origins, result.origins)
    assert np.array_equal(back.bands, result.bands) and result.bands.shape == (50, 1, 2)
    assert np.array_equal(back.residual_band, result.residual_band)
    assert back.summary == result.summary and back.calibration == result.calibration
    assert all(torch.equal(back.state[k], v) for k, v in result.state.items())
    stored = tmp_path / f"{result.key}.safetensors"
    tensors, meta = persist.load_model(stored)
    persist.save_model(stored, tensors, {**meta, "manifest": {"block": "forged"}})
    assert load_refit(tmp_path, result.key) is None  # valid file, not what lstmlab writes
    stored.write_bytes(b"damaged")
    assert load_refit(tmp_path, result.key) is None  # refitted, not trusted
    assert load_refit(tmp_path, "0" * 16) is None


def test_the_key_changes_with_the_data_read_and_the_config(short_prices):
    settings = BacktestSettings(str(short_prices.index[250].date()), refit_every=40)
    _, chains = plan_tasks(short_prices, {"lstm": TINY}, settings, [TINY.seed])
    keys = [chain[0].key for chain in chains]
    assert len(set(keys)) == len(keys)
    longer = short_prices.iloc[:-1]  # the last block reads fewer rows; the others do not change
    _, shorter = plan_tasks(longer, {"lstm": TINY}, settings, [TINY.seed])
    assert [c[0].key for c in shorter][:-1] == keys[:-1]
    assert shorter[-1][0].key != keys[-1]
    _, reseeded = plan_tasks(short_prices, {"lstm": TINY}, settings, [TINY.seed + 1])
    assert not {c[0].key for c in reseeded} & set(keys)
