"""The shell every ``lstmlab`` command shares: options, the user-error wrapper, console, progress.

- Options: the Typer option types that several commands take (``--quiet``, ``--verbose``,
  ``--data-dir``, ``--fill``, ``--out``, ``--calendar``...), declared once here.
- :func:`user_errors`: an :class:`~lstmlab.errors.LstmlabError` becomes one ``error: ...`` line
  on stderr and exit status 1 (``--verbose`` adds the traceback), Ctrl-C one ``interrupted``
  line and exit status 130; anything else is a bug and keeps its traceback.
- :func:`console`, :func:`progress` and :func:`status`: one rich style for every command. The
  library prints nothing; its progress arrives through one callback shape,
  :data:`lstmlab.vocabulary.ProgressCallback` ``(task, record)``, which :func:`progress` turns
  into one bar per task.

rich is imported inside the functions, so that ``lstmlab --help`` stays light.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from lstmlab.errors import ConfigError, LstmlabError, from_os_error
from lstmlab.vocabulary import CELLS, ProgressCallback, display_name, parse_cells

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Alpha", "Calendar", "CalendarFeatures", "Covariate", "DataDir", "Fill", "Known",
           "Loss", "Out", "Quiet", "Verbose", "check_cells", "check_one_cell", "console",
           "parse_covariates", "progress", "safe", "status", "user_errors"]

_F = TypeVar("_F", bound=Callable[..., Any])
_WIDTH = 110  # when not writing to a terminal, wide enough for the metrics table

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only results, no progress.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of errors.")]
DataDir = Annotated[Path | None, typer.Option(
    help="Folder searched first for <TICKER>.csv; then $LSTMLAB_DATA_DIR, the user cache, "
         "and a yfinance download.")]
Fill = Annotated[str | None, typer.Option(
    help="Missing values: 'ffill' or 'drop' (default: refuse them).")]
Out = Annotated[Path, typer.Option(help="Folder that receives the results.")]
Loss = Annotated[str | None, typer.Option(
    help="mse (point), quantile, gaussian or student_t (a distribution head).")]
Alpha = Annotated[float | None, typer.Option(
    help="Miscoverage of the forecast band: 0.1 gives a 90% band.")]
Calendar = Annotated[str | None, typer.Option(
    help="Exchange calendar of the trading days, an exchange_calendars code such as XNYS "
         "(the default), XLON or XTKS; 'none': Monday to Friday.", show_default=False)]
Covariate = Annotated[list[str] | None, typer.Option(
    "--covariate", help="A past covariate, SOURCE[:feature,...] (ticker, CSV, or A+B+C for their "
                        "equal-weight index); default feature log_return. Repeatable.")]
Known = Annotated[list[str] | None, typer.Option(
    "--known", help="A table of future-known columns, SOURCE:column,... (a CSV with a date "
                    "column, e.g. earnings.csv:earnings); the model reads their values on the "
                    "days it forecasts. Repeatable.")]
CalendarFeatures = Annotated[bool, typer.Option(
    "--calendar-features", help="Give the model the calendar facts of the days it forecasts "
                                "(day of week and month, month, days to the next holiday).")]


def user_errors(command: _F) -> _F:
    """Turn an :class:`LstmlabError`, or an ``OSError`` such as a full disk, into one
    ``error:`` line on stderr and exit status 1 (Ctrl-C outside training: exit status 130)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (LstmlabError, OSError) as err:  # OSError: a full disk, a blocked --out
            if kwargs.get("verbose"):
                typer.echo(traceback.format_exc(), err=True)
            shown = from_os_error(err) if isinstance(err, OSError) else err
            typer.echo(f"error: {shown}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:  # outside training: nothing half-written is left
            typer.echo("interrupted: stopped before anything was written", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def safe(text: object) -> str:
    """``text`` as rich prints it unchanged: file names, cells and messages from the user's
    data may hold ``[...]``, which rich would otherwise read as markup (or fail on)."""
    from rich.markup import escape

    return escape(str(text))


def parse_covariates(values: list[str] | None, option: str = "--covariate",
                     default: tuple[str, ...] = ("log_return",)) -> dict[str, tuple[str, ...]]:
    """``["AAPL", "market.csv:log_return,volume_z"]`` as ``{source: features}``.

    The features follow the last ``:`` (a Windows path keeps its drive letter); without them a
    covariate feeds its ``log_return``. ``option="--known", default=()`` parses the known
    tables' ``SOURCE:column,...`` the same way, where the columns must be named.
    """
    parsed: dict[str, tuple[str, ...]] = {}
    for value in values or []:
        head, colon, tail = value.rpartition(":")
        drive = len(head) == 1 and tail.startswith(("\\", "/"))  # C:\prices\spy.csv
        source, features = (head, tail) if colon and not drive else (value, "")
        names = tuple(f.strip() for f in features.split(",") if f.strip()) or default
        if not source.strip() or not names:
            raise typer.BadParameter(f"{option} {value!r} names no source or no column; use "
                                     "SOURCE:column,..., e.g. AAPL:log_return or "
                                     "earnings.csv:earnings")
        parsed[source.strip()] = names
    return parsed


def check_cells(value: str | None) -> str | None:
    """Option callback: normalise a comma-separated list of cell names, refusing unknown ones."""
    if value is None:
        return None
    try:
        return ",".join(parse_cells(value))
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None


def check_one_cell(value: str | None) -> str | None:
    """Option callback: exactly one known cell name."""
    checked = check_cells(value)
    if checked is not None and "," in checked:
        raise typer.BadParameter(f"give one cell, got {checked!r}")
    return checked


def console(stderr: bool = False) -> Console:
    """The rich console of the commands: results on stdout, progress and notes on stderr.

    Created per call, so that test runners that swap ``sys.stdout`` see the output.
    """
    from rich.console import Console

    shown = Console(stderr=stderr, highlight=False)
    if not shown.is_terminal:
        shown.width = _WIDTH
    return shown


@contextmanager
def status(message: str, quiet: bool) -> Iterator[None]:
    """A spinner with ``message`` on stderr while the block runs."""
    if quiet:
        yield
        return
    with console(stderr=True).status(safe(message)):
        yield


@contextmanager
def progress(tasks: Sequence[str], total: int, unit: str, quiet: bool, *,
             position: str = "epoch", ordered: bool = True) -> Iterator[ProgressCallback | None]:
    """One bar per task on stderr, advanced by the yielded ``(task, record)`` callback.

    ``record[position]`` is how far the task is (of ``total`` ``unit``, or of
    ``record["total"]`` when the record gives one); the record's losses are shown beside the
    bar. Tasks run in order: a task's first record ends the bars before it (early stopping ends
    a bar before its total); with ``ordered=False`` (tasks running at once) bars end together.
    """
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(unit), TimeElapsedColumn(), TextColumn("{task.fields[losses]}"))
    with Progress(*columns, console=console(stderr=True)) as bars:
        ids = {task: bars.add_task(safe(display_name(task) if task in CELLS else task),
                                   total=total, losses="", start=False) for task in tasks}

        def finish(task: str) -> None:
            state = bars.tasks[ids[task]]
            if state.started and not state.finished:
                bars.update(ids[task], total=state.completed or 1)

        def on_progress(task: str, record: Mapping[str, float]) -> None:
            for earlier in tasks[:tasks.index(task)] if ordered else ():
                finish(earlier)
            bars.start_task(ids[task])  # its clock starts with its first record
            bars.update(ids[task], completed=int(record[position]), losses=_losses(record),
                        total=record.get("total"))

        yield on_progress
        for task in tasks:
            finish(task)


def _losses(record: Mapping[str, float]) -> str:
    """``train 0.0123  val 0.0456  lr 1.0e-03``: the record's losses, compactly."""
    shown = {"train_loss": "train {:.4f}", "val_loss": "val {:.4f}", "test_loss": "test {:.4g}",
             "lr": "lr {:.1e}"}
    return "  ".join(fmt.format(record[key]) for key, fmt in shown.items() if key in record)
