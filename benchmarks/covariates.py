"""Do covariates or one global model help? Four variants on the same rolling-origin backtest.

Job (issue 16): on each ticker, the default LSTM configuration is backtested from ``--start``
(default 2019-01-02) to the data's end, refitted every ``--refit-every`` (63) trading days on an
expanding window, forecasting one day ahead from every origin, as

- (a) ``single``: one model per ticker, on its own prices;
- (b) ``single+cov``: the same with past covariates: the log returns of the market proxy (the
  equal-weight index of all the tickers, ``"A+B+..."``) and of each other ticker;
- (c) ``global``: one model per refit over all the tickers (each scaled on its own past);
- (d) ``global+cov``: (c) with the market proxy's log returns as a covariate. A global model
  gives every series the same covariates, and a series cannot be its own covariate
  (:mod:`lstmlab.panel`), so the "other tickers" of (b) have no global counterpart.

Per ticker it prints each variant's pooled test RMSE ratio to the naive forecast and the
Diebold-Mariano p-value against naive, then whether (b) beats (a), (c) beats (a) and (d) beats
(c) at the 5% level (a DM test between the two variants' errors on the same origins; "beats"
only when p < 0.05 and its RMSE is lower). Training time of each variant (the refits' fit
seconds, and the variant's wall time), and the training time per epoch of the global model
against the single-series model's (all refits' fit seconds over all their epochs; target
<= 5.5x: it sees the windows of every ticker). Last line: the median ratio to naive over the
tickers of (c) and of (a).

Where ``--data-dir`` lacks a ticker's CSV a synthetic random walk of the same span stands in
(said in the output). Nothing is stored: every refit is trained. The full default run fits
about 5 x 20 x 4 models; ``--epochs``, ``--start``, ``--refit-every`` and ``--tickers`` make a
shorter one:

    PYTHONPATH=src python benchmarks/covariates.py [TICKERS ...] [--data-dir DIR] [--epochs N]
        [--start DATE] [--refit-every N] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from backtest import _prices  # the shared-data loader with its synthetic fallback

from lstmlab import stats
from lstmlab.backtest.panel import run_global_backtest
from lstmlab.backtest.plan import BacktestSettings
from lstmlab.backtest.result import Backtest
from lstmlab.backtest.run import run_backtest
from lstmlab.config import ForecastConfig
from lstmlab.data.covariates import market_proxy

ROOT = Path(__file__).resolve().parents[1]
TICKERS = ("TSLA", "AAPL", "AMZN", "GOOGL", "MSFT")
VARIANTS = ("single", "single+cov", "global", "global+cov")
EPOCH_TARGET = 5.5
CELL = "lstm"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickers", nargs="*", default=None)
    parser.add_argument("--tickers", dest="ticker_list", default=None,
                        help="comma-separated tickers (instead of the positional ones)")
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("LSTMLAB_DATA_DIR") or ROOT.parent / "shared" / "data"))
    parser.add_argument("--start", default="2019-01-02")
    parser.add_argument("--refit-every", type=int, default=63)
    parser.add_argument("--epochs", type=int, default=None,
                        help="maximum epochs (default: the configuration's)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="worker processes (0: one per core; 1: all in this process)")
    args = parser.parse_args()
    listed = args.ticker_list.split(",") if args.ticker_list else []
    args.tickers = [t.strip().upper() for t in (args.tickers or listed or TICKERS) if t.strip()]
    if len(args.tickers) < 2:
        parser.error("give at least two tickers: a global model and a market proxy need two")
    return args


def _per_epoch(backtests: list[Backtest]) -> float:
    """Fit seconds per epoch over every refit of ``backtests``."""
    refits = pd.concat([b.refits for b in backtests])
    return float(refits["fit_seconds"].sum() / refits["epochs"].sum())


def _step_one(backtest: Backtest) -> pd.DataFrame:
    return backtest.predictions.query("step == 1").set_index("origin")


def _versus(better: Backtest, worse: Backtest) -> str:
    """Whether ``better`` beats ``worse`` at 5%: a DM test on their errors at the same origins."""
    a, b = _step_one(better), _step_one(worse)
    common = a.index.intersection(b.index)
    error_a = (a.loc[common, "actual"] - a.loc[common, CELL]).to_numpy()
    error_b = (b.loc[common, "actual"] - b.loc[common, CELL]).to_numpy()
    test = stats.diebold_mariano(error_a, error_b)
    lower = np.mean(error_a**2) < np.mean(error_b**2)
    verdict = ("no significant difference" if not test.p_value < 0.05
               else "yes, better" if lower else "no, significantly worse")
    return f"{verdict} (DM p {test.p_value:.3f}, RMSE {'lower' if lower else 'not lower'})"


def main() -> None:
    args = _arguments()
    config = ForecastConfig(cell=CELL, train_loss_sample=256)  # as `lstmlab backtest` fits
    if args.epochs:
        config = config.replace(max_epochs=args.epochs)
    settings = BacktestSettings(args.start, refit_every=args.refit_every)
    prices, origins = {}, {}
    for ticker in args.tickers:
        prices[ticker], origins[ticker] = _prices(ticker, args.data_dir)
    proxy_name = "+".join(args.tickers)
    proxy = market_proxy(prices)
    print(f"covariates benchmark: tickers {', '.join(args.tickers)}; LSTM default "
          f"configuration, max_epochs {config.max_epochs}"
          f"{' (lowered with --epochs)' if args.epochs else ''}, patience {config.patience}, "
          f"train_loss_sample {config.train_loss_sample}; start {args.start}, refit every "
          f"{args.refit_every} days, expanding window, one day ahead; jobs {args.jobs}; "
          f"market proxy: equal-weight index of {proxy_name}; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    for ticker in args.tickers:
        print(f"{ticker}: {origins[ticker]}")
    results: dict[str, dict[str, Backtest]] = {v: {} for v in VARIANTS}
    seconds: dict[str, float] = dict.fromkeys(VARIANTS, 0.0)
    fits: dict[str, float] = dict.fromkeys(VARIANTS, 0.0)
    for ticker in args.tickers:
        others = [t for t in args.tickers if t != ticker]
        covariates = {proxy_name: ("log_return",), **{t: ("log_return",) for t in others}}
        frames = {proxy_name: proxy, **{t: prices[t] for t in others}}
        for variant, cfg, given in (("single", config, None),
                                    ("single+cov", config.replace(covariates=covariates),
                                     frames)):
            start = time.perf_counter()
            result = run_backtest(prices[ticker], {CELL: cfg}, settings, jobs=args.jobs,
                                  covariates=given)
            wall = time.perf_counter() - start
            results[variant][ticker] = result
            seconds[variant] += wall
            fits[variant] += result.fit_seconds
            print(f"{ticker} {variant}: {wall:.1f} s", flush=True)
    proxy_only = config.replace(covariates={proxy_name: ("log_return",)})
    for variant, cfg, given in (("global", config, None),
                                ("global+cov", proxy_only, {proxy_name: proxy})):
        start = time.perf_counter()
        outcome = run_global_backtest(prices, {CELL: cfg}, settings, jobs=args.jobs,
                                      covariates=given)
        seconds[variant] = time.perf_counter() - start
        results[variant] = outcome.per_series
        fits[variant] = outcome.fit_seconds
        print(f"{variant}: {seconds[variant]:.1f} s", flush=True)
    _report(args.tickers, results, seconds, fits)


def _report(tickers: list[str], results: dict[str, dict[str, Backtest]],
            seconds: dict[str, float], fits: dict[str, float]) -> None:
    print("\nper ticker: pooled one-step test RMSE ratio to naive (DM p-value against naive)")
    print(f"{'ticker':<7}" + "".join(f"{v:>24}" for v in VARIANTS))
    for ticker in tickers:
        cells = []
        for variant in VARIANTS:
            backtest = results[variant][ticker]
            row = backtest.metrics.query("scope == 'pooled' and step == 1 and model == @CELL")
            cells.append(f"{row['rmse_ratio'].iloc[0]:.3f} (p {row['dm_p_value'].iloc[0]:.3f})")
        print(f"{ticker:<7}" + "".join(f"{c:>24}" for c in cells))
    print("\nbetter at the 5% level? (two-sided DM test between the two variants' errors at the "
          "same origins)")
    for ticker in tickers:
        r = {v: results[v][ticker] for v in VARIANTS}
        print(f"{ticker}: covariates (b vs a) {_versus(r['single+cov'], r['single'])}; "
              f"pooling (c vs a) {_versus(r['global'], r['single'])}; "
              f"covariates in the global model (d vs c) {_versus(r['global+cov'], r['global'])}")
    print("\ntraining time per variant (fit seconds of all refits; wall seconds of the variant)")
    for variant in VARIANTS:
        print(f"{variant:<11} fits {fits[variant]:8.1f} s   wall {seconds[variant]:8.1f} s")
    single = _per_epoch(list(results["single"].values()))
    pooled = _per_epoch([next(iter(results["global"].values()))])  # one global fit per refit
    print(f"time per epoch: global {pooled:.3f} s on {len(tickers)} series, single "
          f"{single:.3f} s: {pooled / single:.2f}x (target <= {EPOCH_TARGET}x); load average "
          f"{os.getloadavg()[0]:.1f}")
    medians = {v: float(np.median([results[v][t].ratio(CELL) for t in tickers]))
               for v in ("global", "single")}
    print(f"global vs single (median ratio to naive): {medians['global']:.3f} vs "
          f"{medians['single']:.3f}")


if __name__ == "__main__":
    main()
