"""The weights component's script (ui/weight_sliders.py) on its own in chromium, driven the
way Streamlit drives it (``default({parentElement, data, setTriggerValue})``), so each rule
is checked without timing: values answering an older move do not pull back a slider the
user is still moving, names are text, a refused move's slider goes back, Hold sends."""

from __future__ import annotations

import json

import pytest

from ui.weight_sliders import CSS, HTML, JS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOSTILE = "<img src=x onerror=\"window.pwned=1\">"


def groups(active: float, nps: float, held: tuple[str, ...] = ()) -> list[dict]:
    return [{"name": "Adoption", "total": active, "factors": [
                {"name": "Active users", "weight": active, "help": "Share of seats",
                 "held": "Active users" in held}]},
            {"name": "<b>Sentiment</b>", "total": nps, "factors": [
                {"name": HOSTILE, "weight": nps, "help": "", "held": HOSTILE in held}]}]


@pytest.fixture
def component(browser_page):
    """A page with the component's markup and style, its script loaded as a module, and a
    ``render(data)`` that calls it as Streamlit does; what it sends lands in ``window.sent``."""
    page = browser_page
    page.set_content(f"<style>{CSS}</style><div id='host'>{HTML}</div>")
    page.evaluate("""async (js) => {
        const url = URL.createObjectURL(new Blob([js], {type: 'text/javascript'}));
        const mod = await import(url);
        window.sent = [];
        window.render = (data) => mod.default({
            parentElement: document.getElementById('host'), data,
            setTriggerValue: (event, value) => window.sent.push([event, value])});
    }""", JS)
    return page


def render(page, data: dict) -> None:
    page.evaluate("(data) => window.render(JSON.parse(data))", json.dumps(data))


def shown(page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll("
                         "'input[type=range]')].map(e => [e.getAttribute('aria-label'), "
                         "e.value]))")


def test_an_answer_to_an_older_move_does_not_pull_the_slider_back(component):
    page = component
    render(page, {"groups": groups(40.0, 60.0), "ack": 0})
    slider = page.get_by_role("slider", name="Active users")
    slider.focus()
    slider.press("PageUp")  # the browser's own step: 40 -> 50, sent as move 1
    slider.press("PageUp")  # 50 -> 60, move 2
    assert page.evaluate("window.sent") == [
        ["moved", {"name": "Active users", "value": 50, "seq": 1}],
        ["moved", {"name": "Active users", "value": 60, "seq": 2}]]
    render(page, {"groups": groups(50.0, 50.0), "ack": 1})  # the answer to move 1
    assert shown(page) == {"Active users": "60", HOSTILE: "60"}  # not pulled back to 50
    render(page, {"groups": groups(60.0, 40.0), "ack": 2})  # the answer to the last one
    assert shown(page) == {"Active users": "60", HOSTILE: "40"}
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Active users"  # the slider kept the focus: the keyboard keeps stepping


def test_a_refused_move_goes_back_and_names_are_text(component):
    page = component
    render(page, {"groups": groups(40.0, 60.0), "ack": 0})
    slider = page.get_by_role("slider", name="Active users")
    slider.focus()
    slider.press("End")  # 100, move 1, refused by the page: the same values, acknowledged
    render(page, {"groups": groups(40.0, 60.0), "ack": 1})
    assert shown(page)["Active users"] == "40"
    assert page.get_by_role("slider", name="Active users").get_attribute(
        "aria-valuetext") == "40.0%"
    host = page.locator("#host")
    assert HOSTILE in host.inner_text() and "<b>Sentiment</b>" in host.inner_text()
    assert host.locator("img, b").count() == 0 and not page.evaluate("window.pwned")


def test_hold_sends_the_new_state_and_shows_the_one_it_is_given(component):
    page = component
    render(page, {"groups": groups(40.0, 60.0), "ack": 0})
    hold = page.get_by_role("button", name="Hold Active users")
    assert hold.get_attribute("aria-pressed") == "false" and hold.inner_text() == "Hold"
    hold.click()
    assert page.evaluate("window.sent") == [["held", {"name": "Active users", "held": True}]]
    assert hold.get_attribute("aria-pressed") == "false"  # until the page says so
    render(page, {"groups": groups(40.0, 60.0, held=("Active users",)), "ack": 0})
    assert hold.get_attribute("aria-pressed") == "true" and hold.inner_text() == "Held"
    hold.click()
    assert page.evaluate("window.sent")[-1] == ["held", {"name": "Active users",
                                                         "held": False}]
