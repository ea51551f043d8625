"""Rolling-origin backtests: many forecast origins, each refit on the past only, run in parallel.

:func:`run_backtest` (:mod:`.run`) plans the refit blocks (:mod:`.plan`), fits each block on
the rows before its refit date and forecasts its origins in one batched pass (:mod:`.refit`),
runs the refits not stored yet over cores or Ray (:mod:`.engine`), and pools the forecasts with
the baselines into a :class:`Backtest` (:mod:`.result`, scored by :mod:`.scoring`).
:func:`run_global_backtest` (:mod:`.panel`) does the same with one global model over several
series per refit.
:mod:`.output` writes its run directory and charts (:mod:`.charts`), :mod:`.page` its report,
and :mod:`.command` is ``lstmlab backtest``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Backtest", "BacktestSettings", "GlobalBacktest", "RefitResult", "plan_blocks",
           "run_backtest", "run_global_backtest"]

# public names, imported on first use so that the CLI can register the command cheaply
_EXPORTS = {"Backtest": "result", "BacktestSettings": "plan", "GlobalBacktest": "panel",
            "RefitResult": "refit", "plan_blocks": "plan", "run_backtest": "run",
            "run_global_backtest": "panel"}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lstmlab.backtest' has no attribute {name!r}")
    return getattr(import_module(f"lstmlab.backtest.{_EXPORTS[name]}"), name)
