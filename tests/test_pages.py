"""Pages from templates: autoescaping everywhere, one table macro, shipped with the package."""

from __future__ import annotations

from importlib import resources

from lstmlab.pages import Cell, Row, Table, best_values, metric_cells, render


def test_templates_are_package_data():
    folder = resources.files("lstmlab") / "templates"
    names = {p.name for p in folder.iterdir()}
    assert {"page.html.j2", "macros.html.j2", "report.html.j2", "sweep.html.j2",
            "page.css"} <= names


def test_table_macro_escapes_every_value():
    table = Table([("<Model>", ""), ("RMSE", "")],
                  [Row([Cell("<script>x</script>", head=True, badge="<b>"),
                        Cell("1.00", strong=True)], css="best"),
                   Row([Cell("a&b", href="runs/<x>/report.html"), Cell("–", kind="na")])])
    html = render("sweep.html.j2", title="<t>", subtitle="s", nav=[("leaderboard", "<n>")],
                  summary="<p>", best=table, configurations=Table([("c", "")]), listings=[])
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<title>&lt;t&gt;</title>" in html and "&lt;Model&gt;" in html
    assert ('<tr class="best"><th>&lt;script&gt;x&lt;/script&gt; <span class="badge">&lt;b&gt;'
            in html)
    assert '<td><strong>1.00</strong></td>' in html and '<td class="na">–</td>' in html
    assert '<a href="runs/&lt;x&gt;/report.html">a&amp;b</a>' in html


def test_metric_cells_bold_the_best_value_in_the_metric_direction():
    rows = [{"rmse": 2.0, "r2_oos": 0.1, "dm_p_value": 0.2}, {"rmse": 1.0, "r2_oos": 0.3,
                                                             "dm_p_value": float("nan")}]
    columns = ["rmse", "r2_oos", "dm_p_value"]
    best = best_values(rows, columns)
    assert best == {"rmse": 1.0, "r2_oos": 0.3}  # p-values are not ranked
    cells = metric_cells(rows[1], columns, best)
    assert [c.strong for c in cells] == [True, True, False] and cells[2].kind == "na"
