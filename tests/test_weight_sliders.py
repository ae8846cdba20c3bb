"""Calibrate's weights component (ui/weight_sliders.py): what it is sent, what it accepts
back from the browser, and the page's behaviour when a move is hostile or refused."""

from __future__ import annotations

import math
import re

import pytest

from calibration.config import load_config
from calibration.weights import flat_weights
from tests.apptest_support import (
    assert_clean,
    held_weights,
    hold_weight,
    move_weight,
    run_app,
    weight,
    weight_component,
    weight_event,
    weights,
)
from tests.conftest import DEMO_CONFIG
from ui import weight_sliders
from ui.weight_sliders import parse_hold, parse_move, weights_view

NAMES = ["Active users", "NPS"]


@pytest.mark.parametrize(("moved", "expected"), [
    ({"name": "NPS", "value": 12.5}, ("NPS", 12.5)),
    ({"name": "NPS", "value": 12}, ("NPS", 12.0)),
    ({"name": "NPS", "value": -3}, ("NPS", 0.0)),  # clipped to the slider's range
    ({"name": "NPS", "value": 250.0}, ("NPS", 100.0)),
    ({"name": "nps", "value": 10}, None),  # not a factor of the draft
    ({"name": "<script>", "value": 10}, None),
    ({"name": "NPS", "value": "10"}, None),  # not a number
    ({"name": "NPS", "value": True}, None),
    ({"name": "NPS", "value": math.nan}, None),
    ({"name": "NPS", "value": math.inf}, None),
    ({"name": "NPS"}, None),
    ({"value": 10}, None),
    (["NPS", 10], None),
    (None, None),
])
def test_parse_move_accepts_only_what_the_component_sends(moved, expected):
    assert parse_move(moved, NAMES) == expected


def test_weights_view_groups_every_factor_with_its_share():
    config = load_config(DEMO_CONFIG)
    flat = flat_weights(config)
    groups = weights_view(config)
    assert [g["name"] for g in groups] == config.group_names()
    shown = [f["name"] for g in groups for f in g["factors"]]
    assert sorted(shown) == sorted(config.factor_names) and len(set(shown)) == len(shown)
    for group in groups:
        members = [f for f in config.factors if f.group == group["name"]]
        assert [f["name"] for f in group["factors"]] == [f.name for f in members]
        assert group["total"] == round(sum(flat[f.name] for f in members), 1)
        for entry, factor in zip(group["factors"], members, strict=True):
            assert entry["weight"] == round(flat[factor.name], 1)
            assert entry["help"] == (factor.description or "")
    assert sum(g["total"] for g in groups) == pytest.approx(100, abs=0.05 * len(groups))


def test_the_component_sets_text_never_markup():
    """Names and descriptions come from configs and uploads: the script writes them with
    textContent / attributes only (the browser test replays hostile names)."""
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(",
                         weight_sliders.JS)
    assert "if (text !== undefined) node.textContent = text;" in weight_sliders.JS


@pytest.mark.parametrize(("name", "value"), [("<img src=x>", 10), ("NPS", "ten"),
                                              ("NPS", None), ("NPS", [1, 2])])
def test_a_hostile_move_changes_nothing(name, value):
    at = run_app(page="calibrate")
    before = at.session_state["workspace"].draft
    move_weight(at, name, value)
    assert_clean(at)
    assert at.session_state["workspace"].draft == before
    assert weights(at) == {f["name"]: f["weight"]
                           for g in weights_view(before) for f in g["factors"]}


def test_a_move_out_of_range_is_clipped():
    at = run_app(page="calibrate")
    move_weight(at, "NPS", 1e308)
    assert_clean(at)
    assert flat_weights(at.session_state["workspace"].draft)["NPS"] == pytest.approx(100)
    assert weights(at)["NPS"] == 100


def test_a_move_that_cannot_apply_redraws_the_slider_where_it_was():
    """Every other factor held: a weight cannot move (the held ones leave it exactly its
    share). The draft stays; the data the browser gets still changes (the move is
    acknowledged), so its input, which shows where the user dragged it, goes back to the
    true share."""
    at = run_app(page="calibrate")
    draft = at.session_state["workspace"].draft
    others = [n for n in draft.factor_names if n != "Active users"]
    for name in others:
        hold_weight(at, name)
    assert sorted(held_weights(at)) == sorted(others)
    sent_before = weight_component(at).proto.json
    move_weight(at, "Active users", 75)
    assert_clean(at)
    assert flat_weights(at.session_state["workspace"].draft) == pytest.approx(
        flat_weights(draft))
    assert weights(at)["Active users"] == 40
    assert weight_component(at).proto.json != sent_before  # re-sent: the browser redraws


@pytest.mark.parametrize(("event", "expected"), [
    ({"name": "NPS", "held": True}, ("NPS", True)),
    ({"name": "NPS", "held": False}, ("NPS", False)),
    ({"name": "NPS", "held": 1}, None),
    ({"name": "NPS", "held": "true"}, None),
    ({"name": "nps", "held": True}, None),
    ({"held": True}, None),
    ("NPS", None),
])
def test_parse_hold_accepts_only_what_the_component_sends(event, expected):
    assert parse_hold(event, NAMES) == expected


def test_holds_are_shown_kept_and_cleared_with_the_other_controls():
    at = run_app(page="calibrate")
    hold_weight(at, "Open tickets")
    hold_weight(at, "<script>")  # not a factor: nothing happens
    weight_event(at, "held", ["Open tickets", False])
    assert_clean(at)
    assert held_weights(at) == ["Open tickets"]
    move_weight(at, "NPS", 10)
    assert held_weights(at) == ["Open tickets"] and weight(at, "Open tickets") == 30
    at.sidebar.button[1].click().run()  # Reset draft: the controls start over
    assert held_weights(at) == []


def test_every_handled_move_is_acknowledged_with_the_browsers_number():
    """The browser numbers its moves and ignores values answering an older one while a
    newer is on its way (else a fast keyboard user's slider jumps back): the page sends the
    number of the last move it handled, applied or refused, and only a valid number."""
    import json

    at = run_app(page="calibrate")
    ack = lambda: json.loads(weight_component(at).proto.json)["ack"]  # noqa: E731
    assert ack() == 0
    weight_event(at, "moved", {"name": "NPS", "value": 10, "seq": 7})
    assert ack() == 7 and weights(at)["NPS"] == 10
    weight_event(at, "moved", {"name": "<nope>", "value": 10, "seq": 8})  # refused, handled
    assert ack() == 8
    for seq in (True, -1, 2**60, "9", 9.5, None):
        weight_event(at, "moved", {"name": "NPS", "value": 12, "seq": seq})
        assert_clean(at)
        assert ack() == 8
    assert weights(at)["NPS"] == 12  # a move without a valid number still applies
