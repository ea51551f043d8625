"""The saved-model format: one safetensors file, weights plus JSON parts, validated on load.

A model file is a plain `safetensors <https://github.com/huggingface/safetensors>`_ file:

- the tensors are the model's ``state_dict``, always stored from CPU copies, so a model trained
  on a GPU loads on a CPU-only machine;
- the header's string metadata holds, each as a JSON string under ``lstmlab.<key>``, the caller's
  parts plus ``format_version`` and ``lstmlab_version``, which this module adds. ``config`` and
  ``manifest`` are required; a forecaster (:func:`save_forecaster`) adds ``spec`` (features,
  fitted scalers, window settings), its uncertainty band, its history and how training ended;
  a global model (:func:`save_global`) has ``kind`` ``"global"``, one spec per series it was
  trained on (in training order: the order of its one-hot series columns), ``series_id``, its
  history and how training ended. A file without ``kind`` is a forecaster (every file written
  before global models existed), so adding the kind changed no existing file and
  :data:`FORMAT_VERSION` stays;
- ``lstmlab.sha256`` is a SHA-256 over every tensor (name, dtype, shape, bytes, in name order)
  and every metadata part, so a corrupted file (a bad disk, a cut-short copy, a stray edit) is
  refused. It detects corruption, not tampering: anyone can write a file with a valid checksum,
  so every part is also checked for what lstmlab itself would write (tensor names and shapes
  against the settings, finite weights, bounded sizes, a well-formed band and scalers) before
  anything is built from it.

Loading reads the header by hand first (so that any non-safetensors file, a pickle included,
gets a clear :class:`~lstmlab.errors.ModelFileError`) and never unpickles anything.

:data:`FORMAT_VERSION` is lstmlab's one format version: model files and run directories
(:mod:`lstmlab.runs`) carry it, and it is bumped when either changes incompatibly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from lstmlab._version import __version__
from lstmlab.errors import ConfigError, ModelFileError
from lstmlab.fileio import atomic_path

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from lstmlab.config import ForecastConfig
    from lstmlab.data import WindowSpec
    from lstmlab.model import SequenceRegressor

__all__ = ["FORMAT_VERSION", "REQUIRED_META", "SavedForecaster", "SavedGlobal", "load_forecaster",
           "load_global", "load_model", "save_forecaster", "save_global", "save_model"]

FORMAT_VERSION = 1
REQUIRED_META = ("config", "manifest")
_OWN_META = ("format_version", "lstmlab_version")
_PREFIX = "lstmlab."
_DIGEST_KEY = "lstmlab.sha256"
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header
_RETRAIN = "retrain it with `lstmlab train` or `lstmlab compare`"
FORECASTER, GLOBAL = "forecaster", "global"  # the kinds of model file
_LOADERS = {FORECASTER: "Forecaster.load", GLOBAL: "GlobalForecaster.load"}


def save_model(path: str | os.PathLike[str], state_dict: dict[str, torch.Tensor],
               meta: dict[str, Any]) -> Path:
    """Write ``state_dict`` and ``meta`` to one safetensors file at ``path``, atomically.

    ``meta`` must hold the keys in :data:`REQUIRED_META` and be JSON-serialisable; the format
    version and lstmlab version are added here. Returns the path written.
    """
    from safetensors.torch import save_file

    missing = [key for key in REQUIRED_META if key not in meta]
    if missing:
        raise ConfigError(f"save_model: meta lacks required keys {missing}; pass at least "
                          f"{list(REQUIRED_META)}")
    parts = {key: value for key, value in meta.items() if key not in _OWN_META}
    parts.update(format_version=FORMAT_VERSION, lstmlab_version=__version__)
    header = {_PREFIX + key: json.dumps(value, sort_keys=True) for key, value in parts.items()}
    # clone: CPU copies that share no storage (safetensors refuses shared tensors)
    tensors = {name: t.detach().to("cpu").contiguous().clone() for name, t in state_dict.items()}
    header[_DIGEST_KEY] = _digest(tensors, header)
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=header)
    return Path(path)


def load_model(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read and validate a model file; return ``(state_dict, meta)``.

    Raises :class:`ModelFileError` naming the file and the problem when it is missing, not a
    safetensors file, truncated, not an lstmlab model, of an unsupported format version, or
    when its checksum does not match its contents.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(path)
    header = _read_header(file)
    metadata = _lstmlab_metadata(file, header)
    meta = _parse_meta(file, metadata)
    try:
        tensors = load_file(str(file), device="cpu")
    except (SafetensorError, OSError) as err:
        raise ModelFileError(f"model file {file} could not be read ({err}); {_RETRAIN}") from err
    if _digest(tensors, metadata) != metadata[_DIGEST_KEY]:
        raise ModelFileError(
            f"model file {file} fails its checksum: its weights or settings were changed or "
            f"corrupted after it was saved; {_RETRAIN}"
        )
    return tensors, meta


@dataclass(frozen=True)
class SavedForecaster:
    """What a fitted :class:`~lstmlab.forecaster.Forecaster` saves and gets back on load."""

    config: ForecastConfig
    spec: WindowSpec
    model: SequenceRegressor
    band: list[list[float]]  # per horizon step, [low, high] quantiles of the log errors
    history: pd.DataFrame  # training history, columns of lstmlab.training.HISTORY_COLUMNS
    manifest: dict[str, Any]  # reproducibility manifest (lstmlab.manifest)
    best_epoch: int | None = None
    stop_reason: str | None = None
    calibration: dict[str, Any] | None = None  # BandCalibration.to_dict(); None before it existed
    calibrated_until: str | None = None  # ISO date of the last calibration window


def save_forecaster(path: str | os.PathLike[str], saved: SavedForecaster) -> Path:
    """Write a forecaster's weights and parts as one model file, atomically."""
    meta = {"config": saved.config.to_dict(), "spec": saved.spec.to_dict(), "band": saved.band,
            "manifest": saved.manifest, "best_epoch": saved.best_epoch,
            "stop_reason": saved.stop_reason, "history": saved.history.to_dict(orient="list"),
            "calibration": saved.calibration, "calibrated_until": saved.calibrated_until}
    return save_model(path, saved.model.state_dict(), meta)


