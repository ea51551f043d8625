"""Early termination of poor trials with ASHA, on Ray Tune.

Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
Tuning", MLSys 2020) compares trials at rungs of ``grace_period * reduction_factor**k`` epochs
and stops a trial whose validation loss is not in the best ``1 / reduction_factor`` of those that
reached the rung. Each trial reports its validation loss after every epoch. Validation losses
are in the target's scaled units, fitted per series, so they are comparable across series of a
sweep as long as all configurations share one target.

A stopped trial is recorded with ``status="stopped"``: it has no run directory and does not
enter the leaderboard. Results are stored when Tune finishes; trials that completed before an
interruption keep their run directories, which a rerun summarises without training again.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lstmlab.errors import ConfigError
from lstmlab.sweep.trial import Trial, TrialOptions, TrialResult, run_trial

__all__ = ["AshaSettings", "run_asha"]


@dataclass(frozen=True)
class AshaSettings:
    """ASHA's rungs: the first at ``grace_period`` epochs, then every ``reduction_factor``
    times more; at each rung the best ``1 / reduction_factor`` of trials go on."""

    grace_period: int = 3
    reduction_factor: int = 3

    def __post_init__(self) -> None:
        if self.grace_period < 1 or self.reduction_factor < 2:
            raise ConfigError(f"ASHA needs grace_period >= 1 and reduction_factor >= 2, got "
                              f"{self.grace_period} and {self.reduction_factor}")


def run_asha(todo: list[Trial], sweep_dir: Path, options: TrialOptions, settings: AshaSettings,
             record: Callable[[TrialResult], None]) -> None:
    """Run ``todo`` as Ray Tune trials under an ASHA scheduler; ``record`` each outcome.

    Ray must already be connected (:func:`lstmlab.sweep.runner.connect`).
    """
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    max_epochs = max(trial.config.max_epochs for trial in todo)
    scheduler = ASHAScheduler(time_attr="epoch", metric="val_loss", mode="min", max_t=max_epochs,
                              grace_period=settings.grace_period,
                              reduction_factor=settings.reduction_factor,
                              stop_last_trials=False)  # a trial reaching max_t ends itself
    trainable = tune.with_resources(
        tune.with_parameters(_trainable, trials=todo, sweep_dir=sweep_dir, options=options),
        {"cpu": options.threads})
    tuner = tune.Tuner(
        trainable, param_space={"index": tune.grid_search(list(range(len(todo))))},
        tune_config=tune.TuneConfig(scheduler=scheduler, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(sweep_dir / "tune"), verbose=0,
                                  name=f"asha-{datetime.now():%Y%m%d-%H%M%S}"))
    for outcome in tuner.fit():  # type: ignore[attr-defined]  # iterates by __getitem__
        record(_outcome(todo[outcome.config["index"]], outcome.metrics or {}, outcome.error))


def _trainable(params: dict[str, Any], trials: list[Trial], sweep_dir: Path,
               options: TrialOptions) -> None:
    """One Tune trial: report the validation loss every epoch, then the whole result."""
    from ray import tune

    def report(cell: str, epoch: Mapping[str, float]) -> None:
        tune.report({"epoch": int(epoch["epoch"]), "val_loss": float(epoch["val_loss"])})

    result = run_trial(trials[params["index"]], sweep_dir, options, on_epoch=report)
    # Tune insists on the metric in every report; this last one repeats the last epoch, so
    # ASHA reaches no new rung with it, and a failed trial reports the worst finite loss
    # (infinity would upset Tune's TensorBoard logger)
    tune.report({"epoch": int(result.metrics.get("epochs", 0)),
                 "val_loss": result.metrics.get("val_loss", sys.float_info.max),
                 "result": json.dumps(result.to_dict())})


def _outcome(trial: Trial, metrics: dict[str, Any], error: Exception | None) -> TrialResult:
    """The trial's own result, or a stopped or failed one built from Tune's record."""
    if "result" in metrics:
        return TrialResult.from_dict(json.loads(metrics["result"]))
    if error is not None:
        message = f"Ray Tune: {type(error).__name__}: {next(iter(str(error).splitlines()), '')}"
        return TrialResult(trial.key, trial.series.name, trial.label, "failed", message=message,
                           config=trial.config.to_dict())
    epoch, loss = metrics.get("epoch", 0), metrics.get("val_loss", math.nan)
    return TrialResult(trial.key, trial.series.name, trial.label, "stopped",
                       message=f"stopped early by ASHA after epoch {epoch} (validation loss "
                               f"{loss:.4f})", config=trial.config.to_dict())
