"""Known tables (future-known columns such as an earnings flag) through the config, the
Forecaster, the saved model and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_price_csv
from typer.testing import CliRunner

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.cli import app
from lstmlab.errors import ConfigError, DataError

SMALL = dict(hidden_size=8, lookback=15, max_epochs=1, batch_size=64, horizon=2)


def _earnings_csv(path: Path, prices: pd.DataFrame, extra: int = 30) -> Path:
    """A scheduled earnings-date flag (1 every 63rd business day) running ``extra`` business
    days past the prices."""
    days = pd.bdate_range(prices.index[0], periods=len(prices) + extra)
    flags = (np.arange(len(days)) % 63 == 5).astype(int)
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "earnings": flags}).to_csv(path,
                                                                                index=False)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("known")
    prices_csv = synthetic_price_csv(folder / "SYN.csv", n=500, seed=5)
    return prices_csv, _earnings_csv(folder / "earnings.csv", load_prices(prices_csv))


@pytest.fixture(scope="module")
def fitted(files) -> Forecaster:
    prices_csv, earnings = files
    config = ForecastConfig(known={str(earnings): ["earnings"]}, **SMALL)
    return Forecaster(config).fit(load_prices(prices_csv))


def test_config_validates_and_round_trips_the_known_tables():
    config = ForecastConfig(known={"earnings.csv": "earnings"})
    assert config.known == (("earnings.csv", ("earnings",)),)
    assert config.to_dict()["known"] == {"earnings.csv": ["earnings"]}
    assert ForecastConfig.from_json(config.to_json()) == config
    with pytest.raises(ConfigError, match=r"known names a source twice"):
        ForecastConfig(known=[("e.csv", ["a"]), ("e.csv", ["b"])])
    with pytest.raises(ConfigError, match=r"known source 'e.csv' lists a column twice"):
        ForecastConfig(known={"e.csv": ["a", "a"]})
    with pytest.raises(ConfigError, match=r"known source '' .*non-empty name"):
        ForecastConfig(known={"": ["a"]})
    with pytest.raises(ConfigError, match=r"known source 'e.csv' .*non-empty column"):
        ForecastConfig(known={"e.csv": []})
    with pytest.raises(ConfigError, match=r"\['AAPL'\] named both"):
        ForecastConfig(known={"AAPL": ["a"]}, covariates={"AAPL": ["log_return"]})


def test_a_model_trained_with_a_known_column_forecasts_with_it(fitted, files):
    prices_csv, earnings = files
    prices = load_prices(prices_csv)
    assert fitted.spec_.inputs == ("log_return", f"step1:{earnings}:earnings",
                                   f"step2:{earnings}:earnings")
    assert fitted.model_.rnn.input_size == 3
    table = fitted.forecast(prices, steps=4)  # past the horizon: recursive, the flags known
    assert len(table) == 4 and np.isfinite(table.to_numpy()).all()
    assert ("test", "lstm") in fitted.evaluate(prices).metrics.index
    # the same table passed as a frame, by its source name, gives the same forecasts
    frame = pd.read_csv(earnings).set_index("Date")
    pd.testing.assert_frame_equal(fitted.predict(prices),
                                  fitted.predict(prices, covariates={str(earnings): frame}))


def test_a_saved_model_keeps_its_known_tables(fitted, files, tmp_path):
    prices = load_prices(files[0])
    again = Forecaster.load(fitted.save(tmp_path / "m.safetensors"))
    assert again.config.known == fitted.config.known
    assert again.spec_.inputs == fitted.spec_.inputs
    pd.testing.assert_frame_equal(again.forecast(prices, 2), fitted.forecast(prices, 2))


def test_forecasting_beyond_the_table_names_the_missing_days(fitted, files, tmp_path):
    prices_csv, earnings = files
    prices = load_prices(prices_csv)
    short = pd.read_csv(earnings).iloc[: len(prices) + 1]  # one day past the prices, of two
    with pytest.raises(DataError, match=r"lacks 1 trading day\(s\).*first \d{4}-\d\d-\d\d"):
        fitted.forecast(prices, 2, covariates={str(earnings): short})


def test_cli_train_and_forecast_with_an_earnings_flag(files, tmp_path):
    prices_csv, earnings = files
    runner = CliRunner()
    trained = runner.invoke(app, [
        "train", str(prices_csv), "--epochs", "1", "--lookback", "10", "--horizon", "2",
        "--hidden-size", "4", "--known", f"{earnings}:earnings", "--out", str(tmp_path),
        "--name", "earn", "--quiet"])
    assert trained.exit_code == 0, trained.output
    config = (tmp_path / "earn" / "config.json").read_text()
    assert f'"{earnings}"' in config
    made = runner.invoke(app, ["forecast", str(tmp_path / "earn"), "--steps", "2", "--quiet"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "earn" / "forecast-lstm.csv").is_file()
    refused = runner.invoke(app, ["train", str(prices_csv), "--known", str(earnings)])
    assert refused.exit_code != 0 and "names no source or no column" in refused.output


def test_sampled_paths_past_the_horizon_read_the_known_table(files):
    prices_csv, earnings = files
    prices = load_prices(prices_csv)
    config = ForecastConfig(known={str(earnings): ["earnings"]}, loss="gaussian", **SMALL)
    model = Forecaster(config).fit(prices)
    table = model.forecast(prices, steps=5, paths=50)
    assert len(table) == 5 and np.isfinite(table.to_numpy()).all()
    assert (table["lower"] <= table["upper"]).all()


def test_configs_without_known_tables_keep_their_dict_and_stored_keys():
    assert "known" not in ForecastConfig().to_dict()
    assert ForecastConfig.from_dict(ForecastConfig().to_dict()) == ForecastConfig()


def test_export_and_attribution_know_the_known_columns(fitted, files):
    from types import SimpleNamespace

    from lstmlab.data import latest_window
    from lstmlab.data.known import load_known
    from lstmlab.explain.make import attribution_by_input
    from lstmlab.export import onnx_inputs

    prices, earnings = load_prices(files[0]), str(files[1])
    spec, tables = fitted.spec_, load_known([str(files[1])])
    raw = onnx_inputs(prices, spec, tables).window[-1]  # (L, F) the window ending on the last row
    np.testing.assert_allclose(spec.scaler_x.transform(raw),
                               latest_window(prices, spec, tables)[0].numpy(),
                               rtol=1e-5, atol=1e-5)
    walk = SimpleNamespace(attribution=SimpleNamespace(values=np.ones((spec.lookback, 3))))
    assert attribution_by_input(walk, spec) == {  # type: ignore[arg-type]
        "log_return": spec.lookback, earnings: 2.0 * spec.lookback}


def test_a_global_model_refuses_known_tables_for_now():
    from lstmlab.panel import GlobalForecaster

    with pytest.raises(ConfigError, match=r"global model does not read known tables"):
        GlobalForecaster(ForecastConfig(known={"earn.csv": ["earnings"]}))