def load_forecaster(path: str | os.PathLike[str], device: str = "cpu") -> SavedForecaster:
    """Read a file written by :func:`save_forecaster`, checking every part, onto ``device``."""
    import pandas as pd

    from lstmlab.config import ForecastConfig
    from lstmlab.data import WindowSpec
    from lstmlab.pipeline import build_model
    from lstmlab.runtime import resolve_device
    from lstmlab.training import HISTORY_COLUMNS

    state, meta = load_model(path)
    _check_kind(path, meta, FORECASTER)
    try:
        config = ForecastConfig.from_dict({**meta["config"], "device": device})  # sizes bounded
        spec = WindowSpec.from_dict(meta["spec"])
        band = _band(meta["band"], config.horizon)
        # the shapes the settings imply, from a network on the "meta" device (no memory), are
        # compared with the stored ones before the real network is built: a small file cannot
        # make lstmlab allocate what its settings claim
        _check_shapes(state, build_model, config, len(spec.inputs))
        model = build_model(config, len(spec.inputs))
        model.load_state_dict(state, strict=True)
        history = pd.DataFrame(meta["history"], columns=HISTORY_COLUMNS)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"model file {path} is inconsistent ({exc}); it may have been "
                             "edited or written by another program") from None
    return SavedForecaster(config, spec, model.to(resolve_device(device)).eval(), band, history,
                           meta["manifest"], meta.get("best_epoch"), meta.get("stop_reason"),
                           meta.get("calibration"), meta.get("calibrated_until"))


@dataclass(frozen=True)
class SavedGlobal:
    """What a fitted :class:`~lstmlab.panel.GlobalForecaster` saves and gets back on load."""

    config: ForecastConfig
    series_id: bool  # one-hot series columns after the inputs
    specs: dict[str, WindowSpec]  # per training series, in training order
    model: SequenceRegressor
    history: pd.DataFrame
    manifest: dict[str, Any]  # per series, its reproducibility manifest
    best_epoch: int | None = None
    stop_reason: str | None = None


def save_global(path: str | os.PathLike[str], saved: SavedGlobal) -> Path:
    """Write a global model's weights and parts as one model file, atomically."""
    meta = {"kind": GLOBAL, "config": saved.config.to_dict(), "series_id": saved.series_id,
            "series": list(saved.specs),
            "specs": [spec.to_dict() for spec in saved.specs.values()],
            "manifest": saved.manifest, "best_epoch": saved.best_epoch,
            "stop_reason": saved.stop_reason, "history": saved.history.to_dict(orient="list")}
    return save_model(path, saved.model.state_dict(), meta)


