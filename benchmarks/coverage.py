"""Do lstmlab's 90% bands cover 90% of next-day prices? A rolling-origin check, 2019-2023.

For each ticker, refit every ``--refit-every`` trading days (126 by default) from ``--start``
(2019-01-01) to the end of the data (2023-12-29 for the shared files): each refit sees only the
rows before its refit date (the last 20% of them are validation: early stopping on its first
half, conformal calibration on its second) and forecasts the next day from every origin up to
the next refit. The fits (one per ticker, refit and loss) run in parallel over the cores.

Methods, one-step-ahead, nominal 90%:
- present residual band: the 5%/95% quantiles of the point model's validation log errors;
- split conformal and adaptive conformal (Gibbs & Candes 2021, gamma 0.005, one online run
  over the whole period, carried across refits) around the point (MSE) model;
- quantile, Gaussian and Student-t heads: each model's own 5%/95% quantiles, uncalibrated, and
  the same bands widened by adaptive conformal;
- naive with a volatility band: tomorrow = today, +-1.645 sigma of the last 60 log returns.

For each: coverage, mean width (USD and % of the band's log-scale centre), mean interval
(Winkler) score, and a Diebold-Mariano p-value of the interval-score difference against the naive
volatility band.

    python benchmarks/coverage.py [TICKERS ...] [--data-dir DIR] [--epochs N] [--jobs N]

Without price files for a ticker in ``--data-dir``, a synthetic random walk stands in (said so).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.baselines import volatility_band
from lstmlab.conformal import AdaptiveConformal, nonconformity
from lstmlab.interval_metrics import interval_metrics, interval_scores
from lstmlab.stats import diebold_mariano

ROOT = Path(__file__).resolve().parents[1]
LOSSES = ("mse", "quantile", "gaussian", "student_t")
ALPHA = 0.1
HEADS = (("quantile", "quantile head"), ("gaussian", "gaussian head"),
         ("student_t", "student-t head"))
METHODS = ("present residual band", "split conformal", "adaptive conformal",
           *(name for _, name in HEADS), *(f"adaptive conformal + {name}" for _, name in HEADS),
           "naive volatility band")


@dataclass(frozen=True)
class Task:
    """One fit: a ticker's rows up to the block's last target, a refit row and a loss."""

    ticker: str
    block: int
    prices: pd.DataFrame
    refit: int
    config: ForecastConfig


def plan(prices: pd.DataFrame, start: str, every: int) -> list[tuple[int, int]]:
    """``(refit_row, last_target_row)`` per block: refits every ``every`` rows from ``start``."""
    first = int(np.searchsorted(prices.index, pd.Timestamp(start)))
    refits = list(range(first, len(prices), every))
    return [(r, min(r + every, len(prices)) - 1) for r in refits]


def fit_block(task: Task) -> dict[str, object]:
    """Fit on the rows before the refit; forecast every origin of the block (its test part)."""
    start = time.perf_counter()
    past = task.refit
    split = (task.prices.index[int(past * 0.8)], task.prices.index[past])
    forecaster = Forecaster(task.config.replace(split=split)).fit(task.prices, verbose=False)
    block = forecaster.prepared_.test  # windows whose first target is on or after the refit
    from lstmlab.intervals import base_band, model_outputs, point_prices

    outputs = model_outputs(forecaster.model_, block.x)
    point = point_prices(forecaster.model_, outputs, forecaster.spec_, block.last_price)[:, 0]
    low, high = base_band(forecaster.model_, outputs, forecaster.spec_, block.last_price,
                          1 - ALPHA)
    level = forecaster.calibration_.levels[round(1 - ALPHA, 10)]
    residual = np.asarray(forecaster.band_)[0]  # (2,): 5% and 95% validation log errors
    return {
        "ticker": task.ticker, "block": task.block, "loss": task.config.loss,
        "dates": block.dates, "actual": block.actual[:, 0], "origin": block.origin,
        "point": point, "lower": low[:, 0], "upper": high[:, 0],
        "present": (point * np.exp(residual[0]), point * np.exp(residual[1])),
        "split_radius": level.split.radius[0],
        "calibration_scores": np.asarray(level.adaptive[0].history),
        "epochs": len(forecaster.history_), "seconds": time.perf_counter() - start,
    }


def bands(results: list[dict], prices: pd.DataFrame) -> dict[str, tuple[np.ndarray, ...]]:
    """Every method's ``(lower, upper)`` over the whole period, and ``actual`` and ``point``."""
    by_loss = {loss: sorted((r for r in results if r["loss"] == loss), key=lambda r: r["block"])
               for loss in LOSSES}
    mse = by_loss["mse"]

    def joined(rows: list[dict], key: str) -> np.ndarray:
        return np.concatenate([r[key] for r in rows])

    point, radius = joined(mse, "point"), joined_radius(mse)
    out = {
        "present residual band": (np.concatenate([r["present"][0] for r in mse]),
                                  np.concatenate([r["present"][1] for r in mse])),
        "split conformal": (point * np.exp(-radius), point * np.exp(radius)),
        "adaptive conformal": adaptive(mse),
    }
    for loss, name in HEADS:
        out[name] = (joined(by_loss[loss], "lower"), joined(by_loss[loss], "upper"))
        out[f"adaptive conformal + {name}"] = adaptive(by_loss[loss])
    origin = joined(mse, "origin")
    low, high = volatility_band(prices["close"].to_numpy(), origin, 1, ALPHA)
    out["naive volatility band"] = (low[:, 0], high[:, 0])
    dates = pd.DatetimeIndex(np.concatenate([r["dates"] for r in mse]))
    return {"actual": joined(mse, "actual"), "point": point, "dates": dates, **out}


