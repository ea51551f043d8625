"""Placebo test: does the default model do better on a real ticker than on random walks like it?

For each ticker, fit the default ``ForecastConfig`` (``max_epochs`` set by ``--epochs``) on the
real prices and on ``--series`` (at least 20) simulated geometric Brownian motions that share the
ticker's dates, first price, and the mean and volatility of its daily log returns over the
training period. A random walk holds nothing to learn, so the simulated test ratios (model RMSE /
naive RMSE) are the null distribution; the real ratio's percentile in it (the share of placebo
ratios at or below it) says whether the real series gave the model anything a random walk does
not: a percentile of 5 or less would be evidence of skill, one near 50 none.

Each ticker's result is written to ``<out>/<TICKER>.json``; the HTML report of a run whose data
is that ticker quotes it when the file sits in ``runs/placebo/`` beside the run.

    python benchmarks/placebo.py [TSLA AAPL MSFT] [--data-dir DIR] [--series 20] [--epochs 5]
                                 [--out runs/placebo]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.fileio import atomic_write_json

ROOT = Path(__file__).resolve().parents[1]

MIN_SERIES = 20


def rmse_ratio(prices: pd.DataFrame, config: ForecastConfig) -> tuple[float, Forecaster]:
    """Fit ``config`` on ``prices``; the model's test RMSE over the naive forecast's."""
    forecaster = Forecaster(config).fit(prices, verbose=False)
    test = forecaster.evaluate(prices).at_step().loc["test"]
    return float(test.loc[config.cell, "rmse"] / test.loc["naive", "rmse"]), forecaster


def training_moments(prices: pd.DataFrame, train_last: str) -> tuple[float, float]:
    """Mean and standard deviation of the daily log returns up to ``train_last``."""
    close = prices["close"].loc[:train_last].to_numpy()
    returns = np.diff(np.log(close))
    return float(returns.mean()), float(returns.std(ddof=1))


def gbm_like(dates: pd.DatetimeIndex, first: float, mu: float, sigma: float,
             seed: int) -> pd.DataFrame:
    """Closes of a geometric Brownian motion on ``dates``, starting at ``first``."""
    rng = np.random.default_rng(seed)
    steps = np.concatenate([[0.0], rng.normal(mu, sigma, len(dates) - 1)])
    close = first * np.exp(np.cumsum(steps))
    return load_prices(pd.DataFrame({"close": close}, index=dates))


def placebo(ticker: str, prices: pd.DataFrame, config: ForecastConfig, series: int) -> dict:
    """The real ratio, the placebo ratios and the real ratio's percentile among them."""
    real, forecaster = rmse_ratio(prices, config)
    mu, sigma = training_moments(prices, forecaster.manifest_["split_dates"]["train"]["last"])
    ratios = [rmse_ratio(gbm_like(prices.index, prices["close"].iloc[0], mu, sigma, seed),
                         config)[0] for seed in range(series)]
    percentile = 100.0 * float(np.mean(np.asarray(ratios) <= real))
    return {"ticker": ticker, "real_ratio": real, "placebo_ratios": ratios,
            "percentile": percentile, "series": series, "mu": mu, "sigma": sigma,
            "config": config.to_dict()}


def _load(ticker: str, data_dir: Path) -> pd.DataFrame:
    path = data_dir / f"{ticker}.csv"
    if path.exists():
        return load_prices(path)
    print(f"{path} not found: a synthetic series (GBM, 0.05% drift, 2% volatility) stands in "
          f"for {ticker}")
    dates = pd.bdate_range("2013-01-02", periods=2768, name="date")
    return gbm_like(dates, 20.0, 0.0005, 0.02, seed=sum(map(ord, ticker)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickers", nargs="*", default=["TSLA", "AAPL", "MSFT"])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--series", type=int, default=MIN_SERIES)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("runs") / "placebo")
    args = parser.parse_args()
    if args.series < MIN_SERIES:
        parser.error(f"--series must be at least {MIN_SERIES}, got {args.series}")
    config = ForecastConfig(max_epochs=args.epochs)
    print(f"config: defaults (cell={config.cell}, target={config.target}, split "
          f"{config.split}) with max_epochs={config.max_epochs}; {args.series} GBM series each")
    print(f"{'ticker':<8}{'real ratio':>12}{'placebo median':>16}{'placebo 5-95%':>18}"
          f"{'percentile':>12}{'s':>8}")
    for ticker in args.tickers:
        start = time.perf_counter()
        result = placebo(ticker, _load(ticker, args.data_dir), config, args.series)
        atomic_write_json(args.out / f"{ticker}.json", result)
        low, mid, high = np.percentile(result["placebo_ratios"], [5, 50, 95])
        print(f"{ticker:<8}{result['real_ratio']:>12.4f}{mid:>16.4f}"
              f"{f'{low:.4f}-{high:.4f}':>18}{result['percentile']:>11.0f}%"
              f"{time.perf_counter() - start:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
