"""Ray as a sweep starts it: a local cluster listens on 127.0.0.1 only and is torn down when
the sweep's process is killed with ``kill -9``; a real ``ray start --head`` cluster (token
authentication on) is joined with ``--address``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import TINY_GRID

pytest.importorskip("ray", reason="Ray is not installed (the lstmlab[ray] extra)")
psutil = pytest.importorskip("psutil", reason="psutil comes with the lstmlab[ray] extra")
pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[2]

_LOCAL = """
import os, time, psutil
from lstmlab.sweep.runner import connect
connect(cpus=1)
me = psutil.Process()
kids = [p for p in me.children(recursive=True)]
listening = {str(c.laddr.ip) for p in kids for c in p.net_connections("inet")
             if c.status == "LISTEN"}
print(" ".join(str(p.pid) for p in kids), "|", " ".join(sorted(listening)), flush=True)
time.sleep(600)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      os.environ.get("PYTHONPATH")]))
    return {**env, **extra}


def test_local_ray_listens_on_loopback_and_dies_with_a_killed_sweep(tmp_path):
    errors = tmp_path / "stderr.txt"
    with open(errors, "w") as stderr:
        driver = subprocess.Popen([sys.executable, "-c", _LOCAL], stdout=subprocess.PIPE,
                                  stderr=stderr, text=True, env=_env())
    try:
        line = driver.stdout.readline()  # after Ray has started (or the driver has died)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    assert "|" in line, f"the driver did not start Ray: {errors.read_text()[-2000:]}"
    pids_text, addresses = line.split("|")
    pids = [int(p) for p in pids_text.split()]
    assert len(pids) >= 3 and addresses.split(), "Ray did not start"
    assert set(addresses.split()) <= {"127.0.0.1", "::ffff:127.0.0.1", "::1"}, addresses
    processes = []
    for pid in pids:
        try:
            processes.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(processes, timeout=60)  # returns as soon as all are gone
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running after kill -9: {[p.name() for p in alive]}"


def _wait_for(port: int, head: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Until the head node accepts connections on ``port`` (Ray starts in seconds, or more on
    a loaded machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and head.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"`ray start --head` did not listen on port {port}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sweep_joins_a_ray_start_head_cluster_with_token_auth(prices_csv, tmp_path):
    port, temp = _free_port(), tempfile.mkdtemp(prefix="rh", dir="/tmp")
    token = tmp_path / "token"
    token.write_text("lstmlab-test-" + "0" * 32, encoding="utf-8")
    auth = {"RAY_AUTH_TOKEN_PATH": str(token)}
    head = subprocess.Popen(
        ["ray", "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port",
         str(port), "--num-cpus", "1", "--include-dashboard", "false", "--temp-dir", temp,
         "--disable-usage-stats"], env=_env(RAY_AUTH_MODE="token", **auth),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(port, head)
        grid = [a for spec in (*TINY_GRID[:-2], "max_epochs=1") for a in ("--grid", spec)]
        done = subprocess.run(
            [sys.executable, "-m", "lstmlab", "sweep", str(prices_csv), *grid, "--no-charts",
             "--out", str(tmp_path / "sweep"), "--address", f"127.0.0.1:{port}", "--quiet"],
            env=_env(**auth), capture_output=True, text=True, timeout=240)
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # `ray start --block` stops what it started
        head.wait(timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(tmp_path / "sweep" / "leaderboard.csv")
