"""Do lstmlab's 90% bands cover 90% of next-day prices? Rolling origins on the backtest engine.

For each ticker and each training loss (``mse``, ``quantile``, ``gaussian``, ``student_t``) one
backtest (:func:`lstmlab.backtest.run_backtest`) refits the model every ``--refit-every``
trading days (126) from ``--start`` (2019-01-01) to ``--end`` (2023-12-31) on the rows before
each refit date only (expanding window; each refit splits its past 70:15 into training and
validation, early stopping on the first half of validation, conformal calibration on the
second) and forecasts every origin one day ahead. The engine runs the refits over ``--jobs``
worker processes and keeps finished ones in ``--store``, so a rerun resumes.

Methods, one step ahead, nominal ``1 - alpha`` (90%), from the backtest's bands
(:mod:`lstmlab.backtest.bands`):

- present residual band: the point (MSE) model's forecast times the 5%/95% quantiles of its
  refit's validation errors (``Forecaster.band_``);
- split conformal and adaptive conformal (Gibbs & Candes 2021, gamma 0.005: one online run over
  all origins, carried across the refits) around the point model;
- quantile, Gaussian and Student-t heads: each model's own central quantiles, uncalibrated, and
  the same bands under adaptive conformal;
- naive with a volatility band: tomorrow = today, +-z sigma of the last 60 daily log returns.

For each: coverage, mean width (USD and % of the point forecast), mean interval (Winkler)
score, and the Diebold-Mariano p-value of the interval-score difference against the naive
volatility band (:func:`lstmlab.stats.diebold_mariano_losses`). The last line is the worst
adaptive-conformal coverage error over the tickers.

    PYTHONPATH=src python benchmarks/coverage.py [TICKERS ...] [--data-dir DIR] [--jobs N]
        [--epochs N] [--hidden-size N] [--lookback N] [--start DATE] [--end DATE] [--store DIR]

Model sizes default to :class:`lstmlab.ForecastConfig`'s; every setting is printed first.
Without a price file for a ticker in ``--data-dir``, a synthetic random walk stands in (said).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lstmlab import ForecastConfig, load_prices
from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.run import run_backtest

ROOT = Path(__file__).resolve().parents[1]
LOSSES = ("mse", "quantile", "gaussian", "student_t")
HEADS = (("quantile", "quantile head"), ("gaussian", "gaussian head"),
         ("student_t", "student-t head"))
NAIVE = "naive volatility band"
# (printed name, training loss, band method of lstmlab.backtest.bands)
METHODS = (("present residual band", "mse", "residual"), ("split conformal", "mse", "split"),
           ("adaptive conformal", "mse", "adaptive"),
           *((name, loss, "model") for loss, name in HEADS),
           *((f"adaptive conformal + {name}", loss, "adaptive") for loss, name in HEADS),
           (NAIVE, "mse", "volatility"))
SCORES = ("coverage", "width", "width_pct", "interval_score", "interval_dm_p_value")


def backtests(prices: pd.DataFrame, base: ForecastConfig, settings: BacktestSettings,
              jobs: int, store: Path | None) -> dict[str, pd.DataFrame]:
    """Per loss, the pooled step-1 scores of every band: rows (model, method), :data:`SCORES`."""
    out = {}
    for loss in LOSSES:
        began = time.perf_counter()
        result = run_backtest(prices, {base.cell: base.replace(loss=loss)}, settings,
                              jobs=jobs, store=store)
        refits = result.refits
        print(f"  {loss}: {len(refits)} refits, {time.perf_counter() - began:.0f} s wall, "
              f"{result.fit_seconds:.0f} s in fits ({int(refits['stored'].sum())} stored), "
              f"epochs {int(refits['epochs'].min())}-{int(refits['epochs'].max())}", flush=True)
        pooled = result.intervals.query("scope == 'pooled' and step == 1")
        out[loss] = pooled.set_index(["model", "method"])[[*SCORES, "n"]]
    return out


def report(ticker: str, scores: dict[str, pd.DataFrame], cell: str) -> dict[str, dict]:
    """Print one ticker's table; return each method's scores."""
    print(f"\n{ticker}: {int(scores['mse']['n'].iloc[0])} one-step forecasts")
    print(f"{'method':<40}{'coverage':>10}{'width USD':>11}{'width %':>9}{'int. score':>12}"
          f"{'DM p vs naive':>15}")
    table = {}
    for name, loss, method in METHODS:
        row = scores[loss].loc[("naive" if method == "volatility" else cell, method)]
        table[name] = {key: float(row[key]) for key in SCORES}
        p = table[name]["interval_dm_p_value"]
        print(f"{name:<40}{row['coverage']:>10.1%}{row['width']:>11.2f}"
              f"{row['width_pct']:>8.2f}%{row['interval_score']:>12.3f}"
              f"{'' if np.isnan(p) else f'{p:.3f}':>15}")
    return table


def load(ticker: str, data_dir: Path) -> tuple[pd.DataFrame, bool]:
    """A ticker's prices, or a synthetic random walk (True) when its file is absent."""
    path = data_dir / f"{ticker}.csv"
    if path.is_file():
        return load_prices(path), False
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import synthetic_price_csv

    fake = Path(os.environ.get("TMPDIR", "/tmp")) / f"lstmlab-synthetic-{ticker}.csv"
    return load_prices(synthetic_price_csv(fake, seed=sum(map(ord, ticker)))), True


