"""Every page in a real browser: nothing leaves 127.0.0.1, nothing is clipped sideways, the
sidebar folds by itself on the narrow screen, and axe finds no moderate, serious or critical
accessibility violation. The pages whose layout changes with the width (side-by-side panes
that stack, ``ui/layout.py``) are checked at 1280, 1440, 1920 and 800 px; the others, whose plain
columns only shrink in proportion, at 800 px: the narrowest main area (the sidebar folded;
at 1280 px it takes 300 px and leaves ~900), so what fits there fits at every width. The
sidebar is the same frame on every page (no page adds to it): open, it is checked with the
responsive pages.

The worker's shared app server and one chromium serve the whole module (a page visit is ~2 s; a
server start ~10 s). Each page is opened in a fresh browser context whose every request is recorded.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAGES = ["data", "calibrate", "accounts", "renewals", "segments", "suggest", "scenarios", "export",
         "versions"]
WIDTHS = [1280, 1440, 1920, 800]
# pages with layout.panes (their columns stack below a main width of ~900 px): every width
RESPONSIVE = {"calibrate", "accounts", "renewals", "export"}
PLAIN_WIDTHS = [800]
CASES = [(path, width) for path in PAGES
         for width in (WIDTHS if path in RESPONSIVE else PLAIN_WIDTHS)]
NARROW = 1000  # below this the app folds the sidebar by itself (ui/layout.py)
LOCAL_HOSTS = {"127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
# axe impacts that fail the suite (minor ones, all inside Streamlit's own widgets, are reported)
FAILING_IMPACTS = {"moderate", "serious", "critical"}

# Elements that must show their whole content: metric labels and values, dataframes,
# tables, buttons and the page itself. Returns one description per clipped element.
CLIPPED_JS = """
() => {
  const out = [];
  const describe = (el) => (el.getAttribute('data-testid') || el.tagName) + ': '
      + (el.innerText || '').replace(/\\s+/g, ' ').slice(0, 60);
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    out.push(`page scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
  }
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const checks = [
    '[data-testid="stMetricLabel"]', '[data-testid="stMetricLabel"] *',
    '[data-testid="stMetricValue"]', '[data-testid="stMetricValue"] *',
    '[data-testid="stMetricDelta"] *', '[data-testid="stTable"]',
    '[data-testid="stDataFrame"] .dvn-scroller', 'button p', '[data-testid="stTab"] p',
    '[data-testid="stWidgetLabel"] p'];
  for (const selector of checks) {
    for (const el of main.querySelectorAll(selector)) {
      if (el.offsetParent === null) continue;  // hidden (another tab, closed expander)
      if (el.scrollWidth > el.clientWidth + 1) {
        out.push(`${describe(el.closest('[data-testid]') || el)} (${el.scrollWidth} > `
                 + `${el.clientWidth} px)`);
      }
    }
  }
  // any other text Streamlit cuts with "…" (toggle and widget labels in narrow columns)
  for (const el of main.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
    if (el.offsetParent === null || !(el.innerText || '').trim()) continue;
    if (getComputedStyle(el).textOverflow === 'ellipsis'
        && el.scrollWidth > el.clientWidth + 1) {
      out.push(`${describe(el)} ends in "…" (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
  }
  for (const el of main.querySelectorAll('[data-testid="stElementContainer"]')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > window.innerWidth + 1) {
      out.push(`${describe(el.firstElementChild || el)} ends at ${box.right} px`);
    }
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def server(app_server) -> str:
    """The worker's shared app server (tests/browser/conftest.py)."""
    return app_server


SETTLED_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && !document.querySelector('[data-testid="stSpinner"]')"""


def settle(page, timeout_ms: int = 240_000) -> None:
    """Wait until the script run is over and no element is stale (faded), twice in a row
    half a second apart: under load a rerun can start just after the first check."""
    for _ in range(2):
        page.wait_for_function(SETTLED_JS, timeout=timeout_ms)
        page.wait_for_timeout(500)
    page.wait_for_function(SETTLED_JS, timeout=timeout_ms)


def wait_rendered(page) -> None:
    """Wait for the page's title, then for the script run to finish and settle."""
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle", timeout=60_000)
    settle(page)


def outside(urls: list[str]) -> list[str]:
    """The requests that would leave the machine."""
    return [u for u in urls if urlparse(u).scheme not in LOCAL_SCHEMES
            and urlparse(u).hostname not in LOCAL_HOSTS]


def test_responsive_pages_are_the_ones_with_panes():
    """RESPONSIVE lists exactly the pages that use layout.panes (checked at every width)."""
    import re

    from tests.conftest import ROOT

    with_panes = {p for p in PAGES
                  if re.search(r"layout\.panes\(", (ROOT / "app_pages" / f"{p}.py").read_text())}
    assert with_panes == RESPONSIVE


@pytest.mark.slow
@pytest.mark.parametrize(("path", "width"), CASES)
def test_page_fits_stays_local_and_is_accessible(server, browser, path, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # the default page (Calibrate) lives at the root: /calibrate would be "not found"
        page.goto(f"{server}/{'' if path == 'calibrate' else path}",
                  wait_until="domcontentloaded")
        wait_rendered(page)
        sidebar = page.get_by_test_id("stSidebar")
        if width < NARROW:  # folded by the app itself, not by the test
            page.wait_for_function("""() => document.querySelector(
                '[data-testid="stSidebar"]').getAttribute('data-collapsed') === 'true'""",
                                   timeout=15_000)
        else:
            assert sidebar.get_attribute("data-collapsed") == "false"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"page-{path}-{width}.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stDialog"]').count() == 0  # e.g. "Page not found"
        assert not errors, errors
        assert outside(requests) == [], "requests left the machine"
        icon = page.evaluate("() => document.querySelector('link[rel~=\"icon\"]').href")
        assert urlparse(icon).hostname in LOCAL_HOSTS or urlparse(icon).scheme == "data", icon
        settle(page)
        clipped = page.evaluate(CLIPPED_JS)
        assert clipped == [], f"clipped on /{path} at {width} px: {clipped}"
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(page)
        violations = results.response["violations"]
        (ARTIFACTS / f"axe-{path}-{width}.json").write_text(json.dumps(violations, indent=1))
        serious = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"]][:5]}
                   for v in violations if v.get("impact") in FAILING_IMPACTS]
        assert serious == [], json.dumps(serious, indent=1)
    finally:
        context.close()
