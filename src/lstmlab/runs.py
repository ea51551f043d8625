"""Run directories: the files one ``lstmlab train`` or ``lstmlab compare`` leaves behind.

Layout of ``runs/<name>/``::

    config.json          what was asked: command, data source, cells, each cell's ForecastConfig
    manifest.json        what happened: versions, data summary, best model, models, reproducibility
    history.csv          per-epoch losses of every model (column ``model`` names the cell)
    metrics.csv          one row per (split, model) for every model and baseline
    predictions.csv      date, split, actual, the baselines' and every model's predictions
    charts/*.png, *.svg  price, loss, prediction and residual charts
    models/<cell>.safetensors   one saved model per cell (see :mod:`lstmlab.persist`)
    report.html          the self-contained report (see :mod:`lstmlab.report`)

A new run is written into a hidden temporary folder beside its final place and renamed into
place only when complete (:func:`new_run`), so an interrupted run never leaves a directory that
a later command would trust; a directory is recognised as a run by its ``manifest.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmlab._version import __version__
from lstmlab.errors import ConfigError, ModelFileError
from lstmlab.fileio import atomic_write_json, atomic_write_text, fsync_folder
from lstmlab.persist import FORMAT_VERSION

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SAFE_NAME", "Run", "chart_stem", "check_run_name", "default_run_name",
           "final_path", "new_run", "partial_path", "read_run", "remove_stale_partials",
           "run_path", "source_stem", "write_manifest", "write_table"]

_KIND = "lstmlab-run"
SAFE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")  # a model (cell) name read from a run
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL = ".partial"
_LOCK = ".lock"
_FORMULA_STARTS = frozenset("=+-@\t\r")
_WHAT_TO_PASS = "pass a folder written by `lstmlab train` or `lstmlab compare` (under runs/)"


def source_stem(source: str) -> str:
    """A file-name-safe short name of a data source: ``TSLA`` -> ``tsla``, ``a/My X.csv`` ->
    ``my-x``."""
    return re.sub(r"[^a-z0-9]+", "-", Path(source).stem.lower()).strip("-") or "data"


def default_run_name(source: str, command: str, now: datetime | None = None) -> str:
    """``<source stem>-<command>-<YYYYmmdd-HHMMSS>``, e.g. ``tsla-compare-20240102-153000``."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"{source_stem(source)}-{command}-{stamp}"


def check_run_name(name: str) -> str:
    """``name`` if it is a plain folder name; a :class:`ConfigError` for one that would leave
    the output folder (a path separator, ``..``) or hide the run (a leading dot)."""
    if (not name or name.startswith(".") or ".." in name or "\0" in name
            or any(sep in name for sep in "/\\")):
        raise ConfigError(f"run name {name!r} must be a plain folder name (no path separator, "
                          f"no '..', no leading dot); choose another --name")
    return name


def run_path(out_dir: str | os.PathLike[str], name: str, *, unique: bool = False) -> Path:
    """``out_dir/name`` if no run has that name yet (neither a folder nor one being written);
    else an error, or with ``unique=True`` the first free ``name-2``, ``name-3``... ``name``
    must pass :func:`check_run_name`.
    """
    path = Path(out_dir) / check_run_name(name)
    if not _taken(path):
        return path
    if not unique:
        if not path.exists():
            raise ConfigError(f"run directory {path} is being written by another run; "
                              f"choose another --name")
        raise ConfigError(f"run directory {path} already exists; choose another --name or "
                          f"remove that folder")
    number = 2
    while _taken(candidate := path.with_name(f"{path.name}-{number}")):
        number += 1
    return candidate


def _taken(path: Path) -> bool:
    return path.exists() or partial_path(path).exists()


def partial_path(final: Path) -> Path:
    """The hidden folder where the run ``final`` is written: ``.<name>.partial`` beside it.
    Creating it reserves the name, so two runs can never take the same one."""
    return final.with_name(f".{final.name}{_PARTIAL}")


def final_path(partial: Path) -> Path:
    """The run a folder yielded by :func:`new_run` becomes (its name is known from the start)."""
    return partial.with_name(partial.name[1:-len(_PARTIAL)])


