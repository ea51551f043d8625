"""Export a fitted forecaster to ONNX: one graph from a raw feature window to the price forecast.

The exported graph folds in everything between the data and a price, so that any ONNX runtime
reproduces :meth:`lstmlab.Forecaster.predict` without lstmlab:

================  ==========================  ===============================================
name              shape, type                 meaning
================  ==========================  ===============================================
``window``        ``(B, lookback, F)`` double raw, unscaled inputs, oldest row first, columns
                                              in the order of metadata ``lstmlab.inputs``
``last_price``    ``(B,)`` double             the target column on the window's last row
``prediction``    ``(B, horizon)`` double     forecast prices for the ``horizon`` next rows
================  ==========================  ===============================================

Inside, the graph applies the training scaler ``(window - offset) / scale`` in double precision,
casts to float32 (as :func:`lstmlab.data.prepare` does), runs the recurrent layer and the head
(PyTorch's fused kernels export as ONNX's own ``LSTM``/``GRU`` operators), unscales the output
and turns the target (``log_return`` by default) back into a price from ``last_price``.
``B`` is dynamic; ``lookback`` is fixed. :func:`onnx_inputs` builds both inputs from a price
frame. The model's settings (``lstmlab.spec``, ``lstmlab.config``, versions) are stored as JSON
strings in the file's metadata (``metadata_props``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmlab._version import __version__
from lstmlab.errors import ConfigError, LstmlabError
from lstmlab.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd
    import torch

    from lstmlab.data import WindowSpec
    from lstmlab.model import SequenceRegressor

__all__ = [
    "FORMATS",
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "OnnxInputs",
    "export_onnx",
    "export_run",
    "onnx_inputs",
]

FORMATS = ("onnx",)
INPUT_NAMES = ("window", "last_price")
OUTPUT_NAMES = ("prediction",)
OPSET = 18  # the lowest opset the dynamo exporter writes without a version conversion


@dataclass(frozen=True)
class OnnxInputs:
    """Inputs of an exported graph for every complete window of a series.

    ``window (N, lookback, F)`` and ``last_price (N,)`` are the graph's inputs; ``origin (N,)``
    is the row position of each window's last row and ``dates (N,)`` its date.
    """

    window: np.ndarray
    last_price: np.ndarray
    origin: np.ndarray
    dates: pd.DatetimeIndex

    def feeds(self) -> dict[str, np.ndarray]:
        """The ``{name: array}`` mapping that ``onnxruntime.InferenceSession.run`` takes."""
        return {"window": self.window, "last_price": self.last_price}


def onnx_inputs(prices: Any, spec: WindowSpec,
                covariates: Mapping[str, pd.DataFrame] | None = None) -> OnnxInputs:
    """Raw windows and last prices of ``prices`` (a frame from :func:`lstmlab.load_prices`, or
    anything it reads), every window that ends after the warm-up.

    The columns are those the model was trained on (:attr:`WindowSpec.inputs`), built by
    :func:`lstmlab.data.inputs.input_matrix` as for training; ``covariates`` maps the spec's
    covariate sources to their prices and its known sources to their tables. The last window
    ends on the last row, so its prediction is the forecast beyond the data.
    """
    import pandas as pd

    from lstmlab.data.covariates import with_frames
    from lstmlab.data.inputs import input_matrix
    from lstmlab.data.load import as_prices

    frame = as_prices(prices)
    matrix, warmup, _ = input_matrix(
        frame, spec.features, spec.target_column,
        covariates=with_frames(spec.covariates, covariates), calendar=spec.calendar,
        horizon=spec.horizon, max_fill=spec.max_fill,
        known=with_frames(spec.known, covariates, "known table"),
        known_calendar=spec.known_calendar)  # (n, F)
    first = warmup + spec.lookback - 1  # the first row that ends a complete window
    if first >= len(frame):
        raise LstmlabError(f"{frame.attrs.get('source', 'the prices')} has {len(frame)} rows; a "
                           f"window needs {spec.lookback} after {warmup} warm-up row(s)")
    view = np.lib.stride_tricks.sliding_window_view(matrix[warmup:], spec.lookback, axis=0)
    origin = np.arange(first, len(frame), dtype=np.int64)
    price = frame[spec.target_column].to_numpy(dtype=np.float64)
    return OnnxInputs(
        window=np.ascontiguousarray(view.transpose(0, 2, 1)),  # (N, lookback, F)
        last_price=price[origin],
        origin=origin,
        dates=pd.DatetimeIndex(frame.index[origin]),
    )


def _to_price(target: str, y: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """:func:`lstmlab.data.targets.targets_to_prices` on tensors, so that it exports."""
    import torch

    if target == "price":
        return y + 0.0 * last  # keeps last_price an input of every graph, used or not
    if target == "return":
        return last * (1.0 + y)
    if target == "log_return":
        return last * torch.exp(y)
    return last + y  # change


def _graph_module(model: SequenceRegressor, spec: WindowSpec) -> torch.nn.Module:
    """``model`` wrapped with the scalers and the target inversion of ``spec``."""
    import torch

    def buffer(values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.float64))

    class RawToPrice(torch.nn.Module):
        x_offset: torch.Tensor
        x_scale: torch.Tensor
        y_offset: torch.Tensor
        y_scale: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.model = model
            self.register_buffer("x_offset", buffer(spec.scaler_x.offset))  # (F,)
            self.register_buffer("x_scale", buffer(spec.scaler_x.scale))  # (F,)
            self.register_buffer("y_offset", buffer(spec.scaler_y.offset))  # (h,)
            self.register_buffer("y_scale", buffer(spec.scaler_y.scale))  # (h,)

        def forward(self, window: torch.Tensor, last_price: torch.Tensor) -> torch.Tensor:
            x = ((window - self.x_offset) / self.x_scale).float()  # (B, L, F)
            y = self.model(x).double() * self.y_scale + self.y_offset  # (B, h) raw targets
            return _to_price(spec.target, y, last_price[:, None])  # (B, h) prices

    return RawToPrice().eval()


def export_onnx(
    model: SequenceRegressor, spec: WindowSpec, path: str | os.PathLike[str],
    *, metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` with the scaling of ``spec`` as an ONNX file at ``path``, atomically.

    ``metadata`` (JSON-ready values) is stored next to ``lstmlab.spec`` and the versions in the
    file's ``metadata_props``, each as a JSON string under ``lstmlab.<key>``. Needs the
    ``lstmlab[onnx]`` extra. Returns the path written.
    """
    from lstmlab.heads import DistributionHead

    if isinstance(model.head, DistributionHead):
        raise ConfigError(f"ONNX export covers point models (loss 'mse'); this one has a "
                          f"{type(model.head).__name__}, whose output is a distribution, not a "
                          f"price; export a model trained with loss 'mse'")
    torch, onnx = _import_exporter()
    module = _graph_module(copy.deepcopy(model).cpu().eval(), spec)
    example = (torch.zeros(2, spec.lookback, len(spec.inputs), dtype=torch.float64),
               torch.ones(2, dtype=torch.float64))
    batch = torch.export.Dim("batch")
    # the exporter prints progress and warns about its own internals: nothing a user can act on
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            module, example, dynamo=True, opset_version=OPSET, external_data=False,
            input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
            dynamic_shapes={"window": {0: batch}, "last_price": {0: batch}}, verbose=False,
        )
    proto = program.model_proto
    parts = {"inputs": list(spec.inputs), "spec": spec.to_dict(), "lstmlab_version": __version__,
             "torch_version": torch.__version__, **(metadata or {})}
    for key, value in parts.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = f"lstmlab.{key}", json.dumps(value, sort_keys=True)
    proto.doc_string = __doc__.split("\n\n")[0] if __doc__ else ""
    onnx.checker.check_model(proto)
    return atomic_write_bytes(path, proto.SerializeToString())


def _import_exporter() -> tuple[Any, Any]:
    try:
        import onnx
        import onnxscript  # noqa: F401  # torch.onnx's exporter needs it
        import torch
    except ImportError as exc:
        raise ConfigError(f"ONNX export needs the optional packages onnx and onnxscript "
                          f"({exc.name} is missing); install them with "
                          f"pip install 'lstmlab[onnx]'") from None
    return torch, onnx


def export_run(run_dir: str | os.PathLike[str], *, fmt: str = "onnx", cell: str | None = None,
               out: str | os.PathLike[str] | None = None) -> Path:
    """Export a run's model (``cell``, default its best) to ``out`` (default
    ``<run>/models/<cell>.onnx``); the work behind ``lstmlab export``."""
    from lstmlab.forecaster import Forecaster
    from lstmlab.runs import read_run

    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {list(FORMATS)}")
    run = read_run(run_dir)
    cell = cell or run.manifest["best_model"]
    forecaster = Forecaster.load(run.model_path(cell), device="cpu")
    target = Path(out) if out is not None else run.path / "models" / f"{cell}.{fmt}"
    return forecaster.to_onnx(target)
