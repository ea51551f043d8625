"""Where the config meets the data, the model and the training loop."""

from __future__ import annotations

import subprocess
import sys

from lstmlab import jobs
from lstmlab.config import ForecastConfig
from lstmlab.data import load_prices
from lstmlab.pipeline import build_model, prepare_for, train_settings


def test_prepare_for_uses_the_config_data_settings(tsla_csv):
    prices = load_prices(tsla_csv).iloc[-400:]
    config = ForecastConfig(lookback=12, horizon=2, target="return", scaler="none")
    prepared = prepare_for(config, prices)
    assert prepared.train.x.shape[1:] == (12, 1) and prepared.train.y.shape[1] == 2
    assert prepared.spec.target == "return" and prepared.spec.scaler_y.kind == "none"
    model = build_model(config, len(prepared.features))
    assert model(prepared.val.x[:3]).shape == (3, 2)
    assert train_settings(config, max_epochs=1).max_epochs == 1


def test_describe_data_lists_each_note_once(tsla_csv):
    prices = load_prices(tsla_csv).iloc[::-1].iloc[-400:]  # newest first: a loading note
    prices = load_prices(prices)
    summary = jobs.describe_data(prices, ForecastConfig(horizon=2))
    assert len(summary["notes"]) == len(set(summary["notes"])) >= 2


def test_jobs_does_not_import_the_forecaster_to_describe_data(tsla_csv):
    code = ("import sys; from lstmlab import jobs, load_prices, ForecastConfig; "
            f"jobs.describe_data(load_prices({str(tsla_csv)!r}), ForecastConfig()); "
            "print('lstmlab.forecaster' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
