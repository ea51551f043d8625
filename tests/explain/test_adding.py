"""The adding problem in the explorer: trained once, reloaded after, walked on one sequence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmlab.errors import ModelFileError
from lstmlab.explain.adding import adding_model, adding_walk, model_file
from lstmlab.explain.make import explain_adding
from lstmlab.memory.tasks import AddingTask
from lstmlab.memory.train import MemoryConfig
from lstmlab.recording import record_gates

TINY = MemoryConfig(task="adding", cell="lstm", length=24, steps=15, hidden_size=8,
                    eval_every=15, test_size=64)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """A folder holding the tiny adding model, trained once."""
    folder = tmp_path_factory.mktemp("adding")
    _, trained = adding_model(folder, TINY)
    assert trained and model_file(folder, TINY).is_file()
    return folder


def test_a_saved_model_is_reloaded_with_the_same_weights(kept):
    first, _ = adding_model(kept, TINY)
    again, trained = adding_model(kept, TINY)
    assert not trained
    for name, weight in first.state_dict().items():
        assert torch.equal(weight, again.state_dict()[name]), name


def test_other_settings_train_a_new_model(kept, tmp_path):
    import shutil

    folder = shutil.copytree(kept, tmp_path / "copy")
    other = MemoryConfig(**{**TINY.__dict__, "steps": 16})
    assert model_file(folder, other) == model_file(folder, TINY)  # same file name...
    _, trained = adding_model(folder, other)
    assert trained  # ...but its saved settings differ, so it is retrained


def test_a_damaged_model_file_is_reported(kept, tmp_path):
    import shutil

    folder = shutil.copytree(kept, tmp_path / "copy")
    path = model_file(folder, TINY)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match=str(path)):
        adding_model(folder, TINY)


def test_the_walk_shows_the_recorded_gates_of_one_task_sequence(kept):
    model, _ = adding_model(kept, TINY)
    walk = adding_walk(model, TINY, seed=3)
    x, y = AddingTask().batch(1, 24, torch.Generator().manual_seed(3))
    with torch.no_grad(), record_gates(model) as trace:
        model(x)
    for name, gate in trace.layers[0].items():
        np.testing.assert_allclose(walk.layers[0][name], gate[0].numpy(), rtol=1e-6, atol=1e-7)
    assert walk.marks == torch.nonzero(x[0, :, 1]).flatten().tolist() and len(walk.marks) == 2
    assert walk.outcome.actual == pytest.approx(float(y[0, 0]))
    assert walk.outcome.naive == 1.0
    # the baseline keeps the markers, so only the values carry attribution
    np.testing.assert_array_equal(walk.attribution.values[:, 1], np.zeros(24))
    assert walk.attribution.completeness_error < 1e-6


def test_explain_adding_writes_the_page_and_reuses_the_model(tmp_path):
    made = explain_adding(tmp_path, "lstm", length=24, steps=15)
    assert made.path == tmp_path / "explain.html" and "(trained now)" in made.note
    again = explain_adding(tmp_path, "lstm", length=24, steps=15)
    assert "(reloaded)" in again.note
    assert again.path.read_text() == made.path.read_text()  # same model, same sequence
    gru = explain_adding(tmp_path, "gru", length=24, steps=15)
    assert gru.path == tmp_path / "explain-gru.html"
