"""lstmlab: recurrent neural networks (RNN, LSTM, GRU) for time series.

The public names below are imported lazily, on first use, so that ``import lstmlab`` and the
command line's ``--help`` stay fast and do not load PyTorch until a model is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

from lstmlab._version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # core: cells and layers written from the gate equations
    "RNNCell": "lstmlab.cells",
    "LSTMCell": "lstmlab.cells",
    "GRUCell": "lstmlab.cells",
    "RNN": "lstmlab.layers",
    "LSTM": "lstmlab.layers",
    "GRU": "lstmlab.layers",
    "RecurrentLayer": "lstmlab.layers",
    "make_layer": "lstmlab.layers",
    "record_gates": "lstmlab.recording",
    "GateTrace": "lstmlab.recording",
    "from_torch": "lstmlab.convert",
    "to_torch": "lstmlab.convert",
    # price data
    "load_prices": "lstmlab.data",
    "prepare": "lstmlab.data",
    "Prepared": "lstmlab.data",
    "Windows": "lstmlab.data",
    "latest_window": "lstmlab.data",
    "Scaler": "lstmlab.data",
    "WindowSpec": "lstmlab.data",
    "windows_for": "lstmlab.data",
    # forecasting
    "ForecastConfig": "lstmlab.config",
    "Forecaster": "lstmlab.forecaster",
    "Evaluation": "lstmlab.evaluation",
    "evaluate_model": "lstmlab.evaluation",
    # saved models, run directories, reports
    "save_model": "lstmlab.persist",
    "load_model": "lstmlab.persist",
    "read_run": "lstmlab.runs",
    "build_report": "lstmlab.report",
    # long-memory lab
    "AddingTask": "lstmlab.memory.tasks",
    "CopyTask": "lstmlab.memory.tasks",
    "MemoryConfig": "lstmlab.memory.train",
    "MemoryRun": "lstmlab.memory.train",
    "train_memory": "lstmlab.memory.train",
    "hidden_gradient_norms": "lstmlab.memory.gradients",
    # errors
    "LstmlabError": "lstmlab.errors",
    "DataError": "lstmlab.errors",
    "ConfigError": "lstmlab.errors",
    "ModelFileError": "lstmlab.errors",
    "TrainingError": "lstmlab.errors",
    "NotFittedError": "lstmlab.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lstmlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
