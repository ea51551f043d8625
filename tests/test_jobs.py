"""The jobs behind the commands: the windows a run is written from are passed explicitly."""

from __future__ import annotations

import dataclasses

from lstmlab import ForecastConfig, Forecaster, jobs, load_prices
from lstmlab.runs import new_run, read_run

TINY = ForecastConfig(hidden_size=4, lookback=10, max_epochs=1, batch_size=64)


def test_a_run_is_written_from_a_loaded_forecaster_too(tsla_csv, tmp_path):
    prices = load_prices(tsla_csv).iloc[-300:]
    fitted = jobs.fit_models(prices, {"lstm": TINY})
    assert fitted[0].prepared.spec is fitted[0].forecaster.spec_  # one preparation, shared
    path = fitted[0].forecaster.save(tmp_path / "lstm.safetensors")
    loaded = Forecaster.load(path)
    assert not hasattr(loaded, "prepared_")  # what `jobs` used to read: now it is passed
    again = [dataclasses.replace(fitted[0], forecaster=loaded)]
    asked = {"command": "train", "name": "loaded", "source": str(tsla_csv)}
    with new_run(tmp_path / "loaded") as folder:
        manifest = jobs.write_run(folder, prices, again, asked, charts=False)
    run = read_run(tmp_path / "loaded")
    assert manifest["split"]["test"]["windows"] == len(fitted[0].prepared.test)
    assert run.manifest["best_model"] == "lstm"