def load_global(path: str | os.PathLike[str], device: str = "cpu") -> SavedGlobal:
    """Read a file written by :func:`save_global`, checking every part, onto ``device``."""
    import pandas as pd

    from lstmlab.config import ForecastConfig
    from lstmlab.data import WindowSpec
    from lstmlab.pipeline import build_model
    from lstmlab.runtime import resolve_device
    from lstmlab.training import HISTORY_COLUMNS

    state, meta = load_model(path)
    _check_kind(path, meta, GLOBAL)
    try:
        config = ForecastConfig.from_dict({**meta["config"], "device": device})
        names = [str(name) for name in meta["series"]]
        specs = dict(zip(names, (WindowSpec.from_dict(s) for s in meta["specs"]), strict=True))
        inputs = {spec.inputs for spec in specs.values()}
        if len(names) < 2 or len(set(names)) != len(names) or len(inputs) != 1:
            raise ValueError(f"its series {names[:5]} are not two or more distinct series "
                             "with the same inputs")
        series_id = bool(meta["series_id"])
        size = len(next(iter(inputs))) + (len(names) if series_id else 0)
        _check_shapes(state, build_model, config, size)
        model = build_model(config, size)
        model.load_state_dict(state, strict=True)
        history = pd.DataFrame(meta["history"], columns=HISTORY_COLUMNS)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"model file {path} is inconsistent ({exc}); it may have been "
                             "edited or written by another program") from None
    return SavedGlobal(config, series_id, specs, model.to(resolve_device(device)).eval(),
                       history, meta["manifest"], meta.get("best_epoch"), meta.get("stop_reason"))


def _check_kind(path: str | os.PathLike[str], meta: dict[str, Any], wanted: str) -> None:
    """Refuse a model file of another kind, naming the loader that reads it."""
    kind = meta.get("kind", FORECASTER)
    if kind != wanted:
        hint = (f"load it with {_LOADERS[kind]}" if kind in _LOADERS
                else "it was written by another lstmlab version or program")
        raise ModelFileError(f"model file {path} holds a {kind!s:.40} model, not a {wanted} "
                             f"model; {hint}")


def _check_shapes(state: dict[str, torch.Tensor], build: Any, config: ForecastConfig,
                  inputs: int) -> None:
    """Refuse stored tensors whose names or shapes differ from what ``config`` builds, or
    whose values are not finite (a forecast of NaN would blame the data)."""
    import torch

    with torch.device("meta"):
        expected = {name: tuple(t.shape) for name, t in build(config, inputs).state_dict().items()}
    stored = {name: tuple(t.shape) for name, t in state.items()}
    if stored != expected:
        wrong = sorted(n for n in expected.keys() | stored.keys()
                       if expected.get(n) != stored.get(n))[0]
        raise ValueError(f"tensor {wrong!r} has shape {stored.get(wrong)} but its settings "
                         f"(cell {config.cell}, hidden_size {config.hidden_size}, num_layers "
                         f"{config.num_layers}) need {expected.get(wrong)}")
    bad = sorted(n for n, t in state.items() if not bool(torch.isfinite(t).all()))
    if bad:
        raise ValueError(f"its weights are not finite (NaN or infinite values in {bad[0]!r})")


def _band(band: Any, horizon: int) -> list[list[float]]:
    """The uncertainty band: one finite ``[low, high]`` pair per horizon step, low <= high."""
    pairs = [[float(low), float(high)] for low, high in band]
    if len(pairs) != horizon or not all(math.isfinite(low) and math.isfinite(high)
                                        and low <= high for low, high in pairs):
        raise ValueError(f"its uncertainty band is not {horizon} finite [low, high] pair(s): "
                         f"{str(band)[:80]}")
    return pairs


def _digest(tensors: dict[str, torch.Tensor], header: dict[str, str]) -> str:
    """SHA-256 over the tensors (name, dtype, shape, bytes) and the metadata parts, in key order."""
    import torch

    sha = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        sha.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())  # raw bytes, any dtype
    for key in sorted(k for k in header if k != _DIGEST_KEY):
        sha.update(f"{key}={header[key]}\n".encode())
    return sha.hexdigest()


