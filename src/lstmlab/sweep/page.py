"""The HTML report of a sweep: the leaderboard as a self-contained page.

The page is the template ``sweep.html.j2``, in the shell and style of the run report, its
tables drawn by the same ``table`` macro (see :mod:`lstmlab.pages`); each trial's own report
stays in its run directory and is linked from the trial tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lstmlab._version import __version__
from lstmlab.fileio import atomic_write_text
from lstmlab.pages import Cell, Row, Table, render
from lstmlab.sweep.leaderboard import BEST_COLUMNS, Leaderboard, column_style
from lstmlab.vocabulary import format_metric

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_LISTED", "write_sweep_report"]

MAX_LISTED = 1000  # longer trial lists stay in trials.csv: the page must stay light to open

# text columns are left-aligned, and a message may wrap
_KINDS = {"series": "text", "label": "text", "status": "text", "message": "text wrap",
          "selected": "text", "verdict": "text wrap"}
_NAV = {"leaderboard": "Leaderboard", "configurations": "Configurations",
        "failures": "Trials without a result", "trials": "Every trial"}


def write_sweep_report(board: Leaderboard, sweep_dir: Path, title: str) -> Path:
    """Write ``report.html`` in the sweep folder and return its path."""
    trials = board.trials
    counts = trials["status"].value_counts()
    summary = (f"{trials['series'].nunique()} series × {trials['label'].nunique()} "
               f"configurations = {len(trials)} trials: {counts.get('ok', 0)} finished, "
               f"{counts.get('failed', 0)} failed, {counts.get('stopped', 0)} stopped early. The "
               f"best configuration of a series has the lowest validation RMSE (price units); a "
               f"baseline with a lower one is selected instead; the test split is not used to "
               f"choose. Test / naive is the test RMSE over the naive forecast's (tomorrow = "
               f"today); the verdict says whether the difference is significant "
               f"(Diebold-Mariano, 5%).")
    listings = [
        ("failures", "Trials without a result",
         _listing(trials[trials["status"] != "ok"], ["series", "label", "status", "message"])),
        ("trials", "Every trial", _listing(trials, ["series", "label", "status", "val_rmse",
                                                    "test_rmse", "test_ratio", "seconds"],
                                           link=True)),
    ]
    shown = ["leaderboard", "configurations", *(key for key, _, listing in listings if listing)]
    nav = [(key, _NAV[key]) for key in shown]
    page = render("sweep.html.j2", title=title, subtitle=f"lstmlab {__version__} · "
                  f"{sweep_dir.name}", nav=nav, summary=summary,
                  best=_table(board.best, BEST_COLUMNS[:-1], link=True),
                  configurations=_table(board.configurations.rename(
                      columns={"series": "series_count"}),
                      ["label", "median_ratio", "series_count", "wins", "failed", "stopped"]),
                  listings=listings)
    return atomic_write_text(sweep_dir / "report.html", page)


def _listing(frame: pd.DataFrame, columns: list[str], link: bool = False) -> Table | str:
    """A table of every row, a pointer to trials.csv for a large sweep, or '' for none."""
    if frame.empty:
        return ""
    if len(frame) > MAX_LISTED:
        return (f"{len(frame):,} trials: too many to list here; they are in trials.csv in the "
                f"sweep folder.")
    return _table(frame, columns, link)


def _table(frame: pd.DataFrame, columns: list[str], link: bool = False) -> Table:
    """A table of ``columns``; with ``link``, the first cell links to that row's run report."""
    shown = [c for c in columns if c in frame.columns]
    table = Table([(column_style(c)[0], _KINDS.get(c, "")) for c in shown], css="metrics sweep")
    for record in frame.to_dict(orient="records"):
        cells = [Cell(format_metric(record.get(c), column_style(c)[1]), kind=_KINDS.get(c, ""))
                 for c in shown]
        target = record.get("run_dir") if link else None
        if isinstance(target, str):
            cells[0] = Cell(cells[0].text, kind=cells[0].kind, href=f"{target}/report.html")
        table.rows.append(Row(cells))
    return table
