"""Time rolling-origin backtests: the overhead beyond the refits, and the parallel speed-up.

Job (issue 11): the default LSTM configuration, refitted every 63 trading days from 2019-01-02
on an expanding window (about 20 refits on 2019-2023), each refit forecasting its quarter of
origins one day ahead. For each ticker the backtest runs as ``lstmlab backtest`` does (plan,
refits, pooling, scoring, run directory with charts and report, in a temporary folder, nothing
stored, so every refit is trained) with ``--jobs 2``, and prints the pooled one-step RMSE ratio
to the naive forecast, the Diebold-Mariano and Clark-West p-values and the wall time.

The first ticker also runs with ``--jobs 1`` (every refit in this process, in order):

- ``backtest overhead`` = that wall time / the sum of the refits' own ``fit`` times: what
  planning, forecasting, scoring and writing cost on top of training (target <= 1.10);
- ``parallel speed-up`` = the ``--jobs 1`` wall time / the ``--jobs 2`` wall time, beside the
  machine's parallel capacity C (two plain processes against one, measured before and after
  that pair of runs as ``benchmarks/sweep.py`` does; target Y >= 0.9 C, and >= 1.7 where
  C >= 1.9).

Where ``--data-dir`` lacks a ticker's CSV a synthetic random walk of the same span stands in
(said in the output). ``--epochs`` lowers the maximum epochs (the output says so).

    PYTHONPATH=src python benchmarks/backtest.py [TICKERS ...] [--data-dir DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from capacity import parallel_capacity

from lstmlab.backtest.output import headline, write_backtest_run
from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.run import run_backtest
from lstmlab.config import ForecastConfig
from lstmlab.data import load_prices
from lstmlab.runs import new_run

ROOT = Path(__file__).resolve().parents[1]
OVERHEAD_TARGET = 1.10


def _prices(ticker: str, data_dir: Path) -> tuple[pd.DataFrame, str]:
    path = data_dir / f"{ticker}.csv"
    if path.is_file():
        return load_prices(path), str(path)
    rng = np.random.default_rng(zlib.crc32(ticker.encode()))
    dates = pd.bdate_range("2013-01-02", "2023-12-29")
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0004, 0.02, len(dates))))
    frame = pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                          "volume": 1e6}, index=pd.DatetimeIndex(dates, name="date"))
    return load_prices(frame), "synthetic random walk (no CSV found)"


def timed_backtest(prices: pd.DataFrame, config: ForecastConfig, settings: BacktestSettings,
                   jobs: int, name: str, keep: Path | None) -> tuple[float, object]:
    """Wall seconds of one whole backtest (run directory included) and its result; the run
    directory is kept under ``keep`` when given."""
    with tempfile.TemporaryDirectory(prefix="backtest-bench-") as out:
        start = time.perf_counter()
        result = run_backtest(prices, {config.cell: config}, settings, jobs=jobs)
        with new_run((keep or Path(out)) / name) as folder:
            write_backtest_run(folder, prices, result,
                               {"command": "backtest", "name": name, "source": name,
                                "cells": [config.cell], "seeds": 1, "jobs": jobs},
                               wall_seconds=time.perf_counter() - start)
        return time.perf_counter() - start, result


def _line(ticker: str, jobs: int, wall: float, result) -> str:
    scores = headline(result)[result.models[0]]
    return (f"{ticker:<6} jobs {jobs}: {result.refits['refit'].nunique()} refits, "
            f"{int(scores['n'])} origins, RMSE ratio to naive {scores['rmse_ratio']:.4f}, "
            f"DM p {scores['dm_p_value']:.3f}, Clark-West p {scores['cw_p_value']:.3f}, "
            f"wall {wall:.1f} s (fits {result.fit_seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickers", nargs="*", default=["TSLA"])
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR") or ROOT.parent / "shared" / "data"))
    parser.add_argument("--start", default="2019-01-02")
    parser.add_argument("--refit-every", type=int, default=63)
    parser.add_argument("--epochs", type=int, default=None,
                        help="maximum epochs (default: the configuration's)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the run directories in this folder")
    args = parser.parse_args()
    config = ForecastConfig(cell="lstm")
    if args.epochs:
        config = config.replace(max_epochs=args.epochs)
    settings = BacktestSettings(args.start, refit_every=args.refit_every)
    print(f"backtest benchmark: LSTM default configuration, max_epochs {config.max_epochs}"
          f"{' (lowered with --epochs)' if args.epochs else ''}, patience {config.patience}; "
          f"start {args.start}, refit every {args.refit_every} days, expanding window; "
          f"load average {os.getloadavg()[0]:.1f}")
    first = args.tickers[0]
    prices, origin = _prices(first, args.data_dir)
    print(f"{first}: {origin}")
    capacity_before = parallel_capacity(2)
    wall_1, sequential = timed_backtest(prices, config, settings, 1, f"{first}-jobs1", args.keep)
    print(_line(first, 1, wall_1, sequential), flush=True)
    wall_2, parallel = timed_backtest(prices, config, settings, 2, f"{first}-jobs2", args.keep)
    print(_line(first, 2, wall_2, parallel), flush=True)
    capacity_after = parallel_capacity(2)
    overhead, speedup = wall_1 / sequential.fit_seconds, wall_1 / wall_2
    capacity = (capacity_before + capacity_after) / 2
    print(f"capacity C: {capacity_before:.2f} before and {capacity_after:.2f} after the {first} "
          f"pair; overhead target <= {OVERHEAD_TARGET}; speed-up target >= 0.9 C = "
          f"{0.9 * capacity:.2f}{' and >= 1.7' if capacity >= 1.9 else ''}; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    figures = (f"backtest overhead: {overhead:.2f}, parallel speed-up: {speedup:.2f} of "
               f"capacity {capacity:.2f}")
    print(figures, flush=True)  # again as the last line, after the other tickers
    for ticker in args.tickers[1:]:
        other, origin = _prices(ticker, args.data_dir)
        wall, result = timed_backtest(other, config, settings, 2, ticker, args.keep)
        print(f"{ticker}: {origin}\n{_line(ticker, 2, wall, result)}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(figures)


if __name__ == "__main__":
    main()
