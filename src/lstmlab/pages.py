"""HTML pages from Jinja2 templates, with autoescaping: the run report and the sweep page.

The templates ship with the package (``lstmlab/templates/``): ``page.html.j2`` is the shell of
every page (header, navigation, the inline style ``page.css``, a Content-Security-Policy that
forbids any request), ``macros.html.j2`` holds the one ``table`` macro every table is drawn with,
and ``report.html.j2`` / ``sweep.html.j2`` are the two pages. Everything a page shows goes
through autoescaping, so no value from a run (a ticker, a file name, a config value) can inject
markup. :class:`Table` is what the ``table`` macro takes; :func:`metric_cells` formats a row of
metrics with the one metrics table of :mod:`lstmlab.vocabulary`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstmlab.vocabulary import METRICS

if TYPE_CHECKING:
    import jinja2

__all__ = ["Cell", "Row", "Table", "best_values", "metric_cells", "render"]


@dataclass(frozen=True)
class Cell:
    """One table cell: ``text`` (escaped), shown as a row heading (``head``), in bold, as a link,
    with a badge, or with a CSS class (``kind``)."""

    text: str
    head: bool = False
    strong: bool = False
    href: str | None = None
    badge: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class Row:
    """A table row and its CSS class."""

    cells: list[Cell]
    css: str = ""


@dataclass(frozen=True)
class Table:
    """What the ``table`` macro draws: ``(heading, CSS class)`` per column, then the rows."""

    columns: list[tuple[str, str]]
    rows: list[Row] = field(default_factory=list)
    css: str = "metrics"


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("lstmlab", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined)


def render(template: str, **context: Any) -> str:
    """Render one of the package's templates with ``context`` (autoescaped)."""
    return _environment().get_template(template).render(**context) + "\n"


def best_values(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, float]:
    """The best finite value of each ranked metric column (see ``Metric.better``)."""
    best = {}
    for column in columns:
        better = METRICS[column].better
        values = [float(r[column]) for r in rows if _finite(r.get(column))]
        if better and values:
            best[column] = min(values) if better < 0 else max(values)
    return best


def metric_cells(row: Mapping[str, Any], columns: Sequence[str],
                 best: Mapping[str, float]) -> list[Cell]:
    """The cells of ``columns`` of one row of metrics; the best values in bold."""
    cells = []
    for column in columns:
        value = row.get(column)
        if not _finite(value):
            cells.append(Cell("–", kind="na"))
        else:
            cells.append(Cell(METRICS[column].show(value), strong=best.get(column) == value))
    return cells


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