def joined_radius(rows: list[dict]) -> np.ndarray:
    """Each block's split-conformal radius, repeated over its origins."""
    return np.concatenate([np.full(len(r["point"]), r["split_radius"]) for r in rows])


def adaptive(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive conformal around each block's base band (a point model's: its forecast),
    online across all blocks in order, seeded with the first block's calibration scores."""
    aci = AdaptiveConformal(rows[0]["calibration_scores"], ALPHA, gamma=0.005)
    lower, upper = [], []
    for r in rows:
        scores = nonconformity(np.log(r["lower"]), np.log(r["upper"]), np.log(r["actual"]))
        radii, _ = aci.run(scores)
        lower.append(r["lower"] * np.exp(-radii))
        upper.append(r["upper"] * np.exp(radii))
    return np.concatenate(lower), np.concatenate(upper)


def report(ticker: str, result: dict[str, np.ndarray], blocks: int) -> dict[str, dict]:
    """Print one ticker's table; return each method's scores."""
    actual = result["actual"]
    naive_scores = interval_scores(actual, *result["naive volatility band"], ALPHA)
    print(f"\n{ticker}: {blocks} refits, {len(actual)} one-step forecasts "
          f"{result['dates'][0]:%Y-%m-%d} .. {result['dates'][-1]:%Y-%m-%d}")
    print(f"{'method':<40}{'coverage':>10}{'width USD':>11}{'width %':>9}{'int. score':>12}"
          f"{'DM p vs naive':>15}")
    scores = {}
    for method in METHODS:
        lower, upper = result[method]
        centre = np.sqrt(lower * upper)  # the band's centre on the log scale
        metrics = interval_metrics(actual, lower, upper, centre, ALPHA)
        own = interval_scores(actual, lower, upper, ALPHA)
        p = (np.nan if method == "naive volatility band" else
             diebold_mariano(np.sqrt(own), np.sqrt(naive_scores)).p_value)
        metrics["p_value"] = p
        scores[method] = metrics
        print(f"{method:<40}{metrics['coverage']:>10.1%}{metrics['width']:>11.2f}"
              f"{metrics['width_pct']:>8.2f}%{metrics['interval_score']:>12.3f}"
              f"{'' if np.isnan(p) else f'{p:.3f}':>15}")
    return scores


