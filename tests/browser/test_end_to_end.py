"""End to end in a real browser: open the app, change a weight, see the metric update."""

from __future__ import annotations

import re

import pytest

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scoring import score_frame
from calibration.validation import validate
from calibration.weights import apply_flat_weights, flat_weights, round_to_total
from tests.browser.conftest import ARTIFACTS, shows
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def auc_after(changes: dict[str, float]) -> str:
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    draft = apply_flat_weights(config, {**round_to_total(flat_weights(config), digits=0),
                                        **changes})
    scored = score_frame(table.frame, draft, explain=False)
    evidence = validate(table, draft, scored, by_segment=False, include_logit=False,
                        include_factors=False)
    return f"{evidence['auc']['value']:.3f}"


def metric_value(page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text=label).first
    return card.get_by_test_id("stMetricValue").inner_text()


def test_change_a_weight_and_see_auc_update(app_server, browser_page):
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server, wait_until="domcontentloaded")
    page.get_by_text("Calibrate").first.wait_for(timeout=60_000)
    page.get_by_test_id("stMetric").first.wait_for(timeout=60_000)
    page.get_by_text("Advanced statistics").first.click()  # the statistics sit in here
    before = metric_value(page, "AUC")
    assert before == auc_after({})
    # End on the Executive sponsor slider: 0% -> 100%, so every unlocked other drops to 0
    # (a 0.1-point arrow step moves the AUC by less than the 3 decimals shown)
    slider = page.get_by_role("slider", name=re.compile("Executive sponsor"))
    slider.focus()
    slider.press("End")
    all_sponsor = {name: 0.0 for name in flat_weights(load_config(DEMO_CONFIG))}
    expected = auc_after({**all_sponsor, "Executive sponsor": 100.0})
    assert expected != before
    page.get_by_test_id("stMetricValue").filter(has_text=expected).first.wait_for(
        timeout=30_000)
    assert metric_value(page, "AUC") == expected
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e-calibrate.png"), full_page=True)
    assert "draft=" in page.url  # the draft id is in the URL: a reload restores it
    page.reload(wait_until="domcontentloaded")
    page.get_by_text("Advanced statistics").first.click()
    page.get_by_test_id("stMetricValue").filter(has_text=expected).first.wait_for(
        timeout=60_000)
    assert not errors, errors


def test_hold_a_weight_then_move_another(app_server, browser_page):
    """The weights component in the browser: *Hold* keeps a factor's share while another
    moves (the server rebalances the rest), and the focused slider keeps the keyboard."""
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server, wait_until="domcontentloaded")
    page.get_by_test_id("stMetric").first.wait_for(timeout=60_000)

    hold = page.get_by_role("button", name="Hold Open tickets")
    hold.click()
    page.wait_for_function(
        "() => document.querySelector('[aria-label=\"Hold Open tickets\"]')"
        ".getAttribute('aria-pressed') === 'true'", timeout=30_000)
    slider = page.get_by_role("slider", name="Active users")
    slider.focus()
    for _ in range(3):
        slider.press("PageUp")  # +10 points a press
    shows(page, "Active users", "70.0%")
    shows(page, "Open tickets", "30.0%")  # held
    shows(page, "CSM assessment", "0.0%")  # took the rest of the change
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Active users"
    assert not errors, errors


def test_score_chart_is_inline_svg_and_loads_no_vega(app_server, browser_page):
    """Calibrate's "Renewed vs churned" chart reaches the page as SVG through the chart
    component (bars, tooltips and labels kept; none of it through Markdown), a new session
    loads no Vega code, and a band step moves the cut-off label in place."""
    page = browser_page
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url.rsplit("/", 1)[-1])
            if request.resource_type == "script" else None)
    page.goto(app_server, wait_until="domcontentloaded")
    # playwright's CSS selectors reach into the component's (open) shadow root
    chart = page.locator("[data-testid='stBidiComponentIsolated'] svg[role='img']")
    chart.wait_for(timeout=60_000)
    label = chart.get_attribute("aria-label")
    assert label.startswith("Renewed vs churned: histogram of health scores")
    assert chart.locator("g.bin").count() == 40
    assert chart.locator("g.bin > title").count() == 40
    assert chart.locator("rect.bar").count() == 80
    assert chart.locator("g.cut text").all_text_contents() == ["red ≤ 30", "green > 70"]
    assert chart.locator("g.cut line").first.get_attribute("stroke-dasharray") == "5 3"
    width = chart.bounding_box()["width"]
    pane = page.locator("[data-testid='stBidiComponentIsolated']").bounding_box()
    assert width == pytest.approx(pane["width"], abs=2)  # scaled to the pane's width
    assert page.locator("[data-testid='stMarkdown'] svg").count() == 0
    assert page.get_by_test_id("stVegaLiteChart").count() == 0
    assert not [s for s in scripts if s.startswith(("embed.", "ArrowVegaLiteChart."))]
    band = page.get_by_test_id("stSlider").filter(has_text="Band cut-offs").get_by_role(
        "slider").first
    band.focus()
    band.press("ArrowRight")
    chart.locator("g.cut text", has_text="red ≤ 31").wait_for(timeout=30_000)
    assert chart.count() == 1 and chart.locator("g.bin > title").count() == 40
