"""Drafts follow you, in a real browser: a change survives a page switch and a reload, a
second tab on the same draft gets the conflict message, a recent draft can be resumed."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, shows

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DRAFT_IN_URL = re.compile(r"[?&]draft=([0-9a-f]{32})")


def open_calibrate(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stMetric").first.wait_for(timeout=60_000)


def nudge(page, factor: str) -> str:
    """One arrow key on a weight slider; waits for the rerun and returns the new value."""
    slider = page.get_by_role("slider", name=re.compile(factor))
    before = slider.get_attribute("aria-valuetext")
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(
        "([name, before]) => [...document.querySelectorAll('input[type=range]')].some("
        "e => e.getAttribute('aria-label') === name && "
        "e.getAttribute('aria-valuetext') !== before)", arg=[factor, before], timeout=30_000)
    return slider.get_attribute("aria-valuetext")


def draft_id(page) -> str:
    page.wait_for_url(DRAFT_IN_URL, timeout=30_000)
    return DRAFT_IN_URL.search(page.url).group(1)


def another_tab(page):
    """A second tab of the same browser."""
    return page.context.browser.new_page(viewport={"width": 1500, "height": 1100})


def go_to(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()


def test_change_switch_page_reload_keeps_the_change(app_server, browser_page):
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_calibrate(page, app_server)
    assert "draft=" not in page.url  # nothing changed yet: nothing stored
    moved = nudge(page, "Executive sponsor")
    draft = draft_id(page)
    go_to(page, "Accounts")
    page.wait_for_url(re.compile(r"/accounts\?.*draft=" + draft), timeout=30_000)
    page.reload(wait_until="domcontentloaded")
    page.get_by_test_id("stSidebar").get_by_text("version").first.wait_for(timeout=60_000)
    assert draft_id(page) == draft
    go_to(page, "Calibrate")
    page.wait_for_url(re.compile(r"draft=" + draft), timeout=30_000)
    assert moved != "0.0%" and shows(page, "Executive sponsor", moved)
    assert not errors, errors


def test_second_tab_on_the_same_draft_gets_the_conflict(app_server, browser_page):
    first = browser_page
    open_calibrate(first, app_server)
    moved = nudge(first, "Executive sponsor")
    draft = draft_id(first)
    second = another_tab(first)
    open_calibrate(second, f"{app_server}/?draft={draft}")
    assert shows(second, "Executive sponsor", moved)
    nudge(first, "NPS")  # the first tab saves again: the second tab's copy is now stale
    first.get_by_test_id("stSidebar").get_by_text("version 2").wait_for(timeout=30_000)
    mine = nudge(second, "CSAT")
    conflict = second.get_by_text(re.compile("changed in another tab"))
    conflict.wait_for(timeout=30_000)
    assert "reload, or save yours as a copy" in conflict.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    second.screenshot(path=str(ARTIFACTS / "e2e-draft-conflict.png"), full_page=True)
    second.get_by_role("button", name="Save mine as a copy").click()
    second.wait_for_url(re.compile(r"draft=(?!" + draft + ")[0-9a-f]{32}"), timeout=30_000)
    assert shows(second, "CSAT", mine)


def test_resume_a_draft_from_the_recent_list(fresh_app_server, browser_page):
    app_server = fresh_app_server  # an empty workspace: the recent list holds one draft
    page = browser_page
    open_calibrate(page, app_server)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Draft details").click()
    name = sidebar.get_by_label("Name")
    name.fill("Sponsor-heavy")
    name.press("Enter")
    draft = draft_id(page)
    moved = nudge(page, "Executive sponsor")
    sidebar.get_by_text("version 2").wait_for(timeout=30_000)
    later = another_tab(page)  # next morning: a bare URL
    open_calibrate(later, app_server)
    assert "draft=" not in later.url
    recent = later.get_by_test_id("stSidebar")
    recent.get_by_text(re.compile(r"Recent drafts \(1\)")).click()
    recent.get_by_role("button", name="Sponsor-heavy").click()
    later.wait_for_url(re.compile("draft=" + draft), timeout=30_000)
    assert shows(later, "Executive sponsor", moved)
