"""Charts are written as readable PNG files of a sensible size."""

import numpy as np
from matplotlib.image import imread

from lstmlab.memory.charts import gate_heatmaps, gradient_chart, learning_curves
from lstmlab.memory.train import MemoryConfig, train_memory


def _pixels(path):
    image = imread(path)
    return image.shape[1], image.shape[0], float(image[..., :3].std())


def test_learning_curves_one_panel_per_length(tmp_path):
    tiny = {"steps": 4, "batch_size": 4, "hidden_size": 3, "test_size": 8, "eval_every": 2}
    runs = [train_memory(MemoryConfig(cell=c, length=t, **tiny))
            for t in (3, 5) for c in ("rnn", "lstm")]
    width, height, spread = _pixels(learning_curves(runs, tmp_path / "c.png"))
    assert width > 800 and height > 300 and spread > 0.01  # two panels, not blank


def test_gradient_chart_and_gate_heatmaps(tmp_path):
    norms = {"rnn, untrained": np.logspace(-8, 0, 20), "lstm, trained": np.linspace(0.1, 1, 20)}
    assert _pixels(gradient_chart(norms, tmp_path / "g.png"))[2] > 0.01
    rng = np.random.default_rng(0)
    gates = {name: rng.uniform(size=(30, 6)) for name in ("f_t", "i_t", "o_t", "c_t")}
    path = gate_heatmaps(gates, tmp_path / "h.png", title="t", marks=[4, 20],
                         signal=rng.uniform(size=30), time_labels=[f"d{i}" for i in range(30)])
    width, height, spread = _pixels(path)
    assert height > width * 0.7 and spread > 0.05  # five stacked panels
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
