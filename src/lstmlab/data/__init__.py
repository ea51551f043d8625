"""Price data: load, validate, split, scale and window stock series without look-ahead.

``load_prices`` reads a CSV path, a DataFrame or a ticker into a checked price frame;
``prepare`` turns it into scaled train / validation / test :class:`Windows`; ``latest_window``
gives the window to forecast beyond the data. See ``docs/data.md``.
"""

from lstmlab.data.load import load_prices
from lstmlab.data.prepare import Prepared, latest_window, prepare
from lstmlab.data.scale import Scaler
from lstmlab.data.windows import Windows

__all__ = ["Prepared", "Scaler", "Windows", "latest_window", "load_prices", "prepare"]