@contextmanager
def new_run(path: str | os.PathLike[str], *, unique: bool = False) -> Iterator[Path]:
    """Reserve the run ``path`` and yield the hidden folder to fill; on success it is renamed
    to the run's path (:func:`final_path` of the folder).

    The name is reserved at once, atomically, by creating the hidden folder: another run
    started at the same moment gets another name (``unique=True``, for automatic names) or an
    error, before any work. A hidden folder left by a killed run is removed first. If the
    block raises, the hidden folder is removed and nothing else is touched.
    """
    folder, name = Path(path).parent, check_run_name(Path(path).name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(folder)
        tmp = _reserve(run_path(folder, name, unique=unique), unique)
        lock = _hold_lock(tmp)
    except OSError as err:
        raise ConfigError(f"cannot write a run directory under {folder}: "
                          f"{err.strerror or err}; choose a writable folder with --out") from err
    try:
        yield tmp
        final = final_path(tmp)
        if final.exists():  # made by hand (or by an older lstmlab) while this run worked
            raise ConfigError(f"run directory {final} appeared while this run was written; "
                              f"choose another --name or remove that folder")
        (tmp / _LOCK).unlink(missing_ok=True)
        os.rename(tmp, final)
        fsync_folder(final.parent)
    finally:
        if lock is not None:
            os.close(lock)
        shutil.rmtree(tmp, ignore_errors=True)


def _reserve(final: Path, unique: bool) -> Path:
    """Create the hidden folder of ``final`` (or, if another run just took that name and
    ``unique``, of the next free name); raise if the name is taken."""
    wanted = final
    while True:
        try:
            os.mkdir(partial_path(final), 0o755)
            return partial_path(final)
        except FileExistsError:
            if not unique:
                raise ConfigError(f"run directory {final} is being written by another run; "
                                  f"choose another --name") from None
            final = run_path(wanted.parent, wanted.name, unique=True)  # the next free number


def _hold_lock(folder: Path) -> int | None:
    """Lock ``folder/.lock`` for as long as this process lives (the kernel drops the lock when
    the process dies, even by ``kill -9``); ``None`` where ``fcntl`` is missing (Windows)."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(folder / _LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the temporary run folders in ``folder`` left by killed runs; return them.

    A temporary folder is stale when no process holds its lock: its run was killed. One of a
    run still going is locked and kept. Where locks are not available nothing is removed.
    """
    try:
        import fcntl
    except ImportError:
        return []
    removed = []
    for partial in folder.glob(f".*{_PARTIAL}"):
        try:
            fd = os.open(partial / _LOCK, os.O_RDONLY)
        except OSError:  # no lock yet (being created) or not ours: leave it
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: that run is alive
            continue
        finally:
            os.close(fd)
        shutil.rmtree(partial, ignore_errors=True)
        removed.append(partial)
    return removed


def chart_stem(run_dir: Path, kind: str, cell: str | None = None) -> Path:
    """Path, without suffix, of a chart in a run: ``charts/<kind>`` or ``charts/<kind>-<cell>``."""
    return run_dir / "charts" / (kind if cell is None else f"{kind}-{cell}")


def write_table(run_dir: Path, name: str, frame: pd.DataFrame, *, index: bool = False) -> Path:
    """Write ``frame`` as ``run_dir/name`` (CSV) atomically.

    Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return; a file name can carry one into a table) get a leading
    ``'``, so they show as text. Numbers are written as they are.
    """
    return atomic_write_text(run_dir / name, _defused(frame).to_csv(index=index))


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_datetime64_any_dtype(frame[c])]
    if not text:
        return frame
    out = frame.copy()
    for column in text:
        values = out[column]
        risky = values.map(lambda v: isinstance(v, str) and v[:1] in _FORMULA_STARTS)
        out[column] = values.where(~risky.astype(bool), "'" + values.astype("string"))
    return out


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json``, stamped with the format version (:mod:`lstmlab.persist`) and
    the lstmlab version."""
    stamped = {"kind": _KIND, "format_version": FORMAT_VERSION, "lstmlab_version": __version__,
               **manifest}
    return atomic_write_json(run_dir / "manifest.json", stamped)


@dataclass(frozen=True)
class Run:
    """A run directory read back: its path, ``manifest.json`` and ``config.json``."""

    path: Path
    manifest: dict[str, Any]
    config: dict[str, Any]

    @property
    def cells(self) -> list[str]:
        """The cells trained in this run, in training order."""
        return list(self.manifest["models"])

    def model_path(self, cell: str | None = None) -> Path:
        """Path of the saved model for ``cell`` (default: the run's best model)."""
        cell = cell or self.manifest["best_model"]
        if cell not in self.manifest["models"]:
            raise ConfigError(f"run {self.path} has no {cell!r} model; it holds "
                              f"{', '.join(self.cells)}: pick one of those with --cell")
        path: Path = self.path / self.manifest["models"][cell]
        if not path.is_file():
            raise ModelFileError(f"run {self.path} lists model {cell!r} but {path} is missing; "
                                 f"re-run the training")
        return path

    def table(self, name: str) -> pd.DataFrame:
        """Read one of the run's CSV files (``history.csv``, ``metrics.csv``...)."""
        import pandas as pd

        path = self.path / name
        if not path.is_file():
            raise ModelFileError(f"run {self.path} lacks {name}; re-run the training")
        try:
            return pd.read_csv(path)
        except (ValueError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
            raise ModelFileError(f"run {self.path}: {name} is damaged ({err}); re-run the "
                                 f"training") from None


def read_run(path: str | os.PathLike[str]) -> Run:
    """Open a run directory, checking that it is one; raise :class:`ModelFileError` otherwise."""
    folder = Path(path)
    if not folder.exists():
        raise ModelFileError(f"run directory {folder} does not exist; {_WHAT_TO_PASS}")
    if not folder.is_dir():
        raise ModelFileError(f"{folder} is a file, not a run directory; {_WHAT_TO_PASS}")
    manifest = _read_json(folder, "manifest.json")
    if manifest.get("kind") != _KIND:
        raise ModelFileError(f"{folder / 'manifest.json'} is not an lstmlab run manifest; "
                             f"{_WHAT_TO_PASS}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"run {folder} has run format {manifest.get('format_version')!r} (lstmlab "
            f"{manifest.get('lstmlab_version')}); this lstmlab {__version__} reads format "
            f"{FORMAT_VERSION}: use that lstmlab version or re-run the training"
        )
    _check_manifest(folder, manifest)
    config = _read_json(folder, "config.json")
    if not isinstance(config.get("configs", {}), dict):
        raise ModelFileError(f"{folder / 'config.json'} is damaged ('configs' is not a table); "
                             f"re-run the training")
    return Run(folder, manifest, config)


def _check_backtest_manifest(manifest: dict[str, Any],
                             bad: Callable[[str, str], ModelFileError]) -> None:
    """The fields of a backtest run's manifest that its report reads, checked like a run's."""
    columns = manifest.get("forecast_columns")
    if not isinstance(columns, list) or not columns or not all(
            isinstance(c, str) and SAFE_NAME.fullmatch(c) for c in columns):
        raise bad("forecast_columns", "is not a list of plain model names")
    data = manifest.get("data")
    if not isinstance(data, dict) or not all(
            isinstance(data.get(end), str) and _DATE.fullmatch(data[end])
            for end in ("first", "last")):
        raise bad("data", "does not hold first and last dates (YYYY-MM-DD)")
    headline = manifest.get("headline")
    if not isinstance(headline, dict) or not set(headline) <= set(columns):
        raise bad("headline", "is not a table of scores per model")
    seconds = manifest.get("seconds")
    if not isinstance(seconds, dict) or not all(
            isinstance(v, (int, float)) for v in seconds.values()):
        raise bad("seconds", "is not a table of numbers")


def _check_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Refuse a manifest whose fields are not what lstmlab writes: a run folder is untrusted
    input, and its names become file names (``forecast-<cell>.csv``) and report text."""
    def bad(field: str, why: str) -> ModelFileError:
        return ModelFileError(f"run {folder}: manifest.json field {field!r} {why}; re-run the "
                              f"training")

    for key in ("command", "source", "name", "created", "lstmlab_version"):
        if not isinstance(manifest.get(key), str):
            raise bad(key, "is not a text")
    if manifest.get("command") == "backtest":  # no model file: see lstmlab.backtest.output
        _check_backtest_manifest(manifest, bad)
        return
    models = manifest.get("models")
    if not isinstance(models, dict) or not models:
        raise bad("models", "is not a table of model files")
    root = folder.resolve()
    for cell, file in models.items():
        if not SAFE_NAME.fullmatch(cell):
            raise ModelFileError(f"run {folder} names a model {cell!r}, not a plain name "
                                 f"(lower-case letters, digits, '_'); re-run the training")
        if (not isinstance(file, str) or Path(file).is_absolute()
                or not (root / file).resolve().is_relative_to(root)):
            raise ModelFileError(f"run {folder} names model file {file!r} outside the run; "
                                 f"lstmlab reads only files inside a run: re-run the training")
    if manifest.get("best_model") not in models:
        raise bad("best_model", f"names {manifest.get('best_model')!r}, not one of its models")
    spans = {"data": manifest.get("data")}
    split = manifest.get("split")
    if not isinstance(split, dict) or set(split) != {"train", "val", "test"}:
        raise bad("split", "is not the train, val and test spans")
    spans.update({f"split.{name}": span for name, span in split.items()})
    for field, span in spans.items():
        if not isinstance(span, dict) or not all(
                isinstance(span.get(end), str) and _DATE.fullmatch(span[end])
                for end in ("first", "last")):
            raise bad(field, "does not hold first and last dates (YYYY-MM-DD)")
    for field in ("seconds", "interrupted"):
        table = manifest.get(field, {})
        if not isinstance(table, dict) or not all(
                k in models and isinstance(v, (int, float)) for k, v in table.items()):
            raise bad(field, "is not a number per model")


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise ModelFileError(f"{folder} is not an lstmlab run directory (no {name}); "
                             f"{_WHAT_TO_PASS}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # too deep, huge numbers
        raise ModelFileError(f"{path} is damaged ({str(err)[:200]}); re-run the training"
                             ) from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{path} is damaged (not a JSON object); re-run the training")
    return data
