"""The examples run end to end (briefly) and write what they promise."""

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

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


NOTEBOOK = ROOT / "examples" / "tesla_hands_on.ipynb"
CELL_SECONDS = 300  # per cell; the whole notebook took about a minute on a busy 2-core machine


def test_tesla_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert code[0].source.startswith("EPOCHS = ")  # the small settings come first


def test_tesla_notebook_runs_every_cell(price_dir, monkeypatch):
    """Execute the notebook in a fresh kernel; any cell that raises fails the test."""
    monkeypatch.setenv("LSTMLAB_DATA_DIR", str(price_dir))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 7  # prices, gates, two loss charts, predictions, forecast, adding
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "largest difference:" in text and "memoryless baseline" in text
