"""The Tesla hands-on: train a Simple RNN and an LSTM on TSLA daily closes, compare with baselines.

Writes the train & validation loss charts (one per model and the overlay), the predictions and
residual charts, and prints a metrics table of both models next to the naive, drift and
moving-average baselines on the validation and test periods.

    python examples/tesla.py [path/to/TSLA.csv] [--out out/tesla]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lstmlab import ForecastConfig, Forecaster, load_prices
from lstmlab.charts import loss_chart, prediction_chart, residual_chart, save_figure

DEFAULT_CSV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "TSLA.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    parser.add_argument("--out", default="out/tesla")
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    out = Path(args.out)
    prices = load_prices(args.csv)

    histories, metrics, predictions = {}, [], None
    names = {"rnn": "Simple RNN", "lstm": "LSTM"}
    for cell, name in names.items():
        config = ForecastConfig(cell=cell, max_epochs=args.epochs)
        forecaster = Forecaster(config).fit(prices, verbose=True)
        histories[name] = forecaster.history_
        save_figure(loss_chart({name: forecaster.history_}), out / f"loss_{cell}")
        evaluation = forecaster.evaluate(prices)
        metrics.append(evaluation.metrics)
        frame = evaluation.predictions
        predictions = frame if predictions is None else predictions.join(frame[[cell]])

    predictions = predictions.rename(columns=names)  # legend labels
    models = list(names.values())
    save_figure(loss_chart(histories, title="TSLA: train & validation loss"), out / "loss_overlay")
    save_figure(prediction_chart(predictions, models), out / "predictions")
    save_figure(residual_chart(predictions, models), out / "residuals")
    table = pd.concat(metrics)
    table = table[~table.index.duplicated()]  # baselines appear once per model run
    with pd.option_context("display.width", 160, "display.float_format", "{:.4f}".format):
        print(table)
    print(f"charts written to {out}/")


if __name__ == "__main__":
    main()
