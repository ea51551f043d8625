"""The saved-model format: round trip, and a clear refusal of every damaged or foreign file."""

from __future__ import annotations

import json
import pickle
import struct

import pytest
import torch
from safetensors.torch import save_file

from lstmlab import __version__
from lstmlab.errors import ConfigError, ModelFileError
from lstmlab.persist import FORMAT_VERSION, load_model, save_model

META = {
    "config": {"cell": "lstm", "hidden_size": 4, "lookback": 5},
    "spec": {"features": ["log_return"],
             "scaler_x": {"kind": "standard", "mean": [0.1], "std": [1.5]}},
    "manifest": {"seed": 0, "split_dates": {"train": ["2013-01-02", "2020-12-31"]}},
}


def _state() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {
        "layer.weight_ih": torch.randn(16, 1, generator=gen),
        "layer.bias": torch.randn(16, generator=gen, dtype=torch.float64),
        "steps": torch.tensor(7, dtype=torch.int64),
        "mask": torch.tensor([True, False]),
    }


@pytest.fixture
def model_file(tmp_path):
    return save_model(tmp_path / "m.safetensors", _state(), META)


def test_round_trip_keeps_tensors_and_meta(model_file):
    tensors, meta = load_model(model_file)
    for name, expected in _state().items():
        assert tensors[name].dtype == expected.dtype
        assert torch.equal(tensors[name], expected)
    assert {k: meta[k] for k in META} == META
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["lstmlab_version"] == __version__


def test_save_accepts_shared_non_contiguous_and_grad_tensors(tmp_path):
    weight = torch.randn(3, 4, requires_grad=True)
    state = {"a": weight, "tied": weight, "t": weight.detach().t()}
    tensors, _ = load_model(save_model(tmp_path / "m.safetensors", state, META))
    assert torch.equal(tensors["tied"], weight.detach())
    assert torch.equal(tensors["t"], weight.detach().t())


def test_save_requires_the_meta_parts(tmp_path):
    with pytest.raises(ConfigError, match=r"lacks required keys \['manifest'\]"):
        save_model(tmp_path / "m.safetensors", _state(), {k: v for k, v in META.items()
                                                          if k != "manifest"})
    assert not (tmp_path / "m.safetensors").exists()


def test_failed_save_keeps_the_previous_model(model_file):
    before = model_file.read_bytes()
    with pytest.raises(TypeError):
        save_model(model_file, _state(), {**META, "config": {"bad": object()}})
    assert model_file.read_bytes() == before
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ModelFileError, match=r"nope\.safetensors does not exist"):
        load_model(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="is a directory"):
        load_model(tmp_path)


class _Payload:
    """Unpickling this creates the marker file: proof that code from the file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "PWNED"
    disguised = tmp_path / "model.safetensors"
    disguised.write_bytes(pickle.dumps({"weights": _Payload(marker)}, protocol=4))
    with pytest.raises(ModelFileError, match=r"not a safetensors file \(it looks like a Python "
                                             r"pickle\); lstmlab never unpickles"):
        load_model(disguised)
    assert not marker.exists()
    # the payload is live: unpickling it would have created the marker
    pickle.loads(disguised.read_bytes())
    assert marker.exists()


def test_torch_checkpoint_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    torch.save(_state(), path)
    with pytest.raises(ModelFileError, match="looks like a zip archive"):
        load_model(path)


def test_empty_file(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"not a safetensors file \(it is empty or too short"):
        load_model(path)


def test_damaged_header(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(struct.pack("<Q", 6) + b"{nope}")
    with pytest.raises(ModelFileError, match="damaged safetensors header"):
        load_model(path)


def test_truncated_file(model_file):
    data = model_file.read_bytes()
    model_file.write_bytes(data[:-10])
    with pytest.raises(ModelFileError, match=r"is truncated: its tensors need \d+ bytes but only"):
        load_model(model_file)


def test_flipped_weight_byte_fails_checksum(model_file):
    data = bytearray(model_file.read_bytes())
    data[-20] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="fails its checksum"):
        load_model(model_file)


def _rewrite_metadata(path, change) -> None:
    """Re-save the same tensors with edited metadata, keeping the stored checksum."""
    length = struct.unpack("<Q", path.read_bytes()[:8])[0]
    metadata = json.loads(path.read_bytes()[8:8 + length])["__metadata__"]
    tensors, _ = load_model(path)
    change(metadata)
    save_file(tensors, str(path), metadata=metadata)


def test_tampered_config_fails_checksum(model_file):
    def edit(metadata):
        metadata["lstmlab.config"] = json.dumps({**META["config"], "hidden_size": 5})

    _rewrite_metadata(model_file, edit)
    with pytest.raises(ModelFileError, match="fails its checksum"):
        load_model(model_file)


def test_unsupported_format_version(model_file):
    _rewrite_metadata(model_file, lambda m: m.update({"lstmlab.format_version": "99"}))
    with pytest.raises(ModelFileError, match=r"uses model format version 99 .*reads version 1"):
        load_model(model_file)


def test_plain_safetensors_file_is_not_an_lstmlab_model(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(_state(), str(path))
    with pytest.raises(ModelFileError, match=r"not an lstmlab model \(missing lstmlab\.config"):
        load_model(path)


def test_invalid_json_part(model_file):
    _rewrite_metadata(model_file, lambda m: m.update({"lstmlab.spec": "[oops"}))
    with pytest.raises(ModelFileError, match=r"'lstmlab\.spec' is not valid JSON"):
        load_model(model_file)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_tensors_are_stored_from_cpu_copies(tmp_path):
    state = {name: t.to("cuda") for name, t in _state().items()}
    tensors, _ = load_model(save_model(tmp_path / "m.safetensors", state, META))
    assert all(t.device.type == "cpu" for t in tensors.values())
    assert torch.equal(tensors["layer.weight_ih"], _state()["layer.weight_ih"])


def test_public_names_are_exported_lazily():
    import lstmlab
    from lstmlab import persist, report, runs

    assert lstmlab.save_model is persist.save_model and lstmlab.load_model is persist.load_model
    assert lstmlab.read_run is runs.read_run and lstmlab.build_report is report.build_report


def test_a_global_file_with_inconsistent_parts_is_refused(tmp_path):
    """A global model file is checked like a forecaster's: its series, specs and shapes."""
    import pandas as pd

    from lstmlab.config import ForecastConfig
    from lstmlab.data import load_prices
    from lstmlab.panel import GlobalForecaster
    from lstmlab.persist import load_global

    dates = pd.bdate_range("2020-01-01", periods=200)
    walk = {name: load_prices(pd.DataFrame(
        {"close": 10 + torch.arange(200, dtype=torch.float64).numpy() * step}, index=dates))
        for name, step in (("A", 0.01), ("B", 0.02))}
    config = ForecastConfig(hidden_size=4, lookback=5, max_epochs=1)
    path = GlobalForecaster(config).fit(walk).save(tmp_path / "global.safetensors")
    state, meta = load_model(path)
    assert load_global(path).specs.keys() == {"A", "B"}
    for change, message in ((dict(series=["A", "A"]), "not two or more distinct series"),
                            (dict(series=["A"], specs=meta["specs"][:1]), "not two or more"),
                            (dict(series_id=True), "tensor 'rnn.cells.0.weight_ih' has shape")):
        bad = save_model(tmp_path / "bad.safetensors", state, {**meta, **change})
        with pytest.raises(ModelFileError, match=message):
            load_global(bad)
