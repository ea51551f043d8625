"""The jobs behind the commands: the windows a run is written from are passed explicitly, and
the cells of a compare trained at once give the same models."""

from __future__ import annotations

import dataclasses

import numpy as np
from conftest import synthetic_price_csv

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


def test_cells_trained_in_parallel_match_one_after_another(tmp_path):
    prices = load_prices(synthetic_price_csv(tmp_path / "P.csv", n=300, seed=4))
    configs = {cell: ForecastConfig(cell=cell, hidden_size=4, lookback=10, max_epochs=2)
               for cell in ("rnn", "lstm")}
    events = []
    parallel = jobs.fit_models(prices, configs, lambda cell, r: events.append(cell), jobs=2)
    sequential = jobs.fit_models(prices, configs, jobs=1)
    assert [f.cell for f in parallel] == ["rnn", "lstm"]
    assert sorted(events) == ["lstm", "lstm", "rnn", "rnn"]  # every epoch of both, relayed
    for a, b in zip(parallel, sequential, strict=True):
        np.testing.assert_allclose(a.evaluation.predictions[a.cell],
                                   b.evaluation.predictions[b.cell], rtol=1e-6)
        assert a.forecaster.history_["epoch"].tolist() == [1, 2]


def test_charts_drawn_in_worker_processes_are_the_same_files(tmp_path):
    prices = load_prices(synthetic_price_csv(tmp_path / "P.csv", n=300, seed=5))
    configs = {cell: ForecastConfig(cell=cell, hidden_size=4, lookback=10, max_epochs=1)
               for cell in ("rnn", "lstm")}
    fitted = jobs.fit_models(prices, configs)
    asked = {"command": "compare", "name": "x", "source": "P.csv"}
    charts = {}
    for workers in (1, 2):
        with new_run(tmp_path / f"jobs{workers}") as folder:
            jobs.write_run(folder, prices, fitted, asked, jobs=workers)
        drawn = tmp_path / f"jobs{workers}" / "charts"
        charts[workers] = sorted(p.name for p in drawn.iterdir())
    assert charts[2] == charts[1]
    assert {"prices.png", "predictions.png", "loss-lstm.png", "fan-lstm.png"} <= set(charts[2])
    svg = {w: (tmp_path / f"jobs{w}" / "charts" / "loss.svg").read_bytes() for w in (1, 2)}
    assert svg[2] == svg[1]  # same figure, same bytes (fixed ids, no timestamp), wherever drawn
