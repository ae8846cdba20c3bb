"""Calibrate's weights component (ui/weight_sliders.py): what it is sent, what it accepts
back from the browser (numbered actions), and the page's behaviour when actions are
batched, replayed, hostile or refused."""

from __future__ import annotations

import math
import re

import pytest

from calibration.config import load_config
from calibration.weights import flat_weights, rebalance
from tests.apptest_support import (
    assert_clean,
    held_weights,
    hold_weight,
    move_weight,
    run_app,
    weight,
    weight_data,
    weight_event,
    weights,
)
from tests.conftest import DEMO_CONFIG
from ui import weight_sliders
from ui.weight_sliders import Hold, Move, parse_action, parse_actions, weights_view

NAMES = ["Active users", "NPS"]


@pytest.mark.parametrize(("action", "expected"), [
    ({"kind": "move", "name": "NPS", "value": 12.5}, Move("NPS", 12.5)),
    ({"kind": "move", "name": "NPS", "value": 12}, Move("NPS", 12.0)),
    ({"kind": "move", "name": "NPS", "value": -3}, Move("NPS", 0.0)),  # clipped
    ({"kind": "move", "name": "NPS", "value": 250.0}, Move("NPS", 100.0)),
    ({"kind": "move", "name": "nps", "value": 10}, None),  # not a factor of the draft
    ({"kind": "move", "name": "<script>", "value": 10}, None),
    ({"kind": "move", "name": "NPS", "value": "10"}, None),  # not a number
    ({"kind": "move", "name": "NPS", "value": True}, None),
    ({"kind": "move", "name": "NPS", "value": math.nan}, None),
    ({"kind": "move", "name": "NPS", "value": -math.inf}, None),
    ({"kind": "move", "name": "NPS", "value": 10**400}, None),  # no float overflow
    ({"kind": "move", "name": "NPS"}, None),
    ({"kind": "hold", "held": ["NPS", "Active users"]}, Hold(("Active users", "NPS"))),
    ({"kind": "hold", "held": []}, Hold(())),
    ({"kind": "hold", "held": ["NPS", "<gone>"]}, Hold(("NPS",))),  # unknown names drop
    ({"kind": "hold", "held": "NPS"}, None),
    ({"kind": "hold", "held": [1]}, None),
    ({"kind": "drop table", "name": "NPS"}, None),
    ({}, None),
])
def test_parse_action_accepts_only_what_the_component_sends(action, expected):
    assert parse_action(action, NAMES) == expected


def test_parse_actions_keeps_the_new_ones_in_order_and_acknowledges_the_last():
    listed = [{"kind": "move", "name": "NPS", "value": 30, "seq": 6},
              {"kind": "move", "name": "NPS", "value": 10, "seq": 4},  # handled before
              {"kind": "hold", "held": ["NPS"], "seq": 7},
              {"kind": "move", "name": "<x>", "value": 1, "seq": 8},  # numbered, unusable
              {"kind": "move", "name": "Active users", "value": 5, "seq": 5},
              {"kind": "move", "name": "NPS", "value": 1, "seq": True},  # no valid number
              {"kind": "move", "name": "NPS", "value": 1, "seq": 2**60},
              "not an action"]
    actions, last = parse_actions({"actions": listed}, NAMES, after=4)
    assert actions == [Move("Active users", 5.0), Move("NPS", 30.0), Hold(("NPS",))]
    assert last == 8
    assert parse_actions({"actions": listed}, NAMES, after=8) == ([], None)
    for hostile in (None, [], "x", {"actions": "x"}, {"actions": [[1]]}):
        assert parse_actions(hostile, NAMES, after=0) == ([], None)


def test_parse_actions_reads_at_most_the_last_max_actions():
    listed = [{"kind": "move", "name": "NPS", "value": i % 100, "seq": i + 1}
              for i in range(weight_sliders.MAX_ACTIONS + 50)]
    actions, last = parse_actions({"actions": listed}, NAMES, after=0)
    assert len(actions) == weight_sliders.MAX_ACTIONS and last == len(listed)


def test_weights_view_groups_every_factor_with_its_share():
    config = load_config(DEMO_CONFIG)
    flat = flat_weights(config)
    groups = weights_view(config, held=["NPS"])
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
            assert entry["held"] == (factor.name == "NPS")
    assert sum(g["total"] for g in groups) == pytest.approx(100, abs=0.05 * len(groups))


def test_the_component_sets_text_never_markup():
    """Names and descriptions come from configs and uploads: the script writes them with
    textContent / attributes only (the browser tests replay hostile names)."""
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(",
                         weight_sliders.JS)
    assert "if (text !== undefined) node.textContent = text;" in weight_sliders.JS
    assert "__MAX_ACTIONS__" not in weight_sliders.JS


@pytest.mark.parametrize("value", [
    {"actions": [{"kind": "move", "name": "<img src=x>", "value": 10, "seq": 1}]},
    {"actions": [{"kind": "move", "name": "NPS", "value": "ten", "seq": 1}]},
    {"actions": [{"kind": "move", "name": "NPS", "value": None, "seq": 1}]},
    {"actions": [{"kind": "hold", "held": "NPS", "seq": 1}]},
    {"actions": "NPS"}, ["NPS", 10], None])
