"""The HTML report of a sweep: the leaderboard as sections of a self-contained page.

The page shell and its style are those of the run report (:func:`lstmlab.report.render_page`);
each trial's own report stays in its run directory and is linked from the trial table.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmlab._version import __version__
from lstmlab.fileio import atomic_write_text
from lstmlab.report import render_page, section
from lstmlab.sweep.leaderboard import BEST_COLUMNS, Leaderboard, column_style
from lstmlab.vocabulary import format_metric

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_LISTED", "leaderboard_sections", "write_sweep_report"]

MAX_LISTED = 1000  # longer trial lists stay in trials.csv: the page must stay light to open

# text columns are left-aligned, and a message may wrap
_KINDS = {"series": "text", "label": "text", "status": "text", "message": "text wrap"}


def write_sweep_report(board: Leaderboard, sweep_dir: Path, title: str) -> Path:
    """Write ``report.html`` in the sweep folder and return its path."""
    sections = leaderboard_sections(board)
    body = "".join(section(key, heading, html) for key, heading, html in sections)
    nav = [(key, heading.split(":")[0]) for key, heading, html in sections if html]
    page = render_page(title, f"lstmlab {__version__} · {sweep_dir.name}", body, nav)
    return atomic_write_text(sweep_dir / "report.html", page)


def leaderboard_sections(board: Leaderboard) -> list[tuple[str, str, str]]:
    """``(id, heading, html)`` of the leaderboard sections (html is '' when there is nothing)."""
    counts = board.trials["status"].value_counts()
    summary = (f"<p>{board.trials['series'].nunique()} series × "
               f"{board.trials['label'].nunique()} configurations = {len(board.trials)} trials: "
               f"{counts.get('ok', 0)} finished, {counts.get('failed', 0)} failed, "
               f"{counts.get('stopped', 0)} stopped early. The best configuration of a series "
               f"has the lowest validation RMSE (price units); the test split is not used to "
               f"choose. Test / naive below 1 beats the naive forecast (tomorrow = today).</p>")
    configs = board.configurations.rename(columns={"series": "series_count"})
    problems = board.trials[board.trials["status"] != "ok"]
    return [
        ("leaderboard", "Leaderboard: best configuration per series",
         summary + _table(board.best, BEST_COLUMNS[:-1], link="run_dir")),
        ("configurations", "Configurations: median across series",
         _table(configs, ["label", "median_ratio", "series_count", "wins", "failed",
                          "stopped"])),
        ("failures", "Trials without a result",
         _listing(problems, ["series", "label", "status", "message"], "trials.csv")),
        ("trials", "Every trial", _listing(board.trials, ["series", "label", "status",
                                                           "val_rmse", "test_rmse", "test_ratio",
                                                           "seconds"], "trials.csv",
                                           link="run_dir")),
    ]


def _listing(frame: pd.DataFrame, columns: list[str], csv: str, link: str | None = None) -> str:
    """A table of every row, or for a large sweep a pointer to the CSV that holds them."""
    if frame.empty:
        return ""
    if len(frame) > MAX_LISTED:
        return (f"<p class=note>{len(frame):,} trials: too many to list here; they are in "
                f"{escape(csv)} in the sweep folder.</p>")
    return _table(frame, columns, link)


def _table(frame: pd.DataFrame, columns: list[str], link: str | None = None) -> str:
    """An HTML table of ``columns``; with ``link``, the first column links to that row's run
    report."""
    shown = [c for c in columns if c in frame.columns]
    kinds = [_KINDS.get(c, "") for c in shown]
    head = "".join(f'<th class="{k}">{column_style(c)[0]}</th>'
                   for c, k in zip(shown, kinds, strict=True))
    rows = []
    for record in frame.to_dict(orient="records"):
        cells = [_cell(record.get(c), c) for c in shown]
        target = record.get(link) if link else None
        if isinstance(target, str):
            cells[0] = f'<a href="{escape(target)}/report.html">{cells[0]}</a>'
        tds = "".join(f'<td class="{k}">{c}</td>' for c, k in zip(cells, kinds, strict=True))
        rows.append(f"<tr>{tds}</tr>")
    return (f'<table class="metrics sweep"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _cell(value: Any, column: str) -> str:
    return escape(format_metric(value, column_style(column)[1]))
