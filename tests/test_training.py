"""The training core (step and epoch loops), on a model that is not recurrent (it must not care)."""

import math

import pytest
import torch
from torch import nn

from lstmlab.errors import TrainingError
from lstmlab.training import (
    HISTORY_COLUMNS,
    BestWeights,
    TensorSplit,
    TrainSettings,
    evaluate_loss,
    optimizer_step,
    run_steps,
    train,
    train_loss_windows,
)


def _linear_problem(n: int = 256, seed: int = 0) -> tuple[TensorSplit, TensorSplit]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 2, generator=g)
    y = x.sum(dim=(1, 2)).unsqueeze(1) * 0.5 + 0.01 * torch.randn(n, 1, generator=g)
    half = n // 2
    return TensorSplit(x[:half], y[:half]), TensorSplit(x[half:], y[half:])


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 1))


def test_loss_falls_and_history_has_the_documented_columns():
    train_split, val_split = _linear_problem()
    result = train(
        _model(), train_split, val_split, TrainSettings(max_epochs=30, learning_rate=0.05)
    )
    history = result.history
    assert list(history.columns) == HISTORY_COLUMNS
    assert list(history["epoch"]) == list(range(1, len(history) + 1))
    assert history["val_loss"].iloc[-1] < 0.1 * history["val_loss"].iloc[0]


def test_train_and_val_loss_are_whole_split_eval_mode_losses():
    train_split, val_split = _linear_problem()
    model = _model()
    result = train(model, train_split, val_split, TrainSettings(max_epochs=3, patience=0))
    # with no early stopping the final epoch's weights are the best ones only if val improved;
    # recompute on the restored best weights and compare with the best epoch's row
    best = result.history.set_index("epoch").loc[result.best_epoch]
    assert math.isclose(best["val_loss"], evaluate_loss(model, val_split), rel_tol=1e-6)
    assert math.isclose(best["train_loss"], evaluate_loss(model, train_split), rel_tol=1e-6)


def test_same_seed_gives_identical_history():
    train_split, val_split = _linear_problem()
    settings = TrainSettings(max_epochs=5, seed=3)
    first = train(_model(), train_split, val_split, settings).history
    second = train(_model(), train_split, val_split, settings).history
    cols = ["train_loss", "val_loss", "lr", "train_batch_loss"]
    assert first[cols].equals(second[cols])


def test_early_stopping_restores_best_weights():
    train_split, val_split = _linear_problem()
    # validation targets unrelated to training targets: val loss soon stops improving
    val_split = TensorSplit(val_split.x, torch.randn_like(val_split.y) * 5)
    model = _model()
    result = train(model, train_split, val_split, TrainSettings(max_epochs=200, patience=3))
    assert result.stop_reason == "early_stopping"
    assert len(result.history) < 200
    best_val = result.history["val_loss"].min()
    assert math.isclose(evaluate_loss(model, val_split), best_val, rel_tol=1e-6)


def test_learning_rate_is_reduced_on_plateau():
    train_split, val_split = _linear_problem()
    # validation wants the opposite relation: every training step makes it worse
    val_split = TensorSplit(val_split.x, -val_split.y)
    settings = TrainSettings(max_epochs=20, patience=0, lr_patience=1, lr_factor=0.5)
    history = train(_model(), train_split, val_split, settings).history
    assert history["lr"].iloc[-1] < history["lr"].iloc[0]


def test_non_finite_loss_names_the_epoch():
    train_split, val_split = _linear_problem()
    bad = TensorSplit(train_split.x, train_split.y.clone())
    bad.y[0, 0] = float("nan")
    with pytest.raises(TrainingError, match=r"non-finite .* in epoch 1"):
        train(_model(), bad, val_split, TrainSettings(max_epochs=3))


def test_ctrl_c_stops_cleanly_and_keeps_best_model():
    train_split, val_split = _linear_problem()
    model = _model()
    seen = []

    def interrupt_at_third(record):
        seen.append(record["val_loss"])
        if record["epoch"] == 3:
            raise KeyboardInterrupt

    result = train(
        model, train_split, val_split, TrainSettings(max_epochs=50), on_epoch=interrupt_at_third
    )
    assert result.stop_reason == "interrupted"
    assert len(result.history) == 3  # the interruption came after epoch 3 was complete
    assert math.isclose(evaluate_loss(model, val_split), min(seen), rel_tol=1e-6)


def test_lr_factor_one_keeps_the_learning_rate():
    train_split, val_split = _linear_problem()
    val_split = TensorSplit(val_split.x, -val_split.y)
    settings = TrainSettings(max_epochs=6, patience=0, lr_patience=1, lr_factor=1.0)
    history = train(_model(), train_split, val_split, settings).history
    assert (history["lr"] == settings.learning_rate).all()