def _read_header(file: Path) -> dict[str, Any]:
    """Parse the safetensors header: 8-byte little-endian length, then that much JSON."""
    if not file.is_file():
        where = "is a directory" if file.is_dir() else "does not exist"
        raise ModelFileError(f"model file {file} {where}; give the path of a saved .safetensors "
                             f"model, or {_RETRAIN}")
    size = file.stat().st_size
    with open(file, "rb") as handle:
        head = handle.read(8)
        length = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
        if not 0 < length <= min(size - 8, _MAX_HEADER):
            raise ModelFileError(f"model file {file} is not a safetensors file"
                                 f"{_guess_kind(head)}; lstmlab never unpickles files; {_RETRAIN}")
        raw = handle.read(length)
    try:  # ValueError: bad JSON or a number of thousands of digits; RecursionError: too deep
        header: dict[str, Any] = json.loads(raw.decode("utf-8"))
        _check_entries(header)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(f"model file {file} has a damaged safetensors header "
                             f"({str(err)[:200]}); {_RETRAIN}") from None
    _check_extent(file, header, size - 8 - length)
    return header


def _check_entries(header: Any) -> None:
    """A ValueError unless ``header`` has the safetensors layout: string metadata, and per
    tensor a dtype, a shape and two ordered byte offsets (whole numbers)."""
    if not isinstance(header, dict):
        raise ValueError("not a JSON object")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("__metadata__ is not a table of texts")
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        shape, offsets = (entry.get("shape"), entry.get("data_offsets")
                          ) if isinstance(entry, dict) else (None, None)
        if not (isinstance(entry, dict) and isinstance(entry.get("dtype"), str)
                and _whole_numbers(shape) and _whole_numbers(offsets) and len(offsets) == 2
                and offsets[0] <= offsets[1]):
            raise ValueError(f"tensor {name!r} lacks a dtype, a shape or byte offsets")


def _whole_numbers(values: Any) -> TypeGuard[list[int]]:
    return isinstance(values, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)


def _guess_kind(head: bytes) -> str:
    """A hint at what the file is instead, for the error message."""
    if head[:1] == b"\x80":
        return " (it looks like a Python pickle)"
    if head[:2] == b"PK":
        return " (it looks like a zip archive, such as a torch.save checkpoint)"
    return " (it is empty or too short)" if len(head) < 8 else ""


def _check_extent(file: Path, header: dict[str, Any], data_size: int) -> None:
    """Refuse a file whose tensors reach past its end (a truncated download or copy)."""
    ends = [entry["data_offsets"][1] for name, entry in header.items()
            if name != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry]
    needed = max(ends, default=0)
    if needed > data_size:
        raise ModelFileError(f"model file {file} is truncated: its tensors need {needed} bytes "
                             f"but only {data_size} are present; {_RETRAIN}")


def _lstmlab_metadata(file: Path, header: dict[str, Any]) -> dict[str, str]:
    """The header's ``lstmlab.*`` metadata; refuse a file that is not an lstmlab model."""
    metadata = header.get("__metadata__") or {}
    wanted = [_PREFIX + key for key in (*REQUIRED_META, *_OWN_META)] + [_DIGEST_KEY]
    missing = [key for key in wanted if key not in metadata]
    if missing:
        raise ModelFileError(f"model file {file} is a safetensors file but not an lstmlab model "
                             f"(missing {', '.join(missing)}); {_RETRAIN}")
    return {key: value for key, value in metadata.items() if key.startswith(_PREFIX)}


def _parse_meta(file: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """Decode each JSON part and check that the format version is one this lstmlab reads."""
    meta: dict[str, Any] = {}
    for key, value in metadata.items():
        if key == _DIGEST_KEY:
            continue
        try:
            meta[key[len(_PREFIX):]] = json.loads(value)
        except (ValueError, RecursionError) as err:
            raise ModelFileError(f"model file {file}: metadata field {key!r} is not valid JSON "
                                 f"({str(err)[:200]}); {_RETRAIN}") from None
    version = meta["format_version"]
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"model file {file} uses model format version {version!r} (written by lstmlab "
            f"{meta['lstmlab_version']}); this lstmlab {__version__} reads version "
            f"{FORMAT_VERSION}: load it with that lstmlab version or {_RETRAIN}"
        )
    return meta
