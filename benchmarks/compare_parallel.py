"""Time ``lstmlab compare`` with its cells trained at once against one after another.

Job: ``compare TICKER`` with its default cells (Simple RNN and LSTM, default configuration),
run as the CLI runs it (fit and evaluate every cell, write the run directory with charts and
report into a temporary folder) with ``--jobs 2`` and ``--jobs 1``, in alternating order over
``--repeats`` rounds. Prints both wall times (medians), their ratio and the machine's parallel
capacity C measured in the same run (two plain processes against one, as
``benchmarks/sweep.py``). Targets: ratio <= 0.65 where C >= 1.9, and within 10% of 1/C
otherwise. Two cells cannot do better than the slower cell's own time, so the ratio's floor is
that share of the sequential time (printed as well).

    PYTHONPATH=src python benchmarks/compare_parallel.py [TICKER] [--data-dir DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from capacity import parallel_capacity

from lstmlab import jobs
from lstmlab.config import ForecastConfig
from lstmlab.data import load_prices
from lstmlab.runs import new_run

ROOT = Path(__file__).resolve().parents[1]
CELLS = ("rnn", "lstm")


def timed_compare(prices, configs, workers: int) -> tuple[float, list[jobs.Fitted]]:
    """Wall seconds of one whole compare (run directory included) and its fitted cells."""
    with tempfile.TemporaryDirectory(prefix="compare-bench-") as out:
        start = time.perf_counter()
        fitted = jobs.fit_models(prices, configs, jobs=workers)
        with new_run(Path(out) / "run") as folder:
            jobs.write_run(folder, prices, fitted, {"command": "compare", "name": "run",
                                                    "source": "bench"}, jobs=workers)
        return time.perf_counter() - start, fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ticker", nargs="?", default="TSLA")
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR") or ROOT.parent / "shared" / "data"))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    prices = load_prices(args.ticker, data_dir=args.data_dir)
    base = ForecastConfig() if args.epochs is None else ForecastConfig(max_epochs=args.epochs)
    configs = {cell: base.replace(cell=cell) for cell in CELLS}
    print(f"compare {args.ticker}: cells {', '.join(CELLS)}, max_epochs {base.max_epochs}; "
          f"load average {os.getloadavg()[0]:.1f}")
    capacity = [parallel_capacity(2)]
    walls: dict[int, list[float]] = {1: [], 2: []}
    slowest = []
    for _ in range(args.repeats):
        for workers in (1, 2):
            wall, fitted = timed_compare(prices, configs, workers)
            walls[workers].append(wall)
            if workers == 1:
                slowest.append(max(f.seconds for f in fitted) / wall)
    capacity.append(parallel_capacity(2))
    sequential, parallel = (statistics.median(walls[w]) for w in (1, 2))
    c = statistics.mean(capacity)
    ratio = parallel / sequential
    print(f"sequential (--jobs 1) {sequential:.1f} s, parallel (--jobs 2) {parallel:.1f} s; "
          f"the slower cell alone is {statistics.median(slowest):.2f} of the sequential wall")
    target = "<= 0.65" if c >= 1.9 else f"within 10% of 1/C = {1 / c:.2f}"
    print(f"capacity C {capacity[0]:.2f} before, {capacity[1]:.2f} after; load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"compare parallel/sequential wall: {ratio:.2f} (target {target}), capacity {c:.2f}")


if __name__ == "__main__":
    main()
