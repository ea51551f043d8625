"""A model file is untrusted input: its settings cannot make lstmlab allocate before its
tensors are checked, and a valid checksum proves no more than that the file is whole."""

from __future__ import annotations

import pytest
import torch

from lstmlab import pipeline
from lstmlab.errors import ModelFileError
from lstmlab.forecaster import Forecaster
from lstmlab.persist import load_model, save_model

from .conftest import TINY_GRID


@pytest.fixture(scope="module")
def saved(prices_csv, tmp_path_factory):
    """A tiny fitted LSTM saved to a file."""
    from lstmlab.config import ForecastConfig

    settings = dict(spec.split("=") for spec in TINY_GRID)
    config = ForecastConfig(**{k: int(v) for k, v in settings.items()})
    path = tmp_path_factory.mktemp("model") / "lstm.safetensors"
    Forecaster(config).fit(prices_csv, verbose=False).save(path)
    return path


def _forged(saved, tmp_path, edit) -> str:
    """A copy of ``saved`` whose parts ``edit`` changed, re-saved with a valid checksum (as
    anyone can: the checksum detects corruption, not tampering)."""
    tensors, meta = load_model(saved)
    edit(tensors, meta)
    return str(save_model(tmp_path / "forged.safetensors", tensors, meta))


def test_claimed_sizes_are_checked_against_the_tensors_before_building(saved, tmp_path,
                                                                         monkeypatch):
    path = _forged(saved, tmp_path, lambda t, m: m["config"].update(hidden_size=2000))
    devices = []
    original = pipeline.build_model

    def spy(*args, **kwargs):
        devices.append(torch.empty(0).device.type)  # "meta" inside torch.device("meta")
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "build_model", spy)
    with pytest.raises(ModelFileError, match=r"tensor '.*' has shape \(.*\) but its settings "
                                             r"\(cell lstm, hidden_size 2000, num_layers 1\)"):
        Forecaster.load(path)
    assert devices == ["meta"]  # no network of 2,000 units was ever allocated


def test_sizes_beyond_the_limits_are_refused_first(saved, tmp_path):
    path = _forged(saved, tmp_path, lambda t, m: m["config"].update(hidden_size=8000))
    with pytest.raises(ModelFileError, match=r"hidden_size must be at most 4,096, got 8,000"):
        Forecaster.load(path)


def test_nan_weights_are_refused_on_load_not_blamed_on_the_data(saved, tmp_path):
    path = _forged(saved, tmp_path, lambda t, m: next(iter(t.values())).fill_(float("nan")))
    with pytest.raises(ModelFileError, match=r"its weights are not finite"):
        Forecaster.load(path)


def test_an_empty_band_is_refused(saved, tmp_path):
    path = _forged(saved, tmp_path, lambda t, m: m.update(band=[]))
    with pytest.raises(ModelFileError, match=r"its uncertainty band is not 1 finite"):
        Forecaster.load(path)


def test_a_zero_scale_is_refused(saved, tmp_path):
    def zero(tensors, meta):
        meta["spec"]["scaler_y"]["scale"] = [0.0]

    path = _forged(saved, tmp_path, zero)
    with pytest.raises(ModelFileError, match=r"every offset must be finite and every scale "
                                             r"finite and positive"):
        Forecaster.load(path)


def test_a_forged_file_with_a_valid_checksum_loads(saved, tmp_path):
    """What the checksum does not do: a consistent forged file is accepted (documented)."""
    path = _forged(saved, tmp_path, lambda t, m: next(iter(t.values())).mul_(2))
    assert Forecaster.load(path).config.hidden_size == 4
