"""The adding problem in the explorer: a small trained model on one sequence of the task.

The model comes from the memory lab (:func:`lstmlab.memory.train.train_memory`) and is kept in
the explain folder as ``models/adding-<cell>-T<length>.safetensors``, so that a second
``lstmlab explain --task adding`` reuses it. The page's sequence is a fresh draw of the task;
the attribution baseline keeps the two markers and sets every value to 0, so integrated
gradients show how much of the prediction each marked value carries.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path

import torch

from lstmlab.errors import ModelFileError
from lstmlab.explain.attribution import integrated_gradients
from lstmlab.explain.walk import Outcome, Walk, record_sequence
from lstmlab.memory.tasks import AddingTask
from lstmlab.memory.train import MemoryConfig, build_model, train_memory
from lstmlab.model import SequenceRegressor
from lstmlab.vocabulary import display_name

__all__ = ["adding_model", "adding_walk", "model_file"]

_FORMAT = "lstmlab.explain.adding/1"


def model_file(folder: str | os.PathLike[str], config: MemoryConfig) -> Path:
    """Where the adding model of ``config`` is kept inside ``folder``."""
    return Path(folder) / "models" / f"adding-{config.cell}-T{config.length}.safetensors"


def adding_model(folder: str | os.PathLike[str],
                 config: MemoryConfig) -> tuple[SequenceRegressor, bool]:
    """The trained adding model of ``config``: loaded from ``folder`` when it is there with the
    same settings, else trained and saved there. Returns ``(model, trained_now)``."""
    from lstmlab import persist

    path = model_file(folder, config)
    settings = dataclasses.asdict(config)
    if path.is_file():
        state, meta = persist.load_model(path)
        if meta.get("format") == _FORMAT and meta["config"] == settings:
            model = build_model(config)
            try:
                model.load_state_dict(state, strict=True)
            except RuntimeError as err:
                raise ModelFileError(f"{path} does not fit the adding model ({err}); delete "
                                     f"it and run again to retrain") from None
            return model.eval(), False
    run = train_memory(config)
    manifest = {"test": run.test, "baseline": run.baseline, "seconds": run.seconds}
    persist.save_model(path, run.model.state_dict(),
                       {"format": _FORMAT, "config": settings, "manifest": manifest})
    return run.model.eval(), True


def adding_walk(model: SequenceRegressor, config: MemoryConfig, seed: int = 0) -> Walk:
    """Walk the adding model through one fresh sequence of ``config.length`` steps."""
    x, y = AddingTask().batch(1, config.length, torch.Generator().manual_seed(seed))  # (1, T, 2)
    marks = torch.nonzero(x[0, :, 1]).flatten().tolist()
    with torch.no_grad():
        predicted = float(model(x)[0, 0])
    baseline = x.clone()
    baseline[..., 0] = 0.0  # values 0, markers kept
    precise = copy.deepcopy(model).double()  # float64 for the attribution's quadrature
    attribution = integrated_gradients(lambda batch: precise(batch)[:, 0], x, baseline,
                                       units="sum", baseline_name="all values 0, markers kept")
    outcome = Outcome("sum of the two marked values", predicted, 1.0,
                      "always 1, the mean sum (MSE 1/6)", float(y[0, 0]))
    title = f"Flow of the memory: {display_name(config.cell)} on the adding problem"
    subtitle = (f"one sequence of {config.length} steps; markers at steps "
                f"{marks[0]} and {marks[1]}; model trained for {config.steps} steps")
    labels = [f"t = {k}" for k in range(config.length)]
    return Walk(config.cell, title, subtitle, labels, ["value", "marker"],
                x[0].double().numpy(), marks, record_sequence(model, x), outcome, attribution)
