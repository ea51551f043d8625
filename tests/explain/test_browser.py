"""The explorer page in a real browser: Playwright driving the system's Chromium, offline.

Skipped, with the reason, only when Chromium or Playwright's Python package is absent; the
screenshots are written to the test's temporary folder (docs/explain/ holds copies).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lstmlab.explain.make import explain_run

from .pagedata import embedded

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs the system Chromium "
                                 "(/usr/bin/chromium; .ci/run installs Debian's chromium)")
playwright = pytest.importorskip("playwright.sync_api",
                                 reason="needs Playwright's Python package: pip install playwright")


@pytest.fixture(scope="module")
def page_file(small_run, tmp_path_factory) -> Path:
    folder = Path(shutil.copytree(small_run, tmp_path_factory.mktemp("browser") / "run"))
    return explain_run(folder, "lstm").path


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """A page loaded with every request but the page itself blocked, and what it tried."""

    def __init__(self, browser, page_file: Path, width: int = 1280, height: int = 800) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.errors: list[str] = []
        url = page_file.as_uri()
        self.context.route("**/*", lambda route: route.continue_() if route.request.url == url
                           else route.abort())
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url)
        self.url = url

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)


@pytest.fixture
def visit(browser, page_file):
    opened = Visit(browser, page_file)
    yield opened
    opened.context.close()


def test_the_page_loads_offline_without_errors_or_requests(visit):
    assert visit.requests == [visit.url]  # nothing but the page itself
    assert visit.errors == []
    assert visit.page.locator("svg.bars").count() == 6  # f, i, o, c~, c, h
    assert visit.page.locator("#diagram path.edge").count() > 10


def test_play_advances_the_cursor_and_pause_stops_it(visit):
    assert visit.page.input_value("#slider") == "0"
    visit.page.click("#play")
    for _ in range(50):  # polled from here: the page's CSP forbids evaluated predicates
        if int(visit.page.input_value("#slider")) >= 3:
            break
        visit.page.wait_for_timeout(100)
    visit.page.click("#play")
    stopped = int(visit.page.input_value("#slider"))
    visit.page.wait_for_timeout(800)
    assert int(visit.page.input_value("#slider")) == stopped >= 3
    assert visit.text("#step-label").startswith(f"step {stopped} / 19")


def test_slider_at_step_17_shows_unit_3s_recorded_forget_gate(visit, page_file):
    recorded = embedded(page_file)["layers"][0]["f_t"][17][3]
    visit.page.click('svg.bars[data-gate="f_t"] g[data-unit="3"]')
    visit.page.fill("#slider", "17")
    shown = visit.text("#value-f_t")  # three decimals: equal to the recorded value at that
    assert len(shown.split(".")[1]) == 3 and abs(float(shown) - recorded) <= 0.0005 + 1e-9
    assert "Step 17" in visit.text("#sentence") and "unit 3" in visit.text("#sentence")
    assert f"kept {round(100 * recorded)}% of its memory" in visit.text("#sentence")


def test_keyboard_arrows_step_through_time(visit):
    visit.page.keyboard.press("ArrowRight")
    visit.page.keyboard.press("ArrowRight")
    visit.page.keyboard.press("ArrowLeft")
    assert visit.page.input_value("#slider") == "1"
    visit.page.keyboard.press("End")
    assert visit.page.input_value("#slider") == "19"


def test_a_clicked_unit_is_highlighted_in_every_panel(visit):
    visit.page.click('svg.bars[data-gate="c_t"] g[data-unit="4"]')
    panels = visit.page.locator("svg.bars").count()
    assert visit.page.locator('svg.bars g.unit.selected[data-unit="4"]').count() == panels
    assert visit.page.locator("svg.bars g.unit.selected").count() == panels  # only unit 4
    assert visit.text("#cell h2").endswith("unit 4") and visit.text("#timeline h2") == (
        "Unit 4 over the whole window")
    visit.page.click('svg.bars[data-gate="f_t"] g[data-unit="1"]', modifiers=["Shift"])
    assert visit.page.locator("svg.bars g.unit.selected").count() == 2 * panels


def test_sorting_by_change_of_memory_puts_the_biggest_change_first(visit, page_file):
    c_t = embedded(page_file)["layers"][0]["c_t"]
    visit.page.fill("#slider", "9")
    visit.page.select_option("#sort", "step")
    change = [abs(now - before) for now, before in zip(c_t[9], c_t[8], strict=True)]
    biggest = max(range(len(change)), key=change.__getitem__)
    first = visit.page.locator('svg.bars[data-gate="c_t"] g.unit .hit[x="0"]')
    assert first.locator("xpath=..").get_attribute("data-unit") == str(biggest)


@pytest.mark.parametrize(("cell", "gates", "equation"), [
    ("gru", ("z_t", "r_t", "n_t", "h_t"), "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}"),
    ("rnn", ("h_t",), "h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)"),
])
def test_simple_rnn_and_gru_pages_show_their_own_gates(browser, small_run, tmp_path, cell,
                                                       gates, equation):
    folder = Path(shutil.copytree(small_run, tmp_path / "run"))
    page_file = explain_run(folder, cell).path
    opened = Visit(browser, page_file)
    opened.page.fill("#slider", "5")
    opened.page.click('svg.bars[data-gate="h_t"] g[data-unit="2"]')
    recorded = embedded(page_file)["layers"][0]["h_t"][5][2]
    assert opened.errors == [] and opened.requests == [opened.url]
    assert [opened.page.locator("svg.bars").nth(k).get_attribute("data-gate")
            for k in range(len(gates))] == list(gates)
    assert abs(float(opened.text("#value-h_t")) - recorded) <= 0.0005 + 1e-9
    assert equation in opened.text("#equations") and "f_t" not in opened.text("#equations")
    assert "Step 5" in opened.text("#sentence") and "unit 2" in opened.text("#sentence")
    opened.context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_screenshots_fit_the_screen(browser, page_file, tmp_path, width, height):
    import matplotlib.image

    opened = Visit(browser, page_file, width, height)
    opened.page.fill("#slider", "12")
    shot = tmp_path / f"explain-{width}x{height}.png"
    opened.page.screenshot(path=str(shot))
    wide = opened.page.evaluate("document.documentElement.scrollWidth")
    opened.context.close()
    assert matplotlib.image.imread(shot).shape[:2] == (height, width)
    assert wide <= width  # nothing sticks out sideways, on a phone either
