"""Benchmark of the long-memory lab: LSTM against the simple tanh RNN on the adding problem.

Targets (issue 6): at T = 200 the LSTM reaches test MSE < 0.01 within a budget that trains in
under 5 minutes on 2 CPU cores, while the RNN with the same budget stays above 0.1; T = 400 is
run too and reported as it comes. Then the vanishing gradient is measured on untrained and
trained RNN and LSTM (T = 200), and the gates of the trained LSTM and of an LSTM trained briefly
on TSLA log returns are drawn. Charts go to ``--out`` (default ``docs/memory``). The last line
printed is ``adding T=200: lstm MSE X, rnn MSE Y``.

PyTorch runs on one thread (``--threads``): the tensors are small, and on a CPU shared with
other jobs a second OpenMP thread that waits for a busy core makes each step many times slower.

    PYTHONPATH=src python benchmarks/memory.py [--steps 3000] [--lengths 200,400] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from lstmlab.memory.charts import gate_heatmaps, learning_curves
from lstmlab.memory.flow import price_flow, train_on_prices
from lstmlab.memory.gradients import vanishing_ratio
from lstmlab.memory.lab import save_gates, save_gradients
from lstmlab.memory.train import MemoryConfig, MemoryRun, train_memory

ROOT = Path(__file__).resolve().parents[1]
CELLS = ("rnn", "lstm")


def _train_all(base: MemoryConfig, lengths: list[int]) -> dict[tuple[int, str], MemoryRun]:
    runs = {}
    for length in lengths:
        for cell in CELLS:
            run = train_memory(replace(base, length=length, cell=cell))
            runs[length, cell] = run
            print(f"adding T={length} {cell}: test MSE {run.test['mse']:.4g} "
                  f"(baseline {run.baseline:.4f}), {base.steps} steps in {run.seconds:.1f} s "
                  f"wall", flush=True)
    return runs


def _gradients(runs: dict[tuple[int, str], MemoryRun], length: int, out: Path) -> None:
    _, norms = save_gradients([runs[length, cell] for cell in CELLS], out)
    for label, values in norms.items():
        print(f"gradient T={length} {label}: ||dL/ds_1|| / ||dL/ds_T|| = "
              f"{vanishing_ratio(values):.3g}", flush=True)


def _adding_gates(run: MemoryRun, out: Path) -> None:
    _, flow = save_gates(run, out)
    print(f"gates: adding T={run.config.length} markers at steps {flow.marks}, "
          f"target {flow.target:.3f}, LSTM prediction {flow.prediction:.3f}", flush=True)
    unit = int(flow.order[0])
    f_t, i_t = flow.gates["f_t"][:, unit], flow.gates["i_t"][:, unit]
    print(f"gates: unit {unit} holds the sum: corr(c_T, target) {flow.correlation[unit]:+.3f}; "
          f"forget gate mean {f_t.mean():.3f}; input gate median {np.median(i_t):.3f}, "
          f"at the markers {', '.join(f'{v:.2f}' for v in i_t[flow.marks])}", flush=True)


def _price_gates(csv: Path, out: Path) -> None:
    trained = train_on_prices(csv, steps=400, hidden_size=32, seed=0)
    test = trained.test
    print(f"gates: TSLA LSTM trained {trained.seconds:.1f} s wall; test MSE {test['mse']:.4f} "
          f"vs {test['mse_zero']:.4f} for predicting zero (scaled log returns)", flush=True)
    flow, dates = price_flow(trained)
    gate_heatmaps(flow.gates, out / "gates_tsla.png", signal=flow.signal,
                  signal_label="scaled\nlog return", time_labels=dates,
                  title=f"LSTM on TSLA daily log returns: test windows, inputs {dates[0]} to "
                        f"{dates[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training steps per run")
    parser.add_argument("--lengths", default="200,400", help="adding-problem lengths")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "TSLA.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "memory")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lengths = [int(t) for t in args.lengths.split(",")]
    start = time.perf_counter()
    base = MemoryConfig(task="adding", steps=args.steps, batch_size=64, learning_rate=0.01,
                        hidden_size=64, eval_every=100, test_size=1000, seed=args.seed)
    print(f"adding problem: {args.steps} steps x batch 64, hidden 64, Adam lr 0.01, "
          f"{args.threads} thread(s)", flush=True)
    runs = _train_all(base, lengths)
    learning_curves(list(runs.values()), args.out / "adding_learning_curves.png")
    _gradients(runs, lengths[0], args.out)
    _adding_gates(runs[lengths[0], "lstm"], args.out)
    _price_gates(args.data, args.out)
    print(f"total {time.perf_counter() - start:.1f} s wall; charts in {args.out}")
    first = lengths[0]
    print(f"adding T={first}: lstm MSE {runs[first, 'lstm'].test['mse']:.4g}, "
          f"rnn MSE {runs[first, 'rnn'].test['mse']:.4g}")


if __name__ == "__main__":
    main()
