"""Time the command line: ``lstmlab --help`` (target < 1 s) and ``lstmlab compare TSLA`` with
default settings (target < 90 s on 2 CPU cores).

Each command runs in a fresh process, as a user would start it. ``--help`` runs several times
and the median and minimum are printed (machines shared with other jobs add noise; the minimum
is the least disturbed). ``compare`` reads TSLA.csv from ``--data-dir`` (default:
``$LSTMLAB_DATA_DIR``, else ``../shared/data`` beside the project) and writes its run into a
temporary folder.

    python benchmarks/cli.py [--help-runs 7] [--compare-runs 1] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELP_TARGET_S = 1.0
COMPARE_TARGET_S = 90.0


def _command() -> list[str]:
    """How to start lstmlab: ``python -m lstmlab`` with the source tree first on the path."""
    return [sys.executable, "-m", "lstmlab"]


def _environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["LSTMLAB_DATA_DIR"] = str(data_dir)
    return env


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of ``lstmlab ARGS``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*_command(), *args], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _line(label: str, runs: list[tuple[float, float]], target: float) -> str:
    wall = [w for w, _ in runs]
    median, best = statistics.median(wall), min(wall)
    cpu = statistics.median(c for _, c in runs)
    verdict = "meets" if median < target else "MISSES"
    return (f"{label}: median {median:.2f} s, min {best:.2f} s wall over {len(runs)} run(s) "
            f"(median CPU time {cpu:.2f} s); target < {target:g} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--help-runs", type=int, default=7)
    parser.add_argument("--compare-runs", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR") or ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    if not (args.data_dir / "TSLA.csv").is_file():
        sys.exit(f"no TSLA.csv in {args.data_dir}: pass --data-dir or set LSTMLAB_DATA_DIR")
    env = _environment(args.data_dir)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpu cores: {os.cpu_count()}; load average before: {load} (other jobs add noise)")
    help_times = [_timed(["--help"], env) for _ in range(args.help_runs)]
    print(_line("lstmlab --help", help_times, HELP_TARGET_S), flush=True)
    if args.compare_runs < 1:
        return
    with tempfile.TemporaryDirectory() as out:
        compare_times = [_timed(["compare", "TSLA", "--quiet", "--out", out], env)
                         for _ in range(args.compare_runs)]
    print(_line("lstmlab compare TSLA", compare_times, COMPARE_TARGET_S))


if __name__ == "__main__":
    main()
