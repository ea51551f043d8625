"""Forecaster: fit / predict / evaluate / forecast on a small series, quickly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.errors import ConfigError, DataError, LstmlabError, NotFittedError
from lstmlab.evaluation import check_unseen_test
from lstmlab.trading_days import sessions_after

SMALL = dict(hidden_size=8, lookback=10, max_epochs=3, batch_size=32)


@pytest.fixture(scope="module")
def prices(tsla_csv) -> pd.DataFrame:
    return load_prices(tsla_csv).iloc[-500:]


@pytest.fixture(scope="module")
def fitted(prices) -> Forecaster:
    return Forecaster(ForecastConfig(cell="lstm", **SMALL)).fit(prices, verbose=False)


def test_fit_sets_learned_state_and_history(fitted):
    history = fitted.history_
    assert list(history.columns[:5]) == ["epoch", "train_loss", "val_loss", "lr", "seconds"]
    assert len(history) == 3 and fitted.best_epoch_ in (1, 2, 3)
    assert np.isfinite(history[["train_loss", "val_loss"]].to_numpy()).all()


def test_manifest_records_what_reproduces_the_run(fitted, prices):
    manifest = fitted.manifest_
    assert manifest["seed"] == 0
    assert set(manifest["versions"]) >= {"lstmlab", "torch", "numpy", "pandas"}
    assert len(manifest["data"]["sha256"]) == 64 and manifest["data"]["rows"] == len(prices)
    assert set(manifest["split_dates"]) == {"train", "val", "test"}
    assert "torch_deterministic_algorithms" in manifest["determinism"]


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_same_seed_same_history_and_predictions(prices, cell):
    config = ForecastConfig(cell=cell, seed=7, **SMALL)
    first = Forecaster(config).fit(prices, verbose=False)
    second = Forecaster(config).fit(prices, verbose=False)
    columns = ["train_loss", "val_loss", "lr", "train_batch_loss"]
    pd.testing.assert_frame_equal(first.history_[columns], second.history_[columns])
    pd.testing.assert_frame_equal(first.predict(prices), second.predict(prices))


def test_evaluate_scores_model_and_baselines_on_same_points(fitted, prices):
    evaluation = fitted.evaluate(prices)
    metrics = evaluation.at_step("1")
    assert evaluation.metrics.index.names == ["split", "model", "step"]
    for split in ("val", "test"):
        assert list(metrics.loc[split].index) == ["lstm", "naive", "drift", "moving_average",
                                                  "mean_return"]
        assert metrics.loc[(split, "naive"), "rel_mae"] == pytest.approx(1.0)
        assert metrics.loc[(split, "naive"), "lag_corr"] == pytest.approx(1.0)
        assert metrics.loc[(split, "mean_return"), "r2_oos_mean"] == pytest.approx(0.0)
    frame = evaluation.predictions
    assert list(frame.columns) == ["split", "actual", "lstm", "naive", "drift", "moving_average",
                                   "mean_return"]
    # naive on day d is the close of the previous trading day
    close = prices["close"]
    previous = close.shift(1).reindex(frame.index)
    np.testing.assert_allclose(frame["naive"], previous)
    np.testing.assert_allclose(frame["actual"], close.reindex(frame.index))
    test_rmse = np.sqrt(np.mean((frame.query("split == 'test'")["lstm"] - frame.query(
        "split == 'test'")["actual"]) ** 2))
    assert metrics.loc[("test", "lstm"), "rmse"] == pytest.approx(test_rmse)
    summary = evaluation.summary()
    assert "naive" in summary and "Lag check (LSTM)" in summary
    assert evaluation.selected() in ["lstm", "naive", "drift", "moving_average", "mean_return"]


def test_predict_matches_evaluate_and_returns_prices(fitted, prices):
    predicted = fitted.predict(prices)["prediction"]
    evaluated = fitted.evaluate(prices).predictions["lstm"]
    # float32 network: batched differently (all windows vs. one split), outputs may differ in
    # their last bits (BLAS summation order), so compare at float32 precision, not bit for bit
    np.testing.assert_allclose(predicted.reindex(evaluated.index), evaluated, rtol=1e-6)
    # a log-return model's price forecasts stay near the last price, not near zero
    ratio = predicted / prices["close"].shift(1).reindex(predicted.index)
    assert ratio.between(0.8, 1.25).all()


def test_forecast_first_step_starts_from_the_latest_actual_price(fitted, prices):
    future = fitted.forecast(prices, steps=3)
    assert len(future) == 3
    assert future.index[0] == sessions_after(prices.index[-1], 1)[0]  # next XNYS session
    assert (future["lower"] <= future["prediction"]).all()
    assert (future["prediction"] <= future["upper"]).all()
    # The forecast of day d+1 made from data up to day d must equal what predict() gives for
    # that day once it exists: append a row for d+1 and compare (catches off-by-one windows).
    extra = prices.iloc[[-1]].copy()
    extra.index = pd.DatetimeIndex([future.index[0]], name="date")
    extended = pd.concat([prices, extra])
    assert fitted.predict(extended)["prediction"].iloc[-1] == pytest.approx(
        future["prediction"].iloc[0], rel=1e-6  # one window against a batch: float32 precision
    )


def test_band_widens_with_the_step(fitted, prices):
    future = fitted.forecast(prices, steps=10)
    width = (future["upper"] - future["lower"]) / future["prediction"]
    assert width.is_monotonic_increasing


def test_walk_forward_adds_its_own_split(fitted, prices):
    before = {k: v.clone() for k, v in fitted.model_.state_dict().items()}
    metrics = fitted.evaluate(prices, walk_forward=40, walk_forward_epochs=1).at_step()
    assert ("test_walk_forward", "lstm") in metrics.index
    assert np.isfinite(metrics.loc[("test_walk_forward", "lstm"), "rmse"])
    after = fitted.model_.state_dict()
    assert all((before[k] == after[k]).all() for k in before)  # the fitted model is untouched


def test_multi_step_horizon_predicts_every_step(prices):
    config = ForecastConfig(horizon=3, target="return", **SMALL)
    forecaster = Forecaster(config).fit(prices, verbose=False)
    assert list(forecaster.predict(prices).columns) == [
        "prediction_1", "prediction_2", "prediction_3"]
    assert len(forecaster.forecast(prices, steps=7)) == 7
    evaluation = forecaster.evaluate(prices)
    rows = evaluation.metrics.reset_index().query("split == 'test' and model == 'lstm'")
    assert list(rows["step"]) == ["1", "2", "3", "mean"]
    assert evaluation.at_step().equals(evaluation.at_step("mean"))


def test_evaluate_uses_the_fitted_split_dates(fitted, prices):
    fitted_dates = fitted.manifest_["split_dates"]
    later = prices.iloc[100:]  # a shorter frame: fractions would move the test into training
    evaluation = fitted.evaluate(later)
    test_dates = evaluation.predictions.query("split == 'test'").index
    assert test_dates[0] == pd.Timestamp(fitted_dates["test"]["first"])
    np.testing.assert_allclose(
        evaluation.at_step().loc[("test", "lstm"), "rmse"],
        fitted.evaluate(prices).at_step().loc[("test", "lstm"), "rmse"], rtol=1e-6)


def test_evaluate_refuses_a_test_part_inside_the_fitted_data(fitted, prices):
    dates = fitted.manifest_["split_dates"]
    seen = f"\\({dates['train']['first']} to {dates['val']['last']}\\)"
    early = prices.loc[: dates["val"]["first"]]  # ends inside the validation period
    span = f"\\({early.index[0]:%Y-%m-%d} to {early.index[-1]:%Y-%m-%d}\\)"
    with pytest.raises(DataError, match=f"test part of these prices {span} overlaps the data the "
                                        f"model was fitted and selected on {seen}"):
        fitted.evaluate(early)
    with pytest.raises(DataError, match=f"overlaps the data .* {seen}"):
        check_unseen_test(dates["val"]["first"], dates["val"]["last"], dates)


def test_unfitted_use_and_bad_arguments_are_clear(fitted, prices):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Forecaster().predict(prices)
    with pytest.raises(LstmlabError, match="not fitted yet"):
        Forecaster().save("never-written.safetensors")
    with pytest.raises(ConfigError, match="steps must be a whole number >= 1, got 0"):
        fitted.forecast(prices, steps=0)
    with pytest.raises(ConfigError, match="must be a ForecastConfig"):
        Forecaster({"cell": "lstm"})


def test_cuda_request_without_gpu_is_a_config_error(prices):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the CUDA path is exercised instead")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        Forecaster(ForecastConfig(device="cuda", **SMALL)).fit(prices, verbose=False)


def test_the_library_prints_nothing_by_default(prices, capsys):
    forecaster = Forecaster(ForecastConfig(**{**SMALL, "max_epochs": 1})).fit(prices)
    forecaster.evaluate(prices)
    forecaster.forecast(prices, 2)
    assert capsys.readouterr() == ("", "")


def test_verbose_prints_one_line_per_epoch(prices, capsys):
    Forecaster(ForecastConfig(**{**SMALL, "max_epochs": 2})).fit(prices, verbose=True)
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("epoch")]
    assert len(lines) == 2 and "val" in lines[0] and "lr" in lines[0]


def test_save_and_load_round_trip_gives_the_same_forecasts(fitted, prices, tmp_path):
    path = fitted.save(tmp_path / "model.safetensors")
    loaded = Forecaster.load(path)
    assert loaded.config == fitted.config
    pd.testing.assert_frame_equal(loaded.predict(prices), fitted.predict(prices))
    pd.testing.assert_frame_equal(loaded.forecast(prices, 3), fitted.forecast(prices, 3))
    pd.testing.assert_frame_equal(loaded.history_, fitted.history_, check_dtype=False)
    assert loaded.manifest_ == fitted.manifest_


def test_saved_model_records_the_initialisation(prices, tmp_path):
    config = ForecastConfig(cell="gru", init="chrono", t_max=10, **{**SMALL, "max_epochs": 1})
    fitted = Forecaster(config).fit(prices, verbose=False)
    cell = fitted.model_.rnn.cells[0]
    assert (cell.init, cell.t_max) == ("chrono", 10)
    loaded = Forecaster.load(fitted.save(tmp_path / "chrono.safetensors"))
    assert (loaded.config.init, loaded.config.t_max) == ("chrono", 10)
    pd.testing.assert_frame_equal(loaded.predict(prices), fitted.predict(prices))


def test_load_refuses_a_model_whose_weights_do_not_fit_its_config(fitted, tmp_path):
    from lstmlab import persist
    from lstmlab.errors import ModelFileError

    path = fitted.save(tmp_path / "model.safetensors")
    state, meta = persist.load_model(path)
    meta["config"]["hidden_size"] = 16  # consistent checksum, inconsistent content
    persist.save_model(path, state, meta)
    with pytest.raises(ModelFileError, match="inconsistent"):
        Forecaster.load(path)


def test_threads_are_set_while_fitting_and_restored_after(prices):
    import torch

    seen = []
    before = torch.get_num_threads()
    config = ForecastConfig(**{**SMALL, "max_epochs": 1}, num_threads=1)
    Forecaster(config).fit(prices, verbose=False,
                           on_epoch=lambda record: seen.append(torch.get_num_threads()))
    assert seen == [1]
    assert torch.get_num_threads() == before
