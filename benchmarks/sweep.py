"""Time a sweep of 5 series x 4 configurations on Ray with 2 CPUs against the same sweep run
sequentially in one process.

Both runs do the same 20 trials (LSTM and GRU, hidden 32 and 64, lookback 30, 15 epochs without
early stopping, each trial single-threaded and writing its run directory with charts, as
``lstmlab sweep`` does by default), each into its own temporary sweep folder. Printed:

- both wall times; Ray's start-up (``ray.init``) is shown apart from the trials;
- the speed-up, on the trials and including the start-up (target >= 1.6x on 2 cores);
- Ray's overhead per trial, defined as (Ray wall time of the trials x CPUs - sum of the trials'
  own times, measured inside each trial) / trials: the CPU time per trial that Ray's
  scheduling, transfers and idle cores cost (target < 1 s); and the round trip of a no-op Ray
  task, the floor of that overhead;
- whether both runs gave the same leaderboard (they should: same seeds, same data).

Machines shared with other jobs add noise; the load average is printed to show it, and so is
the speed-up that plain processes get on the machine at that moment, the ceiling for Ray's. Ray's
workers import lstmlab as this process does (installed, or ``PYTHONPATH=src``).

    PYTHONPATH=src python benchmarks/sweep.py [--data-dir DIR] [--cpus 2] [--no-charts]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from capacity import parallel_capacity

from lstmlab.sweep.leaderboard import build_leaderboard
from lstmlab.sweep.runner import connect, import_ray, run_sweep
from lstmlab.sweep.trial import Trial, TrialOptions, TrialResult, plan_trials

ROOT = Path(__file__).resolve().parents[1]

TICKERS = ("TSLA", "AAPL", "AMZN", "GOOGL", "MSFT")
CELLS = ("lstm", "gru")
GRID = ("hidden_size=32,64", "lookback=30", "max_epochs=15", "patience=0")
SPEEDUP_TARGET = 1.6
OVERHEAD_TARGET_S = 1.0


def _timed_sweep(trials: list[Trial], options: TrialOptions,
                 engine: str) -> tuple[float, list[TrialResult]]:
    with tempfile.TemporaryDirectory(prefix=f"sweep-{engine}-") as folder:
        start = time.perf_counter()
        results = run_sweep(trials, Path(folder), options, engine=engine)
        return time.perf_counter() - start, results


def _noop_round_trip(ray, repeats: int = 50) -> float:
    """Median seconds of submitting a no-op task and getting its result, one at a time."""
    noop = ray.remote(num_cpus=1)(lambda: None)
    ray.get(noop.remote())  # a worker is warm before timing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ray.get(noop.remote())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _check(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR") or ROOT.parent / "shared" / "data"))
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--no-charts", dest="charts", action="store_false")
    args = parser.parse_args()
    sources = [str(args.data_dir / f"{ticker}.csv") for ticker in TICKERS]
    trials, options = plan_trials(sources, CELLS, GRID), TrialOptions(charts=args.charts)
    load = os.getloadavg()[0]
    print(f"sweep benchmark: {len(TICKERS)} series x {len(trials) // len(TICKERS)} "
          f"configurations = {len(trials)} trials, {args.cpus} CPUs, charts "
          f"{'on' if args.charts else 'off'}; load average {load:.1f} before the start")
    print(f"this machine's parallel capacity now: {args.cpus} plain processes do "
          f"{parallel_capacity(args.cpus):.2f}x the work of one (at most {args.cpus}x; other "
          f"jobs on the machine lower it)")

    seq_wall, seq = _timed_sweep(trials, options, "sequential")
    seq_sum = sum(r.seconds for r in seq)
    train = statistics.mean(r.metrics["train_seconds"] for r in seq)
    print(f"sequential, one process: {seq_wall:.1f} s (mean trial {seq_sum / len(seq):.2f} s, "
          f"of which training {train:.2f} s; the rest is loading, scoring and writing the run)")

    ray = import_ray()
    start = time.perf_counter()
    connect(cpus=args.cpus)
    startup = time.perf_counter() - start
    ray_wall, par = _timed_sweep(trials, options, "ray")
    round_trip = _noop_round_trip(ray)
    ray.shutdown()
    par_sum = sum(r.seconds for r in par)
    print(f"Ray, {args.cpus} CPUs: start-up {startup:.1f} s, trials {ray_wall:.1f} s "
          f"(sum of trial times {par_sum:.1f} s)")

    on_trials, overall = seq_wall / ray_wall, seq_wall / (startup + ray_wall)
    print(f"speed-up: {on_trials:.2f}x on the trials, {overall:.2f}x including Ray's start-up "
          f"(target >= {SPEEDUP_TARGET}x: {_check(overall >= SPEEDUP_TARGET)})")
    overhead = (ray_wall * args.cpus - par_sum) / len(trials)
    print(f"Ray overhead per trial: {overhead:.2f} s = ({ray_wall:.1f} s x {args.cpus} CPUs - "
          f"{par_sum:.1f} s) / {len(trials)} (target < {OVERHEAD_TARGET_S:g} s: "
          f"{_check(overhead < OVERHEAD_TARGET_S)}); no-op task round trip "
          f"{round_trip * 1000:.1f} ms")
    same = build_leaderboard(seq).best.equals(build_leaderboard(par).best)
    failed = [r for r in [*seq, *par] if r.status != "ok"]
    print(f"same leaderboard both ways: {'yes' if same else 'NO'}; failed trials: {len(failed)}; "
          f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
