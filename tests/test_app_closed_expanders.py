"""A new session draws no contents of a closed expander (the sidebar's draft details and
recent drafts, Calibrate's guardrail form): its browser then loads and renders fewer
widgets. Opening one reruns and draws what it holds, for the current draft."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from calibration.accounts import load_accounts
from calibration.config import load_config
from tests.apptest_support import assert_clean, move_weight, run_app
from tests.conftest import DEMO_CONFIG, DEMO_DATA
from ui.sidebar import DETAILS_OPEN, RECENT_OPEN

pytestmark = pytest.mark.xdist_group("app")
ADD_RAIL_OPEN = "calibrate::add-rail"


def keys(widgets) -> set[str]:
    return {w.key for w in widgets if w.key}


def labelled(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def test_a_new_session_sends_no_closed_expander_contents(isolated_drafts):
    at = run_app(advanced=False)
    assert {e.label for e in at.expander} >= {
        "Draft details (used by every export)", "Recent drafts (0)", "Add a guardrail",
        "Advanced statistics"}
    assert not at.text_input and not at.text_area  # details and the guardrail form
    assert not {m.label for m in at.metric} & {"AUC", "KS", "Red vs green lift"}
    assert not at.get("form")
    assert "draft::new" not in keys(at.button)
    assert at.sidebar.number_input(key="horizon_days_input").value == 90  # still drawn


def test_opening_the_details_shows_the_drafts_own_values(isolated_drafts):
    at = run_app()
    ws = at.session_state["workspace"]
    at.session_state[DETAILS_OPEN] = True
    at.run()
    assert_clean(at)
    assert at.sidebar.text_input(key="details::sidebar::name").value == ws.draft.name
    assert at.sidebar.text_area(key="details::sidebar::notes").value == ""
    at.sidebar.text_input(key="details::sidebar::name").input("Usage first").run()
    assert_clean(at)
    assert at.session_state["workspace"].draft.name == "Usage first"


def test_opening_recent_drafts_offers_a_new_draft(isolated_drafts):
    at = run_app()
    at.session_state[RECENT_OPEN] = True
    at.run()
    assert_clean(at)
    assert "draft::new" in keys(at.button)


def test_the_guardrail_form_adds_a_guardrail_once_open(isolated_drafts):
    at = run_app()
    before = at.session_state["workspace"].draft.guardrails
    at.session_state[ADD_RAIL_OPEN] = True
    at.run()
    assert_clean(at)
    form = at.get("form")
    assert len(form) == 1
    labelled(at.text_input, "Name").input("Tiny ARR")
    labelled(at.selectbox, "Column").select("arr")
    labelled(at.selectbox, "Condition").select("<")
    labelled(at.text_input, "Value").input("5000")
    labelled(at.selectbox, "Cap the band at").select("red")
    next(b for b in at.button if b.label == "Add guardrail").click().run()
    assert_clean(at)
    rails = at.session_state["workspace"].draft.guardrails
    assert len(rails) == len(before) + 1
    added = rails[-1]
    assert (added.name, added.column, added.operator, added.value, added.cap) == (
        "Tiny ARR", "arr", "<", 5000, "red")
    assert any(c.label.startswith("Tiny ARR") for c in at.checkbox)  # listed with the rest


def test_cross_sectional_is_read_once_per_table(monkeypatch):
    history = load_accounts(DEMO_DATA, load_config(DEMO_CONFIG))
    single = replace(history, snapshot_date=np.full(len(history), np.datetime64("NaT", "ns")))
    calls = []
    real = np.isnat
    monkeypatch.setattr(np, "isnat", lambda x: calls.append(1) or real(x))
    for table, expected in ((history, False), (single, True)):
        assert table.cross_sectional is expected and table.cross_sectional is expected
    assert len(calls) == 2  # once per table, not once per question


def test_advanced_statistics_follow_steps_taken_while_closed(isolated_drafts):
    """A weight step with the statistics closed reruns without their fragment (naming a
    fragment the last full run did not draw raises); opening them then shows the moved
    draft's numbers, computed independently, and later steps redraw them."""
    from calibration.weights import flat_weights
    from tests import independent
    from tests.apptest_support import metric
    from ui.fragments import ADVANCED_OPEN

    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    at = run_app(advanced=False)
    move_weight(at, "Executive sponsor", 20)
    assert_clean(at)
    assert not [m for m in at.metric if m.label == "AUC"]
    at.session_state[ADVANCED_OPEN] = True  # the reader opens them
    at.run()
    assert_clean(at)
    draft = at.session_state["workspace"].draft
    assert flat_weights(draft)["Executive sponsor"] == pytest.approx(20)
    auc = independent.auc(independent.judged_accounts(table, draft))
    assert metric(at, "AUC") == f"{auc:.3f}"
    move_weight(at, "Executive sponsor", 40)  # open: the step redraws it
    assert_clean(at)
    draft = at.session_state["workspace"].draft
    assert flat_weights(draft)["Executive sponsor"] == pytest.approx(40)
    moved = independent.judged_accounts(table, draft)
    assert metric(at, "AUC") == f"{independent.auc(moved):.3f}"


def test_recent_drafts_stay_open_when_their_count_changes(isolated_drafts):
    """The count is in the expander's label, and the label is part of its identity: "New
    draft" (which adds the draft left behind to the list) must not close the list under the
    user's hand; closing it still closes it."""
    at = run_app()
    at.session_state["workspace"].set_details(name="Saved one")  # a draft on record
    at.session_state[RECENT_OPEN] = True
    at.run()
    assert [e.label for e in at.sidebar.expander][-1] == "Recent drafts (0)"
    at.button(key="draft::new").click().run()
    assert_clean(at)
    assert [e.label for e in at.sidebar.expander][-1] == "Recent drafts (1)"
    assert "draft::new" in keys(at.button)  # still open: its buttons are drawn
    at.session_state[RECENT_OPEN] = False  # the user closes it
    at.run()
    assert "draft::new" not in keys(at.button)
    at.run()
    assert "draft::new" not in keys(at.button)
