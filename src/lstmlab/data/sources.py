"""Where prices come from: a CSV path, a pandas DataFrame, or a ticker symbol.

A ticker is resolved in this order, the first hit wins:

1. an existing file whose path is the given string (``"TSLA"`` names a file only if one exists);
2. ``<TICKER>.csv`` in the ``data_dir`` argument, when given;
3. ``<TICKER>.csv`` in ``$LSTMLAB_DATA_DIR``, when set;
4. ``<TICKER>.csv`` in the user cache directory (``$XDG_CACHE_HOME/lstmlab`` or
   ``~/.cache/lstmlab``);
5. a download with yfinance (the optional extra ``lstmlab[yahoo]``), written atomically as
   ``<TICKER>.csv`` into the first folder of 2-4 that applies, so the next call is offline.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lstmlab.errors import DataError
from lstmlab.fileio import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DATA_DIR_ENV", "data_dirs", "download_prices", "resolve_source"]

DATA_DIR_ENV = "LSTMLAB_DATA_DIR"
# Yahoo symbols: letters and digits with '.', '-', '=' or a leading '^' (BRK-B, ^GSPC, EURUSD=X)
_TICKER = re.compile(r"\^?[A-Za-z0-9][A-Za-z0-9.\-=]{0,14}")
_FILE_SUFFIXES = {".csv", ".txt", ".tsv"}


def data_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders searched for ``<TICKER>.csv``, in order (argument, environment, user cache)."""
    folders = []
    if data_dir is not None:
        folders.append(Path(data_dir).expanduser())
    if os.environ.get(DATA_DIR_ENV):
        folders.append(Path(os.environ[DATA_DIR_ENV]).expanduser())
    cache_root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    folders.append(Path(cache_root).expanduser() / "lstmlab")
    return folders


def resolve_source(
    source: Any, *, data_dir: str | os.PathLike[str] | None = None
) -> Path | pd.DataFrame:
    """Turn ``source`` into a readable CSV path or a DataFrame (see the module for the order)."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"cannot load prices from a {type(source).__name__}: pass a CSV path, "
            "a ticker symbol such as 'TSLA', or a pandas DataFrame"
        )
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if isinstance(source, os.PathLike) or not _looks_like_ticker(source):
        raise DataError(
            f"price file not found: {source} (working directory {Path.cwd()}); "
            "check the path, or pass a ticker symbol such as 'TSLA'"
        )
    return _find_or_download(source.upper(), data_dirs(data_dir))


def _looks_like_ticker(text: str) -> bool:
    return _TICKER.fullmatch(text) is not None and Path(text).suffix.lower() not in _FILE_SUFFIXES


def _find_or_download(ticker: str, folders: list[Path]) -> Path:
    for folder in folders:
        candidate = folder / f"{ticker}.csv"
        if candidate.is_file():
            return candidate
    try:
        import yfinance  # optional extra: imported only when a download is needed
    except ImportError:
        looked = ", ".join(str(f) for f in folders)
        raise DataError(
            f"no price file for ticker {ticker}: looked for {ticker}.csv in {looked}, and "
            "yfinance is not installed to download it; install the extra "
            f"(pip install 'lstmlab[yahoo]') or put {ticker}.csv in {folders[0]} "
            f"(or in the folder named by ${DATA_DIR_ENV})"
        ) from None
    return download_prices(ticker, folders[0] / f"{ticker}.csv", yfinance)


def download_prices(ticker: str, destination: Path, yfinance: Any) -> Path:
    """Download daily prices of ``ticker`` with ``yfinance`` and write them to ``destination``.

    The CSV has Yahoo's columns (``Date,Open,High,Low,Close,Adj Close,Volume``) with ISO dates
    and is written atomically, so an interrupted download never leaves a partial cache file.
    """
    try:
        history = yfinance.Ticker(ticker).history(period="max", auto_adjust=False)
    except Exception as exc:  # network, HTTP and parsing failures all mean the same to a user
        raise DataError(
            f"downloading {ticker} with yfinance failed ({type(exc).__name__}: {exc}); check "
            f"the symbol and the network, or put {ticker}.csv in {destination.parent}"
        ) from exc
    if history is None or len(history) == 0:
        raise DataError(
            f"yfinance returned no prices for ticker {ticker}; check the symbol "
            f"(Yahoo spelling, e.g. BRK-B), or put {ticker}.csv in {destination.parent}"
        )
    atomic_write_text(destination, _yahoo_csv(history))
    return destination


def _yahoo_csv(history: pd.DataFrame) -> str:
    """Yahoo-style CSV text of a yfinance history frame (time zone and extra columns dropped)."""
    keep = [c for c in ("Open", "High", "Low", "Close", "Adj Close", "Volume") if c in history]
    frame = history[keep].copy()
    index = cast("pd.DatetimeIndex", frame.index)  # yfinance indexes its history by date
    if getattr(index, "tz", None) is not None:
        index = index.tz_localize(None)  # keep the exchange's wall-clock date
    frame.index = index.strftime("%Y-%m-%d")
    frame.index.name = "Date"
    return frame.to_csv()