def test_restore_best_false_keeps_last_weights():
    train_split, val_split = _linear_problem()
    val_split = TensorSplit(val_split.x, -val_split.y)  # every epoch is worse than the first
    model = _model()
    settings = TrainSettings(max_epochs=4, patience=0, restore_best=False)
    result = train(model, train_split, val_split, settings)
    assert result.best_epoch == 1
    last = result.history["val_loss"].iloc[-1]
    assert math.isclose(evaluate_loss(model, val_split), last, rel_tol=1e-6)


def _batches(split: TensorSplit, count: int, size: int = 16):
    return (TensorSplit(split.x[i * size : (i + 1) * size], split.y[i * size : (i + 1) * size])
            for i in range(count))


def test_run_steps_takes_one_step_per_batch_with_the_scheduled_rate():
    train_split, _ = _linear_problem()
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    seen: list[tuple[int, float, float]] = []

    def record(step, loss, batch):
        seen.append((step, optimizer.param_groups[0]["lr"], float(loss)))

    taken = run_steps(model, optimizer, _batches(train_split, 5), schedule=lambda i: 0.1 / (i + 1),
                      on_step=record)
    assert taken == 5
    assert [s for s, _, _ in seen] == [1, 2, 3, 4, 5]
    assert [r for _, r, _ in seen] == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025, 0.02])
    assert all(math.isfinite(loss) for _, _, loss in seen)


def test_run_steps_stops_when_the_callback_says_so_and_evaluation_mode_is_undone():
    train_split, val_split = _linear_problem()
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def stop_at_third(step, loss, batch):
        evaluate_loss(model, val_split)  # leaves the model in evaluation mode
        return step == 3

    taken = run_steps(model, optimizer, _batches(train_split, 8), on_step=stop_at_third)
    assert taken == 3
    modes: list[bool] = []
    run_steps(model, optimizer, _batches(train_split, 2),
              on_step=lambda step, loss, batch: modes.append(model.training))
    assert modes == [True, True]


def test_optimizer_step_clips_the_global_gradient_norm():
    train_split, _ = _linear_problem()
    model = _model()
    big = TensorSplit(train_split.x, train_split.y * 1e6)
    optimizer_step(model, torch.optim.SGD(model.parameters(), lr=0.0), big,
                   nn.functional.mse_loss, grad_clip=0.5)
    norm = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
    assert float(norm) == pytest.approx(0.5, rel=1e-4)


def test_best_weights_keep_the_lowest_score_and_restore_it():
    model = _model()
    best = BestWeights(model)
    assert best.update(model, 2.0, 1)
    kept = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    assert not best.update(model, 3.0, 2)
    assert best.at == 1 and best.loss == 2.0
    best.restore(model)
    assert all(torch.equal(a, b) for a, b in zip(kept, model.parameters(), strict=True))


def test_a_train_loss_sample_is_an_estimate_and_leaves_training_unchanged():
    train_split, val_split = _linear_problem()
    settings = TrainSettings(max_epochs=4, patience=0)
    exact_model, sampled_model = _model(), _model()
    exact = train(exact_model, train_split, val_split, settings).history
    sampled = train(sampled_model, train_split, val_split,
                    TrainSettings(max_epochs=4, patience=0, train_loss_sample=32)).history
    # the same batches, hence the same weights and validation losses
    assert sampled["val_loss"].tolist() == exact["val_loss"].tolist()
    for a, b in zip(exact_model.parameters(), sampled_model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert exact["train_loss_sample"].tolist() == [0] * 4  # labelled: whole split
    assert sampled["train_loss_sample"].tolist() == [32] * 4  # labelled: an estimate
    measured = train_loss_windows(train_split, 32, settings.seed)
    assert measured.x.shape[0] == 32
    assert sampled["train_loss"].iloc[-1] == pytest.approx(
        evaluate_loss(sampled_model, measured), rel=1e-6)
    assert sampled["train_loss"].iloc[-1] != exact["train_loss"].iloc[-1]
    # an estimate of the same mean: close to the exact loss
    assert sampled["train_loss"].iloc[-1] == pytest.approx(exact["train_loss"].iloc[-1], rel=0.5)


def test_a_sample_as_large_as_the_split_is_the_whole_split():
    train_split, _ = _linear_problem(n=40)
    assert train_loss_windows(train_split, 40, 0) is train_split
    assert train_loss_windows(train_split, 0, 0) is train_split
    assert train_loss_windows(train_split, 10, 0).x.shape[0] == 10
