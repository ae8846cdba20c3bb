"""The chart component (:func:`ui.components.svg_chart`) in a real browser, on a test page
(``svg_chart_app.py``) in the dark theme: hostile names in the SVG stay text (no element,
script, request or link from them), two charts on one page both draw, and the charts'
``currentColor`` follows the theme's text colour through the component's shadow root."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import ARTIFACTS, start_server, stop_server
from tests.browser.svg_chart_app import CUT_LABELS, EVIL, NAMES, TITLE

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("svg-chart")
    url, process = start_server(folder, app="tests/browser/svg_chart_app.py",
                                env={"STREAMLIT_THEME_BASE": "dark"})
    try:
        yield url
    finally:
        stop_server(process)


def test_hostile_names_stay_text_and_charts_follow_the_dark_theme(server, browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(server, wait_until="domcontentloaded")
        charts = page.locator("[data-testid='stBidiComponentIsolated'] svg[role='img']")
        charts.nth(1).wait_for(timeout=60_000)  # playwright's CSS reaches into shadow roots
        assert charts.count() == 2
        hostile, plain = charts.nth(0), charts.nth(1)
        assert plain.get_attribute("aria-label").startswith("Renewed vs churned")
        assert hostile.get_attribute("aria-label").startswith(TITLE + ":")
        assert hostile.locator("g.legend text").all_text_contents() == [
            NAMES["renewed"], NAMES["renewed"], NAMES["churned"]]
        assert hostile.locator("g.cut text").all_text_contents() == CUT_LABELS
        inside = page.locator("[data-testid='stBidiComponentIsolated']")
        assert inside.locator("script, img, iframe, a, foreignObject").count() == 0
        assert inside.locator("svg").count() == 2  # no <svg> made from a name
        assert page.evaluate("() => window.hscPwned") is None
        assert [r for r in requests if EVIL in r] == []
        page.wait_for_load_state("networkidle", timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "svg-chart-dark.png"), full_page=True)
        # the theme's text colour reaches the SVG (currentColor) through the shadow root
        text_colour = page.get_by_text("Plain text in the theme's colour.").evaluate(
            "el => getComputedStyle(el).color")
        assert text_colour not in ("rgb(0, 0, 0)", "rgb(49, 51, 63)")  # dark theme: light
        for chart in (hostile, plain):
            assert chart.evaluate("el => getComputedStyle(el).color") == text_colour
            legend = chart.locator("g.legend text").first
            assert legend.evaluate("el => getComputedStyle(el).fill") == text_colour
        assert page.get_by_test_id("stException").count() == 0 and not errors, errors
    finally:
        context.close()
