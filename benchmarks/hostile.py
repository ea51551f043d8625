"""Run every case of the hostile-input suite and count what went wrong.

Each case (``tests/hostile/cases.py``: bad CSVs, crafted model files, crafted run folders and
sweep stores, bad options, interrupts, full disks, concurrent runs) builds its input in a
temporary folder, runs one ``lstmlab`` command in this process and is judged: the expected
one-line message and exit code, no traceback, no earlier output changed. Cases that cannot run
on this machine (mounting a tmpfs needs privileges) are listed as skipped and not counted.

The last line is ``hostile inputs: N tried, T tracebacks, L outputs lost`` (target: N >= 60,
T = 0, L = 0); ``--verbose`` prints every case, not only those that went wrong.

    python benchmarks/hostile.py [--verbose] [-k SUBSTRING]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # the cases and their helpers

from hostile.cases import CASES, Base, run_case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="print every case")
    parser.add_argument("-k", default="", help="only the cases whose name contains this")
    args = parser.parse_args()
    start = time.perf_counter()
    tried = tracebacks = lost = wrong = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = Base(Path(tmp) / "base")
        for case in CASES:
            if args.k not in case.name:
                continue
            outcome = run_case(case, Path(tmp) / case.name, base)
            if outcome.skipped:
                print(f"skipped  {case.name}: {outcome.skipped}")
                continue
            tried += 1
            tracebacks += outcome.traceback
            lost += outcome.lost
            wrong += not outcome.passed
            if args.verbose or not outcome.passed or outcome.lost:
                verdict = "ok" if outcome.passed and not outcome.lost else "WRONG"
                print(f"{verdict:8} {case.group}: {case.name}: {outcome.last_line[:160]}")
    print(f"{wrong} of {tried} cases did not give the expected message and exit code; "
          f"{time.perf_counter() - start:.0f} s; load average {os.getloadavg()[0]:.2f}")
    print(f"hostile inputs: {tried} tried, {tracebacks} tracebacks, {lost} outputs lost")


if __name__ == "__main__":
    main()
