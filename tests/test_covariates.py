"""Past covariates and calendar facts through the Forecaster, the saved model and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.cli import app
from lstmlab.cli_shell import parse_covariates
from lstmlab.errors import ConfigError

SMALL = dict(hidden_size=8, lookback=15, max_epochs=1, batch_size=64, horizon=2)


@pytest.fixture(scope="module")
def frames(price_dir) -> dict[str, pd.DataFrame]:
    return {t: load_prices(price_dir / f"{t}.csv").iloc[-700:] for t in ("TSLA", "AAPL", "MSFT")}


@pytest.fixture(scope="module")
def fitted(frames) -> Forecaster:
    config = ForecastConfig(covariates={"AAPL": ["log_return"], "AAPL+MSFT": ["log_return"]},
                            calendar_features=True, **SMALL)
    return Forecaster(config).fit(frames["TSLA"], covariates=_covariates(frames))


def _covariates(frames) -> dict[str, pd.DataFrame]:
    from lstmlab.data.covariates import market_proxy

    return {"AAPL": frames["AAPL"], "AAPL+MSFT": market_proxy(
        {"AAPL": frames["AAPL"], "MSFT": frames["MSFT"]})}


def test_the_model_reads_every_input_column(fitted):
    assert fitted.spec_.inputs[:3] == ("log_return", "AAPL:log_return", "AAPL+MSFT:log_return")
    assert len(fitted.spec_.inputs) == 3 + 4 * 2  # 4 calendar facts per forecast step
    assert fitted.model_.rnn.input_size == len(fitted.spec_.inputs)


def test_predict_evaluate_and_forecast_use_the_covariates(fitted, frames):
    covariates = _covariates(frames)
    evaluation = fitted.evaluate(frames["TSLA"], covariates=covariates)
    assert ("test", "lstm") in evaluation.metrics.index
    predicted = fitted.predict(frames["TSLA"], covariates=covariates)
    assert np.isfinite(predicted.to_numpy()).all()
    table = fitted.forecast(frames["TSLA"], steps=2, covariates=covariates)
    assert len(table) == 2 and table.index[0] > frames["TSLA"].index[-1]
    with pytest.raises(ConfigError, match=r"forecasts at most its horizon \(2 step"):
        fitted.forecast(frames["TSLA"], steps=3, covariates=covariates)


def test_a_saved_model_keeps_its_inputs(fitted, frames, tmp_path):
    again = Forecaster.load(fitted.save(tmp_path / "m.safetensors"))
    assert again.spec_.inputs == fitted.spec_.inputs
    covariates = _covariates(frames)
    pd.testing.assert_frame_equal(again.predict(frames["TSLA"], covariates=covariates),
                                  fitted.predict(frames["TSLA"], covariates=covariates))


def test_config_round_trip_keeps_the_covariates_as_a_mapping():
    config = ForecastConfig(covariates={"SPY": "log_return"})
    assert config.to_dict()["covariates"] == {"SPY": ["log_return"]}
    assert ForecastConfig.from_json(config.to_json()) == config


def test_cli_covariate_syntax():
    assert parse_covariates(["AAPL", "m.csv:log_return,volume_z", "A+B"]) == {
        "AAPL": ("log_return",), "m.csv": ("log_return", "volume_z"), "A+B": ("log_return",)}
    with pytest.raises(typer.BadParameter, match="names no source"):
        parse_covariates([":log_return"])


def test_cli_compare_with_a_market_proxy(price_dir, tmp_path):
    result = CliRunner().invoke(app, [
        "compare", str(price_dir / "TSLA.csv"), "--cells", "lstm", "--epochs", "1",
        "--lookback", "10", "--data-dir", str(price_dir), "--covariate", "AAPL+MSFT",
        "--calendar-features", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    run = next(tmp_path.iterdir())
    config = (run / "config.json").read_text()
    assert '"AAPL+MSFT"' in config and '"calendar_features": true' in config
