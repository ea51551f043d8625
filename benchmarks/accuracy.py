"""lstmlab's default LSTM against the naive forecast on three real tickers, test year 2023.

For each ticker: train the default ``ForecastConfig`` (only the split is set, to dates, so that
the test period is 2023 and validation 2022), then print the test RMSE divided by the naive
"tomorrow = today" forecast's RMSE on the same days, and the directional accuracy with its
Pesaran-Timmermann p-value (direction beyond chance, one-sided). Target (issue 4): every ratio
<= 1.01.

    python benchmarks/accuracy.py [--data-dir ../shared/data] [--tickers TSLA,AAPL,MSFT]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lstmlab import ForecastConfig, Forecaster, load_prices

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--tickers", default="TSLA,AAPL,MSFT")
    args = parser.parse_args()
    config = ForecastConfig(split=("2022-01-01", "2023-01-01"))
    print(
        f"config: cell={config.cell} target={config.target} features={list(config.features)} "
        f"lookback={config.lookback} hidden={config.hidden_size} (defaults, split by date)"
    )
    columns = [("ticker", 7), ("RMSE", 9), ("naive", 9), ("ratio", 8), ("dir.acc", 9), ("p", 8),
               ("epochs", 8), ("s", 7)]
    print("".join(f"{name:<{w}}" if i == 0 else f"{name:>{w}}"
                  for i, (name, w) in enumerate(columns)))
    ratios = []
    for ticker in args.tickers.split(","):
        prices = load_prices(Path(args.data_dir) / f"{ticker}.csv")
        start = time.perf_counter()
        forecaster = Forecaster(config).fit(prices, verbose=False)
        seconds = time.perf_counter() - start
        metrics = forecaster.evaluate(prices).at_step()
        model, naive = metrics.loc[("test", config.cell)], metrics.loc[("test", "naive")]
        ratio = model["rmse"] / naive["rmse"]
        ratios.append(ratio)
        print(
            f"{ticker:<7}{model['rmse']:>9.3f}{naive['rmse']:>9.3f}{ratio:>8.4f}"
            f"{model['directional_accuracy']:>9.3f}{model['pt_p_value']:>8.3f}"
            f"{len(forecaster.history_):>8d}{seconds:>7.1f}"
        )
    print(f"max ratio: {max(ratios):.4f} (target <= 1.01)")


if __name__ == "__main__":
    main()
