"""The weights component's script (ui/weight_sliders.py) on its own in chromium, driven the
way Streamlit drives it (``default({parentElement, data, setTriggerValue})``), so each rule
is checked without timing: actions are numbered and every unanswered one is sent again;
values answering an older action do not pull back a slider the user is still moving; a new
session (epoch) starts the count over; a refused move goes back; Hold shows at once; names
are text."""

from __future__ import annotations

import json

import pytest

from ui.weight_sliders import CSS, HTML, JS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HOSTILE = "<img src=x onerror=\"window.pwned=1\">"


def groups(active: float, other: float, held: tuple[str, ...] = ()) -> list[dict]:
    return [{"name": "Adoption", "total": active, "factors": [
                {"name": "Active users", "weight": active, "help": "Share of seats",
                 "held": "Active users" in held}]},
            {"name": "<b>Sentiment</b>", "total": other, "factors": [
                {"name": HOSTILE, "weight": other, "help": "", "held": HOSTILE in held}]}]


@pytest.fixture
def component(browser_page):
    """A page with the component's markup and style, its script loaded as a module, and a
    ``render(data)`` that calls it as Streamlit does; what it sends lands in ``window.sent``."""
    page = browser_page
    page.clock.install()  # the resend timer runs on the test's clock
    page.set_content(f"<style>{CSS}</style><div id='host'>{HTML}</div>")
    page.evaluate("""async (js) => {
        const url = URL.createObjectURL(new Blob([js], {type: 'text/javascript'}));
        const mod = await import(url);
        window.sent = [];
        window.render = (data) => window.cleanup = mod.default({
            parentElement: document.getElementById('host'), data,
            setTriggerValue: (event, value) => window.sent.push([event, value])});
    }""", JS)
    return page


def render(page, active: float, other: float, ack: int, epoch: str = "a",
           held: tuple[str, ...] = ()) -> None:
    data = {"groups": groups(active, other, held), "ack": ack, "epoch": epoch}
    page.evaluate("(data) => window.render(JSON.parse(data))", json.dumps(data))


