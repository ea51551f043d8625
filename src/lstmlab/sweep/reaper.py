"""Tear down the local Ray that a sweep started when the sweep's process dies, however it dies.

``ray.init()`` without an address starts a local cluster (GCS server, raylet, agents, workers)
as children of the calling process. A normal exit or Ctrl-C stops them through
``ray.shutdown()``, but after ``kill -9`` some (the dashboard and runtime-env agents) linger
for minutes. :func:`watch` starts a small watchdog process, in a session of its own so that
Ctrl-C in the terminal does not reach it, holding the read end of a pipe whose write end only
the sweep holds. The kernel closes that pipe when the sweep dies, by any signal; the watchdog
then ends every process it saw below the sweep. While the sweep lives, it refreshes that list
every second, so workers Ray starts later are covered too.

Run as ``python -m lstmlab.sweep.reaper PID``; it needs ``psutil`` (installed with Ray).
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys

__all__ = ["watch"]

_POLL_S = 1.0
_GRACE_S = 3.0


def watch() -> subprocess.Popen[bytes]:
    """Start the watchdog of this process's Ray children; keep the returned handle open (its
    ``stdin`` is the pipe) for as long as the cluster should live."""
    return subprocess.Popen([sys.executable, "-m", "lstmlab.sweep.reaper", str(os.getpid())],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _watch(parent: int) -> None:
    import psutil

    me, seen = os.getpid(), {}
    try:
        owner = psutil.Process(parent)
    except psutil.NoSuchProcess:
        return
    while True:
        for child in owner.children(recursive=True) if owner.is_running() else []:
            if child.pid != me and child.pid not in seen and _is_ray(child):
                seen[child.pid] = child  # psutil checks the start time, so a reused pid is safe
        ready, _, _ = select.select([sys.stdin], [], [], _POLL_S)
        if ready and not os.read(sys.stdin.fileno(), 1024):
            break  # end of file: the owner has exited or been killed
    alive = [p for p in seen.values() if p.is_running()]
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, left = psutil.wait_procs(alive, timeout=_GRACE_S)
    for process in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def _is_ray(process: object) -> bool:
    """Whether a child is one of Ray's (its command names Ray), not another of the owner's."""
    import psutil

    try:
        return "ray" in " ".join(process.cmdline()).lower()  # type: ignore[attr-defined]
    except psutil.Error:
        return False


if __name__ == "__main__":
    _watch(int(sys.argv[1]))
