"""What a sweep covers: the series named by SOURCES and the grid of configurations.

SOURCES are read in order, each one of:

- a ticker such as ``TSLA`` (found by :func:`lstmlab.data.load_prices` when the trial runs);
- a ``.csv`` or ``.tsv`` price file;
- a folder: every ``*.csv`` file in it, sorted by name;
- any other file: a list of sources, one per line (blank lines and ``#`` comments are skipped);
  a line naming an existing file, relative to the list's folder or absolute, is that file,
  otherwise a ticker.

The grid is the cartesian product of ``--cells`` and every ``--grid FIELD=V1,V2`` over the fields
of :class:`~lstmlab.config.ForecastConfig`; a field given one value is simply fixed. Values are
converted to the field's type; a tuple field (``features``, ``split``) takes its items joined by
``+``, e.g. ``--grid features=log_return+volume``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstmlab.config import ForecastConfig, parse_cells
from lstmlab.errors import ConfigError, DataError

__all__ = ["Series", "config_labels", "expand_sources", "parse_grid"]

_PRICE_SUFFIXES = {".csv", ".tsv"}


@dataclass(frozen=True)
class Series:
    """One price series of a sweep: a unique short ``name`` and the ``source`` to load it from
    (a ticker, or the absolute path of a price file)."""

    name: str
    source: str


def expand_sources(sources: Sequence[str]) -> list[Series]:
    """The series named by ``sources`` (tickers, price files, folders, list files), in order.

    Raises :class:`DataError` for an empty folder or list, and :class:`ConfigError` when two
    series would get the same name (e.g. ``a/TSLA.csv`` and ``b/TSLA.csv``).
    """
    found: list[Series] = []
    for source in sources:
        found.extend(_expand_one(source, listed_in=None))
    if not found:
        raise ConfigError("no series to sweep: give tickers, price files, folders or list files")
    names: dict[str, str] = {}
    unique = []
    for series in found:
        seen = names.setdefault(series.name, series.source)
        if seen != series.source:
            raise ConfigError(f"two series are both named {series.name!r}: {seen} and "
                              f"{series.source}; rename one of the files")
        if series not in unique:
            unique.append(series)
    return unique


def _expand_one(source: str, listed_in: Path | None) -> list[Series]:
    text = source.strip()
    path = Path(text).expanduser()
    if listed_in is not None and not path.is_absolute():
        path = listed_in.parent / path
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        if not files:
            raise DataError(f"folder {path} holds no .csv price files; put <TICKER>.csv files "
                            f"in it or name the tickers")
        return [_file_series(p) for p in files]
    if path.is_file() and path.suffix.lower() in _PRICE_SUFFIXES:
        return [_file_series(path)]
    if path.is_file() and listed_in is None:
        return _read_list(path)
    if path.suffix.lower() in _PRICE_SUFFIXES or "/" in text or "\\" in text:
        return [_file_series(path)]  # missing: its trial fails with load_prices' message
    return [Series(text.upper(), text.upper())]


def _file_series(path: Path) -> Series:
    # absolute, so that Ray workers whatever their working folder find the same file
    return Series(path.stem.upper(), str(path.resolve()))


def _read_list(path: Path) -> list[Series]:
    """The sources listed one per line in ``path`` (a list does not name other lists)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the list of sources {path}: {err}; give a UTF-8 text "
                        f"file with one ticker or CSV path per line") from err
    entries = [line.split("#", 1)[0].strip() for line in lines]
    series = [s for entry in entries if entry for s in _expand_one(entry, listed_in=path)]
    if not series:
        raise DataError(f"the list of sources {path} names nothing; write one ticker or CSV "
                        f"path per line")
    return series


def parse_grid(cells: Sequence[str], specs: Sequence[str],
               base: ForecastConfig | None = None) -> list[ForecastConfig]:
    """Every configuration of the grid: each cell times each combination of ``specs`` values.

    ``specs`` are ``FIELD=V1,V2,...`` strings; fields not named keep ``base``'s values (default:
    the :class:`ForecastConfig` defaults). Raises :class:`ConfigError` naming the bad spec.
    """
    base = base or ForecastConfig()
    axes: dict[str, list[Any]] = {"cell": parse_cells(cells)}
    for spec in specs:
        name, values = _parse_spec(spec, base)
        if name == "cell":
            raise ConfigError(f"--grid {spec!r}: give the cells with --cells, e.g. "
                              f"--cells rnn,lstm,gru")
        if name in axes:
            raise ConfigError(f"--grid {spec!r}: {name} is already set by an earlier --grid; "
                              f"give each field once")
        axes[name] = values
    names = list(axes)
    return [base.replace(**dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*axes.values())]


def _parse_spec(spec: str, base: ForecastConfig) -> tuple[str, list[Any]]:
    name, sep, raw = spec.partition("=")
    name = name.strip()
    fields = {f.name for f in dataclasses.fields(ForecastConfig)}
    if not sep or not name or not raw.strip():
        raise ConfigError(f"--grid {spec!r} is not FIELD=V1,V2,...; e.g. --grid hidden_size=32,64")
    if name not in fields:
        raise ConfigError(f"--grid {spec!r}: unknown field {name!r}; known fields: "
                          f"{', '.join(sorted(fields))}")
    default = getattr(base, name)
    values = [_convert(name, v.strip(), default, spec) for v in raw.split(",") if v.strip()]
    return name, list(dict.fromkeys(values))


def _convert(name: str, text: str, default: Any, spec: str) -> Any:
    """``text`` as the type of the field's default value (tuples: items joined by ``+``)."""
    if isinstance(default, tuple):
        return tuple(_number_or_text(item.strip()) for item in text.split("+"))
    kind = type(default)
    try:
        return kind(float(text)) if kind is float else kind(text)
    except ValueError:
        raise ConfigError(f"--grid {spec!r}: {name} takes {kind.__name__} values, got "
                          f"{text!r}") from None


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def config_labels(configs: Sequence[ForecastConfig]) -> list[str]:
    """A short label per configuration naming only what differs between them.

    The cell comes first, bare (``lstm hidden_size=32 lookback=30``); a grid of one config is
    labelled by its cell.
    """
    dicts = [c.to_dict() for c in configs]
    varying = [k for k in dicts[0] if k != "cell" and len({repr(d[k]) for d in dicts}) > 1]
    return [" ".join([d["cell"], *(f"{k}={_plain(d[k])}" for k in varying)]) for d in dicts]


def _plain(value: Any) -> str:
    return "+".join(map(str, value)) if isinstance(value, list) else str(value)
