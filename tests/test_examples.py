"""The examples run end to end (briefly) and write what they promise."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tesla_example_writes_charts_and_prints_baselines(tsla_csv, tmp_path):
    out = tmp_path / "tesla"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tesla.py"), str(tsla_csv), "--epochs", "1",
         "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    for stem in ("loss_rnn", "loss_lstm", "loss_overlay", "predictions", "residuals"):
        assert (out / f"{stem}.png").stat().st_size > 0
        assert (out / f"{stem}.svg").exists()
    for model in ("rnn", "lstm", "naive", "drift", "moving_average", "mean_return"):
        assert model in result.stdout
