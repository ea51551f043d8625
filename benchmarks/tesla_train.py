"""The Tesla training job done two ways: a plain PyTorch loop and lstmlab, configured identically.

Job (issue 4): TSLA close, train through 2021, validation 2022, test 2023, lookback 60, one step
ahead, price target min-max scaled on the training part, LSTM hidden 64, one layer, batch 64,
20 epochs, Adam 1e-3, no early stopping, no gradient clipping, no learning-rate schedule.

Both loops record a train and a validation loss per epoch measured over the whole split in
evaluation mode, as lstmlab's loss chart needs (the issue asks for losses on the same scale). The
plain loop is also timed without that train-split pass, and lstmlab with its cheaper option, the
train loss estimated on 256 fixed training windows (``train_loss_sample``), so the cost of that
choice is visible. Prints the times, their ratios, both test RMSEs next to the naive forecast's,
and the share of each epoch that the whole-split train-loss pass takes.

    python benchmarks/tesla_train.py [--csv ../shared/data/TSLA.csv] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.pipeline import tensors
from lstmlab.training import evaluate_loss

ROOT = Path(__file__).resolve().parents[1]
LOOKBACK, EPOCHS, BATCH, HIDDEN, LR, SEED = 60, 20, 64, 64, 1e-3, 0
SAMPLE = 256  # training windows of the sampled train loss (ForecastConfig.train_loss_sample)
VAL_START, TEST_START = "2022-01-01", "2023-01-01"


def plain_windows(close: np.ndarray, dates: pd.DatetimeIndex, lo: float, hi: float):
    """Scaled windows of `LOOKBACK` closes and the next close, with each target's date."""
    scaled = (close - lo) / (hi - lo)
    x = np.lib.stride_tricks.sliding_window_view(scaled[:-1], LOOKBACK)  # (N, L)
    y = scaled[LOOKBACK:]
    return (
        torch.tensor(x[..., None], dtype=torch.float32),
        torch.tensor(y[:, None], dtype=torch.float32),
        dates[LOOKBACK:],
        close[LOOKBACK - 1 : -1],
    )


class PlainModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def plain_loop(frame: pd.DataFrame, eval_train: bool) -> tuple[float, float, float]:
    """Train as a tutorial would; return (seconds, test RMSE, naive RMSE) on the price scale.

    The seconds cover data preparation and training, as ``Forecaster.fit`` does.
    """
    start = time.perf_counter()
    close = frame["close"].to_numpy(dtype=np.float64)
    train_close = close[frame.index < VAL_START]
    lo, hi = train_close.min(), train_close.max()
    x, y, target_dates, last = plain_windows(close, frame.index, lo, hi)
    is_train = np.asarray(target_dates < VAL_START)
    is_val = np.asarray((target_dates >= VAL_START) & (target_dates < TEST_START))
    is_test = np.asarray(target_dates >= TEST_START)
    torch.manual_seed(SEED)
    model = PlainModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt, xv, yv = x[is_train], y[is_train], x[is_val], y[is_val]
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for idx in torch.randperm(len(xt), generator=generator).split(BATCH):
            loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            if eval_train:
                float(nn.functional.mse_loss(model(xt), yt))
            float(nn.functional.mse_loss(model(xv), yv))
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = model(x[is_test]).numpy()[:, 0] * (hi - lo) + lo
    actual = close[LOOKBACK:][is_test]
    rmse = float(np.sqrt(np.mean((pred - actual) ** 2)))
    naive = float(np.sqrt(np.mean((last[is_test] - actual) ** 2)))
    return seconds, rmse, naive


def lstmlab_run(frame: pd.DataFrame, threads: int,
                sample: int = 0) -> tuple[float, float, Forecaster]:
    """The same job with lstmlab, its train loss over the whole training split (``sample`` 0)
    or estimated on ``sample`` windows; return (seconds of the whole ``fit`` call, test RMSE,
    the fitted forecaster)."""
    config = ForecastConfig(
        cell="lstm",
        hidden_size=HIDDEN,
        num_layers=1,
        lookback=LOOKBACK,
        horizon=1,
        target="price",
        features=("close",),
        split=(VAL_START, TEST_START),
        scaler="minmax",
        batch_size=BATCH,
        max_epochs=EPOCHS,
        learning_rate=LR,
        patience=0,
        grad_clip=0.0,
        lr_factor=1.0,
        seed=SEED,
        num_threads=threads,
        train_loss_sample=sample,
    )
    start = time.perf_counter()
    forecaster = Forecaster(config).fit(frame, verbose=False)
    seconds = time.perf_counter() - start
    metrics = forecaster.evaluate(frame).metrics
    return seconds, float(metrics.loc[("test", "lstm"), "rmse"]), forecaster


def train_pass_share(forecaster: Forecaster, repeats: int = 5) -> tuple[float, float]:
    """Seconds of one whole-split train-loss pass (the median of ``repeats``, as the loop runs
    it: a forward in evaluation mode) and the mean seconds of an epoch of that fit."""
    train = tensors(forecaster.prepared_.train, torch.device("cpu"))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        evaluate_loss(forecaster.model_, train)
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(forecaster.history_["seconds"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=str(ROOT.parent / "shared" / "data" / "TSLA.csv"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads for both")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # the plain loop's; lstmlab sets the same from config
    frame = load_prices(args.csv)
    print(f"data: {args.csv}, {len(frame)} rows, torch threads {torch.get_num_threads()}")
    runs = {"plain": [], "plain_no_train_eval": [], "lstmlab": [], "lstmlab_sample": []}
    shares = []
    for _ in range(args.repeats):  # interleaved so that machine load hits all four alike
        plain_s, plain_rmse, naive_rmse = plain_loop(frame, eval_train=True)
        runs["plain"].append(plain_s)
        runs["plain_no_train_eval"].append(plain_loop(frame, eval_train=False)[0])
        lab_s, lab_rmse, fitted = lstmlab_run(frame, args.threads)
        runs["lstmlab"].append(lab_s)
        shares.append(train_pass_share(fitted))
        runs["lstmlab_sample"].append(lstmlab_run(frame, args.threads, SAMPLE)[0])
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"{'variant':<34}{'median s':>10}{'min s':>9}")
    labels = {
        "plain": "plain PyTorch loop",
        "plain_no_train_eval": "plain loop, no train-split eval",
        "lstmlab": "lstmlab Forecaster.fit",
        "lstmlab_sample": f"lstmlab, train loss on {SAMPLE} windows",
    }
    for key, label in labels.items():
        print(f"{label:<34}{med[key]:>10.2f}{min(runs[key]):>9.2f}")
    print(
        f"test RMSE (USD): plain {plain_rmse:.3f}, lstmlab {lab_rmse:.3f}, naive {naive_rmse:.3f}"
    )
    print(f"ratio lstmlab/plain (median training time): {med['lstmlab'] / med['plain']:.3f}")
    pass_s = statistics.median(p for p, _ in shares)
    epoch_s = statistics.median(e for _, e in shares)
    saved = (med["lstmlab"] - med["lstmlab_sample"]) / EPOCHS
    print(f"whole-split train-loss pass: {pass_s * 1000:.0f} ms, {pass_s / epoch_s:.0%} of an "
          f"epoch ({epoch_s * 1000:.0f} ms); the sampled train loss saves {saved * 1000:.0f} ms "
          f"per epoch (the pass, less the {SAMPLE}-window forward, is all it can save)")
    print(f"ratio lstmlab with train loss on {SAMPLE} windows / plain loop without train-split "
          f"eval: {med['lstmlab_sample'] / med['plain_no_train_eval']:.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
