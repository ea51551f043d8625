"""A global model over several series: pooled training, per-series scoring, cold start."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstmlab import ForecastConfig, load_prices
from lstmlab.errors import ConfigError, NotFittedError
from lstmlab.panel import GlobalForecaster, WithSeriesId

SMALL = ForecastConfig(hidden_size=8, lookback=10, max_epochs=2, batch_size=128)


@pytest.fixture(scope="module")
def series(price_dir) -> dict[str, pd.DataFrame]:
    return {t: load_prices(price_dir / f"{t}.csv").iloc[-600:] for t in ("TSLA", "AAPL", "MSFT")}


@pytest.fixture(scope="module")
def fitted(series) -> GlobalForecaster:
    return GlobalForecaster(SMALL, series_id=True).fit({t: series[t] for t in ("TSLA", "AAPL")})


def test_one_model_is_scored_on_each_series_and_on_a_new_one(fitted, series):
    evaluation = fitted.evaluate(series)
    assert list(evaluation.pooled.index) == ["TSLA", "AAPL", "MSFT"]  # MSFT: a cold start
    assert np.isfinite(evaluation.pooled["ratio_to_naive"]).all()
    assert ("MSFT", "test", "naive") in evaluation.metrics.index
    # each series is scored against its own naive forecast, in its own prices
    naive = evaluation.per_series["AAPL"].at_step().loc[("test", "naive"), "rmse"]
    assert evaluation.pooled.loc["AAPL", "naive_rmse"] == naive


def test_the_series_id_is_a_one_hot_static_input(fitted):
    assert fitted.model_.rnn.input_size == 1 + 2  # log_return + one column per series
    x = torch.randn(4, 10, 1)
    for name, hot in (("AAPL", [0.0, 1.0]), ("MSFT", [0.0, 0.0])):
        wrapped = fitted.model_for(name)
        assert isinstance(wrapped, WithSeriesId)
        ids = torch.tensor(hot).expand(4, 10, 2)
        torch.testing.assert_close(wrapped(x), fitted.model_(torch.cat([x, ids], dim=2)))


def test_pooled_training_sees_every_series_windows(series):
    model = GlobalForecaster(SMALL.replace(max_epochs=1))
    sizes = {}
    original = model._pooled

    def spy(parts, device):
        pooled = original(parts, device)
        sizes[len(sizes)] = (len(pooled.x), sum(len(windows) for windows in parts))
        return pooled

    model._pooled = spy
    model.fit({t: series[t] for t in ("TSLA", "AAPL")})
    assert [pooled == given for pooled, given in sizes.values()] == [True, True]  # train, stop
    val = sum(len(p.val) for p in model.prepared_.values())
    assert 0 < sizes[1][0] < val  # early stopping reads a part of validation; calibration the rest
    assert set(model.calibrations_) == set(model.bands_) == {"TSLA", "AAPL"}


def test_bad_uses_are_refused(series):
    with pytest.raises(ConfigError, match="at least two series, got 1"):
        GlobalForecaster(SMALL).fit({"TSLA": series["TSLA"]})
    itself = SMALL.replace(covariates={"AAPL": ["log_return"]})
    with pytest.raises(ConfigError, match="covariate AAPL is the series AAPL itself"):
        GlobalForecaster(itself).fit(series, covariates={"AAPL": series["AAPL"]})
    with pytest.raises(NotFittedError, match="call fit"):
        GlobalForecaster(SMALL).evaluate(series)


def test_every_series_reads_the_same_covariates_aligned_on_its_own_days(series):
    from lstmlab.data.covariates import market_proxy

    proxy = market_proxy(series)
    config = SMALL.replace(max_epochs=1, covariates={"M": ["log_return", "range"]})
    pair = {"TSLA": series["TSLA"], "AAPL": series["AAPL"].drop(series["AAPL"].index[-30])}
    model = GlobalForecaster(config).fit(pair, covariates={"M": proxy})
    assert model.model_.rnn.input_size == 3  # log_return, M:log_return, M:range
    assert all(spec.inputs == ("log_return", "M:log_return", "M:range")
               for spec in model.specs_.values())
    assert len(model.prepared_["AAPL"].test) < len(model.prepared_["TSLA"].test)  # own days
    assert np.isfinite(model.evaluate(pair, covariates={"M": proxy}).pooled["rmse"]).all()


def test_a_saved_global_model_loads_back_whole(fitted, series, tmp_path):
    from lstmlab import Forecaster
    from lstmlab.errors import ModelFileError

    path = fitted.save(tmp_path / "global.safetensors")
    back = GlobalForecaster.load(path)
    assert back.series_ == ["TSLA", "AAPL"] and back.series_id
    assert back.config == fitted.config
    assert back.specs_["AAPL"].to_dict() == fitted.specs_["AAPL"].to_dict()
    pd.testing.assert_frame_equal(back.history_, fitted.history_)
    pd.testing.assert_frame_equal(back.evaluate(series).pooled, fitted.evaluate(series).pooled)
    with pytest.raises(ModelFileError, match=r"holds a global model.*GlobalForecaster\.load"):
        Forecaster.load(path)
    single = Forecaster(SMALL.replace(max_epochs=1)).fit(series["TSLA"]).save(tmp_path / "one")
    with pytest.raises(ModelFileError, match=r"holds a forecaster model.*Forecaster\.load"):
        GlobalForecaster.load(single)


def test_cli_train_global_writes_per_series_scores(price_dir, tmp_path):
    from typer.testing import CliRunner

    from lstmlab.cli import app

    args = ["train", str(price_dir / "TSLA.csv"), str(price_dir / "AAPL.csv"), "--epochs", "1",
            "--lookback", "10", "--hidden-size", "8", "--out", str(tmp_path)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "give one source, or --global" in refused.output
    result = CliRunner().invoke(app, [*args, "--global", "--quiet"])
    assert result.exit_code == 0, result.output
    run = next(tmp_path.iterdir())
    pooled = pd.read_csv(run / "pooled.csv", index_col="series")
    assert list(pooled.index) == ["TSLA", "AAPL"]
    assert set(pd.read_csv(run / "metrics.csv")["series"]) == {"TSLA", "AAPL"}
    assert GlobalForecaster.load(run / "model.safetensors").series_ == ["TSLA", "AAPL"]
    msft = str(price_dir / "MSFT.csv")
    with_covariate = CliRunner().invoke(app, [*args, "--global", "--quiet", "--covariate",
                                              f"{msft}:log_return", "--name", "cov"])
    assert with_covariate.exit_code == 0, with_covariate.output
    model = GlobalForecaster.load(tmp_path / "cov" / "model.safetensors")
    assert model.specs_["TSLA"].inputs == ("log_return", f"{msft}:log_return")
    itself = CliRunner().invoke(app, [*args, "--global", "--covariate", args[1]])
    assert itself.exit_code == 1 and "is the series TSLA itself" in itself.output


def test_a_distribution_head_is_trained_on_its_loss_and_read_through_the_series_id(series):
    from lstmlab.heads import DistributionHead
    from lstmlab.intervals import head_of

    model = GlobalForecaster(SMALL.replace(max_epochs=1, loss="gaussian"), series_id=True)
    model.fit({t: series[t] for t in ("TSLA", "AAPL")})
    assert isinstance(head_of(model.model_for("AAPL")), DistributionHead)
    assert model.calibrations_["AAPL"].levels  # calibrated on the head's own band
    assert np.isfinite(model.history_["train_loss"]).all()
