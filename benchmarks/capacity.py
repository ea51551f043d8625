"""The machine's parallel capacity right now, shared by the benchmarks that report a speed-up.

``parallel_capacity(n)`` runs ``n`` plain Python processes doing the same pure-Python loop at
once, against one alone: ``n`` on an idle machine with ``n`` free cores, less when other jobs
share them. A parallel speed-up is judged against it, measured in the same run.
"""

from __future__ import annotations

import subprocess
import sys
import time


def parallel_capacity(processes: int, work: int = 30_000_000) -> float:
    """How many plain processes' worth of CPU ``processes`` processes get (at most that many)."""
    command = [sys.executable, "-c", f"sum(i * i for i in range({work}))"]

    def wall(count: int) -> float:
        start = time.perf_counter()
        for process in [subprocess.Popen(command) for _ in range(count)]:
            process.wait()
        return time.perf_counter() - start

    return processes * wall(1) / wall(processes)
