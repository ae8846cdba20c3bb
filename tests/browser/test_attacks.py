"""The attacks of issue #15, replayed in the real app in a real browser: the Data page's SQL
box refuses to write a page file or read files it was not offered, hostile names render as
text (no external image, no link), and another user's draft id says "not found".

One server (local deployment, SQL box on) and one browser serve the whole module.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ARTIFACTS,
    ROOT,
    start_server,
    stop_server,
)
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PAGE_FILE = ROOT / "app_pages" / "renewals.py"
# folders that tests, caches and other test workers write to while this module runs
NOT_WATCHED = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache",
               ".venv", "test-artifacts", "node_modules", ".mypy_cache"}
EVIL = "evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The app as a leader runs it on their own machine (the SQL box is on there)."""
    folder = tmp_path_factory.mktemp("attacks")
    url, process = start_server(folder, env={"HSC_DEPLOYMENT": "local", "HSC_SQL_BOX": "on",
                                             "HSC_REQUIRE_LOGIN": "0"})
    try:
        yield url, folder / "drafts"
    finally:
        stop_server(process)


@pytest.fixture
def page(browser, request):
    """A fresh browser context (own session) that records every request and page error."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.requests, page.errors = [], []
    context.on("request", lambda req: page.requests.append(req.url))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"attack-{request.node.name[:60]}.png"),
                        full_page=True)
        context.close()


def files_under(folder: Path) -> set[str]:
    """Every file below ``folder`` (caches and test artefacts left out)."""
    found = set()
    for base, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in NOT_WATCHED]
        found.update(os.path.relpath(os.path.join(base, f), folder) for f in files)
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settle(page) -> None:
    """Wait for the script run to end (twice, half a second apart)."""
    for _ in range(2):
        page.wait_for_function(
            """() => !document.querySelector('[data-testid="stStatusWidget"]')
                && !document.querySelector('[data-stale="true"]')""", timeout=120_000)
        page.wait_for_timeout(500)


def open_data_page(page, url: str) -> None:
    page.goto(f"{url}/data", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Data").first.wait_for(timeout=90_000)
    settle(page)


def run_sql(page, query: str) -> None:
    """Type ``query`` into the SQL box and press Run query."""
    box = page.get_by_label("DuckDB query (one SELECT)", exact=True)
    box.fill(query)
    box.press("Control+Enter")  # commit the text before the click
    settle(page)
    page.get_by_role("button", name="Run query").click()
    settle(page)


def alert_text(page) -> str:
    return " ".join(page.get_by_test_id("stAlert").all_inner_texts())


def test_sql_box_refuses_copy_to_a_page_file(server, page):
    url, workspace = server
    open_data_page(page, url)
    page.get_by_text("SQL query (DuckDB)", exact=True).click()
    page.get_by_label("DuckDB query (one SELECT)", exact=True).wait_for(timeout=60_000)
    before_page, before_repo = digest(PAGE_FILE), files_under(ROOT)
    before_workspace = files_under(workspace)
    run_sql(page, "COPY (SELECT 'x' AS c) TO 'app_pages/renewals.py' "
                  "(FORMAT csv, HEADER false, QUOTE '')")
    page.get_by_text("only a SELECT query is allowed, not COPY").wait_for(timeout=60_000)
    assert "That data was not loaded" in alert_text(page)
    assert digest(PAGE_FILE) == before_page
    assert files_under(ROOT) - before_repo == set()
    assert files_under(workspace) - before_workspace == set()
    assert page.get_by_test_id("stException").count() == 0 and not page.errors


@pytest.mark.parametrize("query", ["SELECT * FROM read_csv('/etc/passwd', header=false)",
                                   "SELECT * FROM glob('drafts/*')"])
def test_sql_box_refuses_files_it_was_not_offered(server, page, query):
    url, _ = server
    open_data_page(page, url)
    page.get_by_text("SQL query (DuckDB)", exact=True).click()
    page.get_by_label("DuckDB query (one SELECT)", exact=True).wait_for(timeout=60_000)
    run_sql(page, query)
    page.get_by_text("may read only the tables offered here").wait_for(timeout=60_000)
    text = page.locator("body").inner_text()
    assert "root:x:0:0" not in text and "workspace.db" not in text
    assert page.get_by_test_id("stException").count() == 0 and not page.errors


def test_hostile_config_and_file_names_render_as_text(server, page, tmp_path):
    url, _ = server
    name = (f"![beacon](http://{EVIL}/beacon.png) [renew now](http://{EVIL}/phish) "
            f"<img src=http://{EVIL}/raw.png>")
    config = json.loads(DEMO_CONFIG.read_text())
    config["name"] = name
    file_name = f"[open](https:{EVIL}) ![x](https:{EVIL}).json"
    open_data_page(page, url)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Last quarter's config")
    uploader.locator("input[type=file]").set_input_files(
        {"name": file_name, "mimeType": "application/json",
         "buffer": json.dumps(config).encode()})
    page.get_by_text("Baseline set to").wait_for(timeout=90_000)
    settle(page)
    shown = page.locator("body").inner_text()
    assert f"{EVIL}/beacon.png" in shown and f"{EVIL}/phish" in shown  # shown, as text
    assert f"https:{EVIL}" in shown
    links = page.evaluate("() => [...document.querySelectorAll('img[src], a[href]')]"
                          ".map(e => e.getAttribute('src') || e.getAttribute('href'))")
    assert [link for link in links if EVIL in link] == []
    assert [r for r in page.requests if EVIL in r] == []
    assert page.get_by_test_id("stException").count() == 0 and not page.errors


def test_another_users_draft_id_is_not_found(server, page):
    from calibration.store import open_store
    from calibration.store.drafts import DraftContent, create_draft, get_draft

    url, workspace = server
    open_data_page(page, url)  # the server has created and migrated its store by now
    store = open_store(environ={"HSC_WORKSPACE_DIR": str(workspace)})
    secret = "alice-only-accounts.parquet"
    config = DEMO_CONFIG.read_text()
    theirs = create_draft(store, "alice@example.com", DraftContent(
        name="Alice's Q3 draft", author="Alice", notes="", source_name=secret,
        source_path=str(DEMO_DATA), horizon_days=90, baseline_json=config,
        draft_json=config))
    page.goto(f"{url}/data?draft={theirs.id}", wait_until="domcontentloaded")
    page.get_by_text("was not found").wait_for(timeout=90_000)
    settle(page)
    shown = page.locator("body").inner_text()
    assert secret not in shown and "Alice's Q3 draft" not in shown
    assert f"draft={theirs.id}" not in page.url
    assert get_draft(store, theirs.id, "alice@example.com").version == 1  # not written to
    store.close()
    assert page.get_by_test_id("stException").count() == 0 and not page.errors


def test_hostile_factor_names_in_the_weight_sliders_render_as_text(server, page):
    """Calibrate's weights are a custom component (ui/weight_sliders.py): factor names, sub-
    score names and descriptions from a config reach the browser as data and must be set as
    text there, never parsed as markup."""
    from calibration.store import open_store
    from calibration.store.drafts import DraftContent, create_draft
    from ui.store import LOCAL_USER

    url, workspace = server
    open_data_page(page, url)  # the server has created and migrated its store by now
    config = json.loads(DEMO_CONFIG.read_text())
    hostile = f"<img src=http://{EVIL}/factor.png onerror=alert(1)>"
    config["factors"][0]["name"] = hostile
    config["factors"][0]["description"] = f"<a href=http://{EVIL}/help>help</a>"
    group = config["factors"][0]["group"]
    for entry in config.get("groups", []):
        if entry["name"] == group:
            entry["name"] = f"<b>{EVIL}</b>"
    for factor in config["factors"]:
        if factor["group"] == group:
            factor["group"] = f"<b>{EVIL}</b>"
    store = open_store(environ={"HSC_WORKSPACE_DIR": str(workspace)})
    draft = create_draft(store, LOCAL_USER, DraftContent(
        name="Hostile names", author="", notes="", source_name="demo",
        source_path=str(DEMO_DATA), horizon_days=90, baseline_json=DEMO_CONFIG.read_text(),
        draft_json=json.dumps(config)))
    store.close()
    page.goto(f"{url}/?draft={draft.id}", wait_until="domcontentloaded")
    slider = page.get_by_role("slider", name=hostile)
    slider.wait_for(timeout=90_000)
    settle(page)
    weights = page.locator(".hsc-weights")
    assert hostile in weights.inner_text() and f"<b>{EVIL}</b>" in weights.inner_text()
    assert weights.locator("img, a, b").count() == 0
    before = slider.get_attribute("aria-valuetext")
    slider.focus()
    slider.press("ArrowRight")  # a move of that factor goes through the server and back
    page.wait_for_function(
        "([name, before]) => [...document.querySelectorAll('input[type=range]')].some("
        "e => e.getAttribute('aria-label') === name && "
        "e.getAttribute('aria-valuetext') !== before)", arg=[hostile, before], timeout=30_000)
    settle(page)
    assert f"draft={draft.id}" in page.url  # still that draft
    assert [r for r in page.requests if EVIL in r] == []
    assert page.get_by_test_id("stException").count() == 0 and not page.errors