def arguments() -> argparse.Namespace:
    defaults = ForecastConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickers", nargs="*", default=["TSLA", "AAPL", "AMZN", "GOOGL", "MSFT"])
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR", ROOT.parent / "shared" / "data")))
    parser.add_argument("--start", default="2019-01-01")
    parser.add_argument("--end", default="2023-12-31")
    parser.add_argument("--refit-every", type=int, default=126)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--cell", default=defaults.cell)
    parser.add_argument("--epochs", type=int, default=defaults.max_epochs)
    parser.add_argument("--hidden-size", type=int, default=defaults.hidden_size)
    parser.add_argument("--lookback", type=int, default=defaults.lookback)
    parser.add_argument("--train-loss-sample", type=int, default=256,
                        help="windows each epoch's train loss is estimated on (0: all); as "
                             "`lstmlab backtest`: the curve is not used to stop")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per core)")
    parser.add_argument("--store", type=Path, default=None,
                        help="folder of finished refits, so that a rerun resumes (default: none)")
    return parser.parse_args()


def settings_line(base: ForecastConfig, settings: BacktestSettings, jobs: int,
                  store: Path | None) -> str:
    """Every setting of the run, and how it differs from the defaults."""
    defaults = ForecastConfig()
    changed = {name: (getattr(defaults, name), getattr(base, name))
               for name in ("cell", "hidden_size", "lookback", "max_epochs", "alpha")
               if getattr(defaults, name) != getattr(base, name)}
    shown = ", ".join(f"{name} {value}" for name, value in base.to_dict().items()
                      if name not in ("loss", "covariates"))
    return (f"config (one per loss {', '.join(LOSSES)}): {shown}\n"
            f"backtest: {settings.to_dict()}; jobs {jobs or os.cpu_count()} "
            f"({'0: one per core' if not jobs else 'as asked'}); store {store}\n"
            + ("model settings are the ForecastConfig defaults" if not changed else
               "changed from the ForecastConfig defaults: "
               + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in changed.items())))


def main() -> None:
    args = arguments()
    base = ForecastConfig(cell=args.cell, max_epochs=args.epochs, hidden_size=args.hidden_size,
                          lookback=args.lookback, alpha=args.alpha,
                          train_loss_sample=args.train_loss_sample)
    settings = BacktestSettings(args.start, args.end, args.refit_every)
    print(settings_line(base, settings, args.jobs, args.store))
    began, tables = time.perf_counter(), {}
    for ticker in args.tickers:
        prices, synthetic = load(ticker, args.data_dir)
        print(f"{ticker}: " + (f"no {args.data_dir / (ticker + '.csv')}, a synthetic walk"
                               if synthetic else f"{len(prices)} rows"), flush=True)
        tables[ticker] = backtests(prices, base, settings, args.jobs, args.store)
    print(f"all backtests: {time.perf_counter() - began:.0f} s wall")
    summary({t: report(t, tables[t], base.cell) for t in args.tickers}, 1 - args.alpha)


def summary(scores: dict[str, dict[str, dict]], nominal: float) -> None:
    """The verdicts against the targets."""
    lower, significant, worse, errors = 0, 0, 0, {}
    lstmlab_methods = [name for name, _, _ in METHODS if name != NAIVE]
    for ticker, table in scores.items():
        best = min(lstmlab_methods, key=lambda m: table[m]["interval_score"])
        naive = table[NAIVE]["interval_score"]
        better = table[best]["interval_score"] < naive
        p = table[best]["interval_dm_p_value"]
        lower += better
        significant += better and p < 0.05
        worse += not better and p < 0.05
        errors[ticker] = abs(table["adaptive conformal"]["coverage"] - nominal) * 100
        print(f"{ticker}: best lstmlab method on interval score: {best} "
              f"({table[best]['interval_score']:.3f} against naive {naive:.3f}, DM p = {p:.3f})")
    print(f"\nthe best lstmlab method (chosen per ticker on these same days, so optimistic) has "
          f"a lower mean interval score than the naive volatility band on {lower} of "
          f"{len(scores)} tickers, significantly (DM p < 0.05) on {significant}; the naive band "
          f"is significantly better than that best method on {worse}")
    print("adaptive conformal coverage error (points): "
          + ", ".join(f"{t} {e:.1f}" for t, e in errors.items()))
    print(f"worst coverage error (adaptive conformal): {max(errors.values()):.1f} points")


if __name__ == "__main__":
    main()
