"""ONNX export: the exported graph, run in onnxruntime, reproduces lstmlab's predictions."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from conftest import synthetic_price_csv
from fake_run import invoke

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.export import onnx_inputs

ort = pytest.importorskip("onnxruntime")  # the lstmlab[onnx] extra; CI installs it

TOLERANCE = 1e-5  # relative, on prices: float32 kernels of two libraries, same arithmetic


def _fit(prices, **settings) -> Forecaster:
    config = ForecastConfig(hidden_size=8, max_epochs=2, batch_size=256, seed=3, **settings)
    return Forecaster(config).fit(prices, verbose=False)


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _test_window_predictions(forecaster, prices, session):
    """(onnx, lstmlab) price forecasts on the test windows of the forecaster's split."""
    test = forecaster.prepared_.test
    inputs = onnx_inputs(prices, forecaster.spec_)
    rows = np.searchsorted(inputs.origin, test.origin)
    assert np.array_equal(inputs.origin[rows], test.origin)
    feeds = {"window": inputs.window[rows], "last_price": inputs.last_price[rows]}
    (onnx_out,) = session.run(None, feeds)
    ours = forecaster.predict(prices).loc[test.dates].to_numpy()
    return onnx_out, ours


@pytest.fixture(scope="module")
def prices(tsla_csv):
    return load_prices(tsla_csv)


@pytest.fixture(scope="module")
def lstm(prices, tmp_path_factory):
    forecaster = _fit(prices)
    path = forecaster.to_onnx(tmp_path_factory.mktemp("onnx") / "lstm.onnx")
    return forecaster, path


def test_lstm_graph_matches_predictions_on_the_test_windows(lstm, prices):
    forecaster, path = lstm
    onnx_out, ours = _test_window_predictions(forecaster, prices, _session(path))
    assert onnx_out.dtype == np.float64 and onnx_out.shape == ours.shape == (
        len(forecaster.prepared_.test), 1)
    np.testing.assert_allclose(onnx_out, ours, rtol=TOLERANCE, atol=0)


def test_the_last_window_gives_the_first_forecast_step(lstm, prices):
    forecaster, path = lstm
    inputs = onnx_inputs(prices, forecaster.spec_)
    (onnx_out,) = _session(path).run(None, {k: v[-1:] for k, v in inputs.feeds().items()})
    first = forecaster.forecast(prices, steps=1)["prediction"].iloc[0]
    np.testing.assert_allclose(onnx_out[0, 0], first, rtol=TOLERANCE)


def test_metadata_names_the_inputs_settings_and_versions(lstm):
    forecaster, path = lstm
    session = _session(path)
    assert [i.name for i in session.get_inputs()] == ["window", "last_price"]
    assert session.get_inputs()[0].shape[1:] == [forecaster.config.lookback, 1]
    assert [o.name for o in session.get_outputs()] == ["prediction"]
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["lstmlab.inputs"]) == ["log_return"]
    assert json.loads(meta["lstmlab.spec"]) == forecaster.spec_.to_dict()
    assert json.loads(meta["lstmlab.config"])["cell"] == "lstm"
    assert json.loads(meta["lstmlab.lstmlab_version"]) == __import__("lstmlab").__version__


def test_unfitted_forecaster_refuses_to_export(tmp_path):
    with pytest.raises(LstmlabError, match="not fitted yet"):
        Forecaster().to_onnx(tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_missing_extra_says_what_to_install(lstm, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'lstmlab\[onnx\]'"):
        lstm[0].to_onnx(tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """``lstmlab train`` of a GRU on a short synthetic series, other settings than the LSTM's
    above (a price target, two features, two steps ahead): (run dir, csv)."""
    folder = tmp_path_factory.mktemp("export-run")
    csv = synthetic_price_csv(folder / "prices.csv", n=300)
    result = invoke("train", csv, "--cell", "gru", "--target", "price", "--features",
                    "log_return,volume_z", "--horizon", "2", "--epochs", "1", "--hidden-size",
                    "4", "--lookback", "10", "--out", folder, "--name", "run", "--quiet")
    assert result.exit_code == 0, result.stderr
    return folder / "run", csv


def test_cli_export_writes_the_runs_model_as_onnx(small_run):
    run_dir, csv = small_run
    result = invoke("export", run_dir, "--format", "onnx", "--quiet")
    assert result.exit_code == 0, result.stderr
    path = run_dir / "models" / "gru.onnx"
    assert result.stdout.strip() == str(path)
    forecaster = Forecaster.load(run_dir / "models" / "gru.safetensors")
    inputs = onnx_inputs(csv, forecaster.spec_)
    (onnx_out,) = _session(path).run(None, inputs.feeds())
    ours = forecaster.predict(csv)
    assert onnx_out.shape == (len(ours) + 2, 2)  # the last two windows lack known targets
    np.testing.assert_allclose(onnx_out[:-2], ours.to_numpy(), rtol=TOLERANCE, atol=0)


def test_cli_export_refuses_an_unknown_format_and_a_missing_cell(small_run, tmp_path):
    run_dir, _ = small_run
    result = invoke("export", run_dir, "--format", "tflite", "--output", tmp_path / "m")
    assert result.exit_code == 1
    assert "unknown export format 'tflite'; choose one of ['onnx']" in result.stderr
    result = invoke("export", run_dir, "--cell", "lstm", "--output", tmp_path / "m.onnx")
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert list(tmp_path.iterdir()) == []


def test_a_distribution_head_is_refused_with_a_clear_error(lstm, tmp_path):
    from lstmlab.export import export_onnx
    from lstmlab.model import SequenceRegressor

    forecaster, _ = lstm
    model = SequenceRegressor("lstm", len(forecaster.spec_.features), 4, loss="gaussian")
    with pytest.raises(ConfigError, match="ONNX export covers point models"):
        export_onnx(model, forecaster.spec_, tmp_path / "model.onnx")