def load(ticker: str, data_dir: Path) -> tuple[pd.DataFrame, bool]:
    """A ticker's prices, or a synthetic random walk (True) when its file is absent."""
    path = data_dir / f"{ticker}.csv"
    if path.is_file():
        return load_prices(path), False
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import synthetic_price_csv

    fake = Path(os.environ.get("TMPDIR", "/tmp")) / f"lstmlab-synthetic-{ticker}.csv"
    return load_prices(synthetic_price_csv(fake, seed=sum(map(ord, ticker)))), True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickers", nargs="*", default=["TSLA", "AAPL", "AMZN", "GOOGL", "MSFT"])
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--start", default="2019-01-01")
    parser.add_argument("--refit-every", type=int, default=126)
    parser.add_argument("--epochs", type=int, default=ForecastConfig().max_epochs)
    parser.add_argument("--hidden-size", type=int, default=ForecastConfig().hidden_size)
    parser.add_argument("--lookback", type=int, default=ForecastConfig().lookback)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    base = ForecastConfig(max_epochs=args.epochs, hidden_size=args.hidden_size,
                          lookback=args.lookback, alpha=ALPHA)
    defaults = ForecastConfig()
    print(f"config: {base.cell}, hidden {base.hidden_size}, lookback {base.lookback}, "
          f"max_epochs {base.max_epochs}, patience {base.patience}"
          + ("" if (args.epochs, args.hidden_size, args.lookback) ==
             (defaults.max_epochs, defaults.hidden_size, defaults.lookback)
             else f" (reduced from the defaults {defaults.hidden_size}/{defaults.lookback}/"
                  f"{defaults.max_epochs} to fit the time available)")
          + f"; refit every {args.refit_every} days from {args.start}; {args.jobs} worker(s)")
    tasks, frames = [], {}
    for ticker in args.tickers:
        prices, synthetic = load(ticker, args.data_dir)
        if synthetic:
            print(f"{ticker}: no {args.data_dir / (ticker + '.csv')}, using a synthetic walk")
        frames[ticker] = prices
        for block, (refit, last) in enumerate(plan(prices, args.start, args.refit_every)):
            for loss in LOSSES:
                tasks.append(Task(ticker, block, prices.iloc[: last + 1], refit,
                                  base.replace(loss=loss)))
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(fit_block, tasks))
    print(f"{len(tasks)} fits in {time.perf_counter() - start:.0f} s wall, "
          f"{sum(r['seconds'] for r in results):.0f} s of fitting; median epochs "
          f"{np.median([r['epochs'] for r in results]):.0f}")
    summary(args.tickers, results, frames)


def summary(tickers: list[str], results: list[dict], frames: dict[str, pd.DataFrame]) -> None:
    """Per-ticker tables, then the verdicts against the targets."""
    lower_count, significant, errors = 0, 0, {}
    lstmlab_methods = [m for m in METHODS if m != "naive volatility band"]
    for ticker in tickers:
        mine = [r for r in results if r["ticker"] == ticker]
        blocks = len({r["block"] for r in mine})
        scores = report(ticker, bands(mine, frames[ticker]), blocks)
        best = min(lstmlab_methods, key=lambda m: scores[m]["interval_score"])
        naive = scores["naive volatility band"]["interval_score"]
        better = scores[best]["interval_score"] < naive
        lower_count += better
        significant += better and scores[best]["p_value"] < 0.05
        errors[ticker] = abs(scores["adaptive conformal"]["coverage"] - (1 - ALPHA)) * 100
        print(f"best lstmlab method on interval score: {best} "
              f"({scores[best]['interval_score']:.3f} against naive {naive:.3f}, "
              f"DM p = {scores[best]['p_value']:.3f})")
    print(f"\nbest lstmlab method (chosen per ticker on these same days, so optimistic) has a "
          f"lower mean interval score than the naive volatility band on {lower_count} of "
          f"{len(tickers)} tickers, significantly (DM p < 0.05) on {significant}")
    print("adaptive conformal coverage error (points): "
          + ", ".join(f"{t} {e:.1f}" for t, e in errors.items()))
    print(f"worst coverage error (adaptive conformal): {max(errors.values()):.1f} points")


if __name__ == "__main__":
    main()
