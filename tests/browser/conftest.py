"""A real app server on 127.0.0.1 and Debian's chromium driven by playwright.

Never downloads a browser. Skips when chromium is missing, except under CI=true, where a
missing browser is a failure (CI installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.app_server import CHROMIUM_ARGS, stop_server
from tests.browser.app_server import start_server as start_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def chromium_path() -> str:
    """Debian's chromium, or skip (fail under CI)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI must install Debian's chromium)")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    return path


def start_server(tmp_path: Path, app: str = "app.py",
                 env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen]:
    """Start the app (:func:`tests.browser.app_server.start_server`) with its own drafts
    folder under ``tmp_path`` (``env``: extra environment settings, e.g. ``HSC_SQL_BOX``)."""
    return start_app(app, {"HSC_DRAFTS_DIR": str(tmp_path / "drafts"), **(env or {})})


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> Iterator[str]:
    """One app server (default settings, its own workspace folder) for every browser test
    of this worker that needs nothing special: a server start and its first session (data
    load, caches) cost seconds each. Tests open fresh sessions (bare URL or their own draft
    id), so they do not see each other's state; one that needs an empty workspace uses
    :func:`fresh_app_server`."""
    folder = tmp_path_factory.mktemp("app")
    url, process = start_server(folder, env={"HSC_WORKSPACE_DIR": str(folder / "drafts")})
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture
def fresh_app_server(tmp_path) -> Iterator[str]:
    """An app server of the test's own, with an empty workspace."""
    url, process = start_server(tmp_path, env={"HSC_WORKSPACE_DIR": str(tmp_path / "drafts")})
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless chromium for a whole test module (pages open their own contexts)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser):
    """A page in a fresh context (own session) of the module's chromium; every context the
    test opens (``browser.new_page`` for a second tab) is closed after it."""
    before = list(browser.contexts)
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    try:
        yield page
    finally:
        for context in browser.contexts:
            if context not in before:
                context.close()


def shows(page, factor: str, value: str) -> bool:
    """Wait until the weight slider shows ``value`` (a rerun may still be on its way)."""
    page.wait_for_function(
        "([name, value]) => [...document.querySelectorAll('input[type=range]')].some("
        "e => e.getAttribute('aria-label') === name && "
        "e.getAttribute('aria-valuetext') === value)", arg=[factor, value], timeout=30_000)
    return True
