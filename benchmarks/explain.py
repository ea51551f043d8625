"""How big the explorer page is and how long ``lstmlab explain`` takes, per cell and task.

Trains a Simple RNN, an LSTM and a GRU on one ticker with default settings (60-day windows,
64 units) but few epochs (the page's cost does not depend on how well the model fits), unless
``--run`` names an existing run; then times ``lstmlab explain`` for each cell, as a fresh
process (what a user waits for) and inside one process (imports already done). Last, the
adding problem: the first call trains its model, a second reloads it.

    python benchmarks/explain.py [--data-dir ../shared/data] [--ticker TSLA] [--epochs 5]
                                 [--run RUN_DIR] [--length 100] [--steps 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> float:
    """Seconds of one ``python -m lstmlab ARGS`` run, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lstmlab", *args], capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(f"lstmlab {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def _train(args: argparse.Namespace, out: Path) -> Path:
    source = Path(args.data_dir) / f"{args.ticker}.csv"
    if not source.is_file():  # the synthetic series of the tests, when the data is absent
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import synthetic_price_csv

        source = synthetic_price_csv(out / f"{args.ticker}.csv")
    seconds = _cli("compare", str(source), "--cells", "rnn,lstm,gru", "--epochs",
                   str(args.epochs), "--out", str(out), "--name", "run", "-q")
    print(f"trained rnn, lstm, gru on {source.name}, {args.epochs} epochs: {seconds:.1f} s")
    return out / "run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--ticker", default="TSLA")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--run", type=Path, default=None)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    from lstmlab.explain.make import explain_adding, explain_run
    from lstmlab.runs import read_run

    print(f"load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or _train(args, Path(tmp))
        print(f"{'page':<26}{'bytes':>10}{'MB':>7}{'CLI s':>8}{'in-process s':>14}")
        for cell in read_run(run).cells:
            cli = _cli("explain", str(run), "--model", cell, "--data-dir", args.data_dir, "-q")
            made = explain_run(run, cell, data_dir=args.data_dir)
            print(f"{args.ticker + ' ' + cell:<26}{made.bytes:>10}{made.bytes / 1e6:>7.2f}"
                  f"{cli:>8.1f}{made.seconds:>14.2f}")
        folder = Path(tmp) / "adding"
        train = _cli("explain", str(folder), "--task", "adding", "--length", str(args.length),
                     "--steps", str(args.steps), "-q")
        reload = _cli("explain", str(folder), "--task", "adding", "--length", str(args.length),
                      "--steps", str(args.steps), "-q")
        made = explain_adding(folder, "lstm", args.length, args.steps)
        name = f"adding T={args.length} lstm"
        print(f"{name:<26}{made.bytes:>10}{made.bytes / 1e6:>7.2f}{reload:>8.1f}"
              f"{made.seconds:>14.2f}")
        print(f"adding: the first call, which trains the model ({args.steps} steps), took "
              f"{train:.1f} s")
    print(f"load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
