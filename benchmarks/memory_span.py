"""Benchmark of the memory span: the longest adding-problem length each network solves.

Targets (issue 13): with one step budget that trains in under 10 minutes here, hidden 128, one
PyTorch thread per run, the chrono-initialised LSTM solves the adding problem (test MSE < 0.01)
at T = 750 (T = 1000 is the stretch goal), the default LSTM (forget-gate bias 1) is measured at
the same lengths with the same budget, and the simple RNN for comparison. ``--copy`` adds the copy
task at gap T = 100 (chrono LSTM >= 99% symbol accuracy; the simple RNN at the baseline).

Runs are spread over ``--workers`` processes (``lstmlab memory span`` does the same), each stops
at its first test point that solves the task. ``--quick`` runs only T = 750 for the three cells.
The last line printed is ``memory span: rnn T=A, lstm T=B, lstm-chrono T=C (adding, longest T
solved)``, counting only the lengths that were run.

    PYTHONPATH=src python benchmarks/memory_span.py [--quick] [--copy] [--steps 2000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from lstmlab.config import parse_variants
from lstmlab.memory.lab import format_table, save_lab, save_span
from lstmlab.memory.span import run_span, span_configs, span_line
from lstmlab.memory.train import MemoryConfig, MemoryRun

ROOT = Path(__file__).resolve().parents[1]
CELLS = "rnn,lstm,lstm-chrono"


def _line(run: MemoryRun) -> str:
    metric = run.task.metric
    extra = f", accuracy {run.test['accuracy']:.4f}" if "accuracy" in run.test else ""
    return (f"{run.config.task} T={run.config.length} {run.config.variant}: test {metric} "
            f"{run.test[metric]:.4g}{extra} (baseline {run.baseline:.4g}); {run.stop_reason} "
            f"after {run.steps_run} steps, {run.seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def _adding(args: argparse.Namespace) -> list[MemoryRun]:
    lengths = [750] if args.quick else [int(t) for t in args.lengths.split(",")]
    base = MemoryConfig(task="adding", steps=args.steps, batch_size=args.batch,
                        learning_rate=args.lr, hidden_size=args.hidden, eval_every=args.eval_every,
                        test_size=args.test_size, seed=args.seed)
    print(f"adding problem: lengths {lengths}, cells {CELLS}; budget {args.steps} steps x batch "
          f"{args.batch}, hidden {args.hidden}, Adam lr {args.lr}, {args.workers} workers x 1 "
          f"thread; {_load()}", flush=True)
    configs = span_configs(base, parse_variants(CELLS), lengths)
    runs = run_span(configs, workers=args.workers, on_run=lambda r: print(_line(r), flush=True),
                    progress=True)
    save_span(runs, args.out)
    return runs


def _copy(args: argparse.Namespace) -> list[MemoryRun]:
    base = MemoryConfig(task="copy", length=100, steps=args.copy_steps, batch_size=args.copy_batch,
                        learning_rate=args.copy_lr, hidden_size=args.hidden,
                        eval_every=args.eval_every, test_size=args.test_size, seed=args.seed)
    print(f"copy task: gap 100, cells rnn,lstm-chrono; budget {args.copy_steps} steps x batch "
          f"{args.copy_batch}, hidden {args.hidden}, Adam lr {args.copy_lr}; {_load()}", flush=True)
    configs = span_configs(base, parse_variants("rnn,lstm-chrono"), [100])
    runs = run_span(configs, workers=args.workers, on_run=lambda r: print(_line(r), flush=True),
                    progress=True)
    save_lab(runs, args.out)  # copy_results.*, copy_learning_curves.png
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only T = 750, the three cells")
    parser.add_argument("--copy", action="store_true", help="also the copy task at gap 100")
    parser.add_argument("--copy-only", action="store_true", help="only the copy task at gap 100")
    parser.add_argument("--lengths", default="50,100,200,400,750,1000")
    parser.add_argument("--steps", type=int, default=2000, help="adding step budget per run")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--eval-every", type=int, default=100, help="steps between test points")
    parser.add_argument("--test-size", type=int, default=500, help="test sequences per run")
    parser.add_argument("--copy-steps", type=int, default=8000)
    parser.add_argument("--copy-batch", type=int, default=64)
    parser.add_argument("--copy-lr", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "memory")
    args = parser.parse_args()
    start = time.perf_counter()
    runs = [] if args.copy_only else _adding(args)
    if runs:
        print(format_table(runs), flush=True)
    if args.copy or args.copy_only:
        copy_runs = _copy(args)
        print(format_table(copy_runs), flush=True)
    print(f"total {time.perf_counter() - start:.1f} s wall; {_load()}; charts in {args.out}")
    print(span_line(runs or copy_runs))


if __name__ == "__main__":
    main()