def shown(page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll("
                         "'input[type=range]')].map(e => [e.getAttribute('aria-label'), "
                         "e.value]))")


def last_sent(page) -> list[dict]:
    event, value = page.evaluate("window.sent")[-1]
    assert event == "actions"
    return value["actions"]


def move(name: str, value: float, seq: int) -> dict:
    return {"kind": "move", "name": name, "value": value, "seq": seq}


def test_an_answer_to_an_older_action_does_not_pull_the_slider_back(component):
    page = component
    render(page, 40.0, 60.0, ack=0)
    slider = page.get_by_role("slider", name="Active users")
    slider.focus()
    slider.press("PageUp")  # the browser's own step: 40 -> 50, action 1
    slider.press("PageUp")  # 50 -> 60, action 2: both still unanswered, both sent
    assert last_sent(page) == [move("Active users", 50, 1), move("Active users", 60, 2)]
    render(page, 50.0, 50.0, ack=1)  # the answer to action 1
    assert shown(page) == {"Active users": "60", HOSTILE: "60"}  # not pulled back to 50
    slider.press("PageDown")  # 60 -> 50, action 3: action 1 is answered, 2 and 3 are not
    assert last_sent(page) == [move("Active users", 60, 2), move("Active users", 50, 3)]
    render(page, 50.0, 50.0, ack=3)  # the answer to the last one
    assert shown(page) == {"Active users": "50", HOSTILE: "50"}
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Active users"  # the slider kept the focus: the keyboard keeps stepping


def test_a_new_session_starts_the_count_over(component):
    """After a reconnect to a new session (server restart), the page counts from 0 again:
    the browser must take its values, not wait for an answer to its old count."""
    page = component
    render(page, 40.0, 60.0, ack=0, epoch="old")
    page.get_by_role("slider", name="Active users").focus()
    page.keyboard.press("End")  # action 1, never answered by the old session
    render(page, 10.0, 90.0, ack=0, epoch="new")  # e.g. Equal weights in the new session
    assert shown(page) == {"Active users": "10", HOSTILE: "90"}
    page.keyboard.press("PageUp")
    assert last_sent(page) == [move("Active users", 20, 1)]  # numbered in the new count


def test_a_refused_move_goes_back_and_names_are_text(component):
    page = component
    render(page, 40.0, 60.0, ack=0)
    slider = page.get_by_role("slider", name="Active users")
    slider.focus()
    slider.press("End")  # 100, action 1, refused by the page: the same values, answered
    render(page, 40.0, 60.0, ack=1)
    assert shown(page)["Active users"] == "40"
    assert slider.get_attribute("aria-valuetext") == "40.0%"
    host = page.locator("#host")
    assert HOSTILE in host.inner_text() and "<b>Sentiment</b>" in host.inner_text()
    assert host.locator("img, b").count() == 0 and not page.evaluate("window.pwned")


def test_hold_shows_at_once_and_sends_every_held_factor(component):
    page = component
    render(page, 40.0, 60.0, ack=0, held=(HOSTILE,))
    hold = page.get_by_role("button", name="Hold Active users")
    assert hold.get_attribute("aria-pressed") == "false" and hold.inner_text() == "Hold"
    hold.click()
    assert hold.get_attribute("aria-pressed") == "true"  # before the page answers
    assert last_sent(page) == [{"kind": "hold", "held": ["Active users", HOSTILE], "seq": 1}]
    hold.click()  # a second press before the answer: released again, both sent in order
    assert hold.get_attribute("aria-pressed") == "false"
    assert last_sent(page)[-1] == {"kind": "hold", "held": [HOSTILE], "seq": 2}
    render(page, 40.0, 60.0, ack=1, held=("Active users", HOSTILE))  # answer to the first
    assert hold.get_attribute("aria-pressed") == "false"  # still what the user did last
    render(page, 40.0, 60.0, ack=2, held=(HOSTILE,))
    assert hold.get_attribute("aria-pressed") == "false"
    assert page.get_by_role("button", name=f"Hold {HOSTILE}").get_attribute(
        "aria-pressed") == "true"


def test_an_unanswered_action_is_resent_until_answered_and_never_after_unmount(component):
    page = component
    render(page, 40.0, 60.0, ack=0)
    page.get_by_role("slider", name="Active users").focus()
    page.keyboard.press("PageUp")  # action 1, no answer
    assert len(page.evaluate("window.sent")) == 1
    page.clock.run_for(4100)
    assert page.evaluate("window.sent").count(page.evaluate("window.sent")[0]) == 2  # again
    render(page, 50.0, 50.0, ack=1)  # answered: no more resends
    page.clock.run_for(10_000)
    assert len(page.evaluate("window.sent")) == 2
    page.keyboard.press("PageUp")  # action 2, then the component leaves the page
    page.evaluate("window.cleanup()")
    page.clock.run_for(10_000)
    assert len(page.evaluate("window.sent")) == 3  # sent once, never again


def test_a_new_mount_numbers_after_what_the_page_has_handled(component):
    """A new mount starts from the page's count (ack 2 here), and when the page then handles
    actions another mount of the same session sent (ack 3: a page switch while an action
    was on its way), the next action is 4, not 3 (which the page would ignore)."""
    page = component
    render(page, 40.0, 60.0, ack=2)
    render(page, 40.0, 60.0, ack=3)
    page.get_by_role("slider", name="Active users").focus()
    page.keyboard.press("PageUp")
    assert last_sent(page) == [move("Active users", 50, 4)]


def test_a_rebuilt_layout_keeps_resending_what_is_unanswered(component):
    page = component
    render(page, 40.0, 60.0, ack=0)
    page.get_by_role("slider", name="Active users").focus()
    page.keyboard.press("PageUp")  # action 1, no answer
    logins = {"name": "New", "total": 0.0, "factors": [
        {"name": "Logins", "weight": 0.0, "help": "", "held": False}]}
    data = {"groups": [*groups(40.0, 60.0), logins], "ack": 0, "epoch": "a"}
    page.evaluate("(data) => window.render(JSON.parse(data))", json.dumps(data))
    assert "Logins" in shown(page)
    page.clock.run_for(4100)
    assert len(page.evaluate("window.sent")) == 2  # still asks for its answer
