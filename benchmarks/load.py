"""Memory that loading a price CSV adds: a 50 MB file and a small file with one long cell.

Targets (issue 18): the memory added by ``load_prices`` is at most 5x the file size for a
50 MB CSV, and under 100 MB for a ~195 KB file with one 10,000-character cell in a column that
is not used (before the fix it peaked at 1.36 GB). A file with a 1 MB cell and one with a long
cell in the Close column (refused with a DataError) are measured too.

Measure: **peak RSS growth**, the process's peak resident memory during the load (``VmHWM``,
reset just before it through ``/proc/self/clear_refs``) minus its resident memory before. Each
file is loaded in a fresh process, after a warm-up load of a tiny file so that imports and
pandas' first-call costs are not counted. Linux only (the /proc interface).

    python benchmarks/load.py [--mb 50]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 5.0
LONG_CELL_TARGET_MB = 100.0

_CHILD = r"""
import sys
from pathlib import Path
from lstmlab.data import load_prices
from lstmlab.errors import DataError

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise SystemExit(f"no {field} in /proc/self/status")

load_prices(sys.argv[2])  # warm-up: imports, pandas' first calls
Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
before = status("VmRSS")
try:
    rows = len(load_prices(sys.argv[1]))
    outcome = f"{rows} rows"
except DataError as err:
    outcome = f"DataError: {str(err)[:90]}"
print(status("VmHWM") - before, outcome)
"""


def yahoo_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """A Yahoo-style daily table (Date, Open, High, Low, Close, Adj Close, Volume)."""
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
    return pd.DataFrame({
        # hourly stamps: a 50 MB file has more rows than there are days in pandas' range
        "Date": pd.date_range("1900-01-01", periods=rows, freq="h").strftime("%Y-%m-%d %H:%M"),
        "Open": close * 1.001, "High": close * 1.01, "Low": close * 0.99, "Close": close,
        "Adj Close": close, "Volume": rng.integers(10**6, 10**8, rows)})


def write_files(folder: Path, megabytes: float) -> dict[str, Path]:
    """The measured files: big Yahoo file, long cell (10 kB and 1 MB) unused, long Close."""
    files = {}
    sample = yahoo_frame(1000).to_csv(index=False, float_format="%.6f").encode()
    rows_per_mb = 1e6 / len(sample) * 1000
    files[f"{megabytes:g} MB Yahoo CSV"] = folder / "big.csv"
    yahoo_frame(int(megabytes * rows_per_mb)).to_csv(files[f"{megabytes:g} MB Yahoo CSV"],
                                                     index=False, float_format="%.6f")
    for label, length in (("10,000-char cell", 10_000), ("1 MB cell", 1_000_000)):
        frame = yahoo_frame(2000).assign(Note="")
        frame.loc[7, "Note"] = "x" * length
        files[f"{label} in an unused column"] = folder / f"note-{length}.csv"
        frame.to_csv(files[f"{label} in an unused column"], index=False, float_format="%.6f")
    frame = yahoo_frame(2000).astype({"Close": str})
    frame.loc[7, "Close"] = "1" + "0" * 999_999 + "x"
    files["1 MB Close cell (refused)"] = folder / "long-close.csv"
    frame.to_csv(files["1 MB Close cell (refused)"], index=False)
    return files


def measure(path: Path, warm: Path) -> tuple[int, str]:
    """(peak RSS growth in bytes, what the load returned) in a fresh process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(warm)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"loading {path} failed:\n{done.stderr}")
    growth, outcome = done.stdout.strip().split(" ", 1)
    return int(growth), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the big CSV in MB")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}; measure: peak RSS growth during "
          f"load_prices (VmHWM reset before the load, minus VmRSS before)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = yahoo_frame(100).to_csv(folder / "warm.csv", index=False) or folder / "warm.csv"
        for label, path in write_files(folder, args.mb).items():
            size = path.stat().st_size
            growth, outcome = measure(path, warm)
            ratio = growth / size
            target = (f"target <= {RATIO_TARGET:g}x: {'met' if ratio <= RATIO_TARGET else 'MISSED'}"
                      if "Yahoo" in label else
                      f"target < {LONG_CELL_TARGET_MB:g} MB: "
                      f"{'met' if growth < LONG_CELL_TARGET_MB * 1e6 else 'MISSED'}")
            print(f"{label}: file {size / 1e6:.2f} MB, peak RSS growth {growth / 1e6:.1f} MB "
                  f"({ratio:.1f}x the file); {outcome}; {target}")


if __name__ == "__main__":
    main()