def test_a_hostile_event_changes_nothing(value):
    at = run_app(page="calibrate")
    before = at.session_state["workspace"].draft
    weight_event(at, value)
    assert_clean(at)
    assert at.session_state["workspace"].draft == before
    assert weights(at) == {f["name"]: f["weight"]
                           for g in weights_view(before) for f in g["factors"]}
    assert held_weights(at) == []


def test_a_move_out_of_range_is_clipped():
    at = run_app(page="calibrate")
    move_weight(at, "NPS", 1e308)
    assert_clean(at)
    assert flat_weights(at.session_state["workspace"].draft)["NPS"] == pytest.approx(100)
    assert weights(at)["NPS"] == 100


def test_moves_batched_in_one_event_all_apply_in_order_as_one_change():
    """Streamlit batches the events of a busy page into one message, and the component
    sends every unanswered action each time: two moves of different factors both apply
    (the second after the first, as the user made them), once, as one undo step."""
    at = run_app(page="calibrate")
    config = at.session_state["workspace"].draft
    history = len(at.session_state["workspace"].history)
    first = {"kind": "move", "name": "NPS", "value": 20, "seq": 1}
    second = {"kind": "move", "name": "CSAT", "value": 10, "seq": 2}
    weight_event(at, {"actions": [first, second]})
    assert_clean(at)
    expected = rebalance(rebalance(flat_weights(config), "NPS", 20), "CSAT", 10)
    assert flat_weights(at.session_state["workspace"].draft) == pytest.approx(expected)
    assert (weight(at, "NPS"), weight(at, "CSAT")) == (round(expected["NPS"], 1), 10)
    assert len(at.session_state["workspace"].history) == history + 1
    assert weight_data(at)["ack"] == 2
    weight_event(at, {"actions": [first, second]})  # the same event again: handled already
    assert flat_weights(at.session_state["workspace"].draft) == pytest.approx(expected)
    assert len(at.session_state["workspace"].history) == history + 1


def test_a_hold_then_a_move_in_one_event_holds_for_that_move():
    at = run_app(page="calibrate")
    weight_event(at, {"actions": [
        {"kind": "hold", "held": ["CSM assessment"], "seq": 1},
        {"kind": "move", "name": "Active users", "value": 10, "seq": 2}]})
    assert_clean(at)
    assert held_weights(at) == ["CSM assessment"]
    assert (weight(at, "CSM assessment"), weight(at, "Open tickets")) == (30, 60)


def test_a_move_that_cannot_apply_redraws_the_slider_where_it_was():
    """Every other factor held: a weight cannot move (the held ones leave it exactly its
    share). The draft stays; the data the browser gets still changes (the action is
    acknowledged), so its input, which shows where the user dragged it, goes back."""
    at = run_app(page="calibrate")
    draft = at.session_state["workspace"].draft
    others = [n for n in draft.factor_names if n != "Active users"]
    seq = weight_data(at)["ack"] + 1
    weight_event(at, {"actions": [{"kind": "hold", "held": others, "seq": seq}]})
    assert sorted(held_weights(at)) == sorted(others)
    before = weight_data(at)
    move_weight(at, "Active users", 75)
    assert_clean(at)
    assert flat_weights(at.session_state["workspace"].draft) == pytest.approx(
        flat_weights(draft))
    assert weights(at)["Active users"] == 40
    assert weight_data(at)["ack"] == before["ack"] + 1  # re-sent: the browser takes the values


def test_holds_are_shown_kept_and_cleared_with_the_other_controls():
    at = run_app(page="calibrate")
    hold_weight(at, "Open tickets")
    assert held_weights(at) == ["Open tickets"]
    move_weight(at, "NPS", 10)
    assert held_weights(at) == ["Open tickets"] and weight(at, "Open tickets") == 30
    hold_weight(at, "Open tickets", held=False)
    hold_weight(at, "CSAT")
    assert held_weights(at) == ["CSAT"]
    at.sidebar.button[1].click().run()  # Reset draft: the controls start over
    assert held_weights(at) == []


def test_each_session_has_its_own_epoch_and_count():
    """A browser that meets a new session (a reload, a server restart) starts counting from
    that session's acknowledgement, told apart by the session's epoch."""
    first, second = run_app(page="calibrate"), run_app(page="calibrate")
    assert weight_data(first)["epoch"] != weight_data(second)["epoch"]
    epoch = weight_data(first)["epoch"]
    move_weight(first, "NPS", 10)
    assert weight_data(first)["epoch"] == epoch and weight_data(first)["ack"] == 1
    assert weight_data(second)["ack"] == 0


def test_every_answer_reaches_the_browser_even_with_nothing_new():
    """Streamlit calls the component's script only when its data changed; an event that
    brings nothing new (a resend the page had handled) still gets a new answer, so a
    browser that waits for one is never left waiting."""
    at = run_app(page="calibrate")
    event = {"actions": [{"kind": "move", "name": "NPS", "value": 10, "seq": 1}]}
    weight_event(at, event)
    first = weight_data(at)
    weight_event(at, event)  # the same action again: nothing new to apply
    second = weight_data(at)
    assert (second["ack"], second["groups"]) == (first["ack"], first["groups"])
    assert second != first
