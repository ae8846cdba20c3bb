"""Calibrate: weights, scoring thresholds, bands and guardrails, with live validation.

The page is cut into fragments (:mod:`ui.fragments`): a control reruns only the parts that
show what it changed (headline numbers, its own controls, the results pane, the sidebar's
draft status), never the app frame or the other controls.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from calibration import charts
from calibration.config import ConfigError, Guardrail, config_from_dict
from calibration.fitting import band_warnings
from calibration.weights import apply_flat_weights, flat_weights, rebalance
from ui import components, fragments, layout, rule_editor, state, weight_sliders
from ui.fragments import then_rerun, then_rerun_app
from ui.text import judged_when, md_escape

ws, table = state.workspace_and_table()

st.title("Calibrate")
st.caption("Move a weight, a threshold or a band cut-off: the numbers below are recomputed "
           f"at once on every account, judged {judged_when(table, ws.horizon_days)}. "
           "Deltas compare with the baseline "
           f"(**{md_escape(ws.baseline.name)}**).")


# read once per full run: the fragments rerun without this module and np.isnat over every
# snapshot (1.8M at 100k accounts) on each slider move cost more than the check is worth
CROSS_SECTIONAL = table.cross_sectional
MEMO = "calibrate::evaluations"
st.session_state.pop(MEMO, None)  # a full run (page visit, new tags) asks the caches again


def current() -> tuple[state.Workspace, state.Evaluation, state.Evaluation]:
    """This session's workspace and the baseline and draft evaluations (cached for every
    session). The fragments of one rerun share them through a memo that holds while the
    draft and baseline objects, the data and the horizon are the same (a changed config is
    a new object): each cache lookup hashes its key, which adds up over a rerun."""
    ws = state.workspace()
    key = (ws.draft, ws.baseline, state.data_key(ws), ws.horizon_days)
    memo = st.session_state.get(MEMO)
    if memo is not None and len(memo[0]) == len(key) and all(
            a is b or a == b for a, b in zip(memo[0], key, strict=True)):
        return ws, *memo[1]
    evaluations = (state.evaluate(ws, ws.baseline, table), state.evaluate(ws, ws.draft, table))
    st.session_state[MEMO] = (key, evaluations)
    return ws, *evaluations


@st.fragment(key=fragments.METRICS)
def headline() -> None:
    """The CS outcome cards, reference agreement, warnings, alarms and the last error."""
    ws, baseline, draft = current()
    components.headline_metrics(draft.metrics, baseline.metrics, ws.horizon_days,
                                 CROSS_SECTIONAL)
    for alarm in state.config_alarms(draft):
        st.error(f"**{'Possible leak' if alarm['kind'] == 'leak' else 'Fairness'}:** "
                 f"{md_escape(alarm['message'])}")
    if error := st.session_state.pop("calibrate_error", None):
        st.error(error)


@st.fragment(key=fragments.ADVANCED)
def advanced() -> None:
    """The advanced statistics' cards; the expander and the sentence under each card are
    static, outside the fragment, so a step does not re-send them."""
    _, baseline, draft = current()
    components.advanced_numbers(draft.metrics, baseline.metrics, key="headline")


headline()
# drawn only while open (opening reruns the app): a new session sends none of its cards,
# and a step reruns its fragment only while it shows (ui.fragments.drawn)
advanced_box = st.expander("Advanced statistics", key=fragments.ADVANCED_OPEN, on_change="rerun")
if advanced_box.open:
    with advanced_box:
        advanced()
        components.advanced_notes(key="headline")


# --------------------------------------------------------------------------- callbacks
TAB = "calibrate::tab"  # the open tab of the controls pane
ADD_RAIL_OPEN = "calibrate::add-rail"  # whether the Add a guardrail expander is open


def on_weights() -> None:
    """The browser's new weight actions, in order: a move keeps exactly the value the user
    chose (within what the held factors leave free) and rescales the others in
    proportion; a hold changes which factors hold. Moves rerun what shows the weights'
    effect; holds alone only the weights (the component's own fragment)."""
    ws = state.workspace()
    flat = flat_weights(ws.draft)  # the true shares (the sliders only show one decimal)
    moved = refused = False
    for action in weight_sliders.new_actions(ws.draft.factor_names):
        if isinstance(action, weight_sliders.Hold):
            weight_sliders.hold(action)
            continue
        new = rebalance(flat, action.name, action.value, weight_sliders.held_factors(ws.draft))
        if sum(new.values()) <= 0:
            st.session_state["calibrate_error"] = "At least one factor needs weight."
            refused = True
            continue
        flat, moved = new, True
    if moved:  # several moves batched by the browser: one change of the draft, one undo
        ws.set_draft(apply_flat_weights(ws.draft, flat))
    if moved or refused:
        st.rerun(fragments.drawn(fragments.AFTER_WEIGHT))


def on_bands() -> None:
    ws = state.workspace()
    red_max, yellow_max = st.session_state["band::range"]
    if red_max >= yellow_max:
        st.session_state["calibrate_error"] = (
            "Red must end below where green starts: move the handles apart.")
        return
    raw = ws.draft.model_dump()
    raw["bands"] = {"red_max": float(red_max), "yellow_max": float(yellow_max)}
    ws.set_draft(config_from_dict(raw))


def on_rail(index: int) -> None:
    ws = state.workspace()
    raw = ws.draft.model_dump()
    raw["guardrails"][index]["enabled"] = bool(st.session_state[f"rail::{index}::on"])
    raw["guardrails"][index]["cap"] = st.session_state[f"rail::{index}::cap"]
    ws.set_draft(config_from_dict(raw))


def remove_rail(index: int) -> None:
    ws = state.workspace()
    raw = ws.draft.model_dump()
    del raw["guardrails"][index]
    ws.set_draft(config_from_dict(raw), reset_widgets=True)


def equal_weights() -> None:
    ws = state.workspace()
    names = ws.draft.factor_names
    ws.set_draft(apply_flat_weights(ws.draft, dict.fromkeys(names, 100 / len(names))),
                 reset_widgets=True)


def baseline_weights() -> None:
    ws = state.workspace()
    ws.set_draft(apply_flat_weights(ws.draft, flat_weights(ws.baseline)), reset_widgets=True)


# --------------------------------------------------------------------------- controls
@st.fragment(key=fragments.WEIGHTS)
def weight_controls() -> None:
    """One slider per factor, grouped by sub-score, in one browser component
    (:mod:`ui.weight_sliders`, with each factor's *Hold*): a move re-sends the values, not
    13 widgets. The caption and the presets stay out of the fragment."""
    weight_sliders.render(state.workspace().draft, on_weights)


def weight_presets() -> None:
    """Equal or baseline weights (each reruns the whole app)."""
    left, right = st.columns(2)
    left.button("Equal weights", on_click=then_rerun_app(equal_weights), width="stretch")
    right.button("Baseline weights", on_click=then_rerun_app(baseline_weights),
                 width="stretch")


@st.fragment(key=fragments.RULES)
def rule_controls() -> None:
    """The selected factor's scoring rule (:mod:`ui.rule_editor`)."""
    ws, _, draft = current()
    rule_editor.render(ws, table, draft)


@st.fragment(key=fragments.BANDS)
def band_controls() -> None:
    """The band cut-offs and the guardrails."""
    ws, _, draft = current()
    st.markdown("**Bands**")
    st.caption("Red if the score is at or below the left handle, green above the right "
               "one, yellow between.")
    if st.session_state.get("band::range") is None:
        st.session_state["band::range"] = (float(ws.draft.bands.red_max),
                                           float(ws.draft.bands.yellow_max))
    st.slider("Band cut-offs", 0.0, 100.0, step=1.0, key="band::range",
              on_change=then_rerun(on_bands, *fragments.AFTER_BANDS))
    st.markdown("**Guardrails**: cap the band whatever the score")
    if not ws.draft.guardrails:
        st.caption("No guardrails yet.")
    for index, rail in enumerate(ws.draft.guardrails):
        hits = int(np.sum(draft.judged_result.guardrail == index))
        value = "" if rail.operator == "is_missing" else f" {rail.value!r}"
        a, b, c = st.columns([0.55, 0.3, 0.15], vertical_alignment="center")
        condition = md_escape(f"{rail.column} {rail.operator}{value}")
        a.checkbox(f"{md_escape(rail.name)}: {condition}",
                   value=rail.enabled, key=f"rail::{index}::on",
                   on_change=then_rerun(on_rail, *fragments.AFTER_GUARDRAIL), args=(index,),
                   help=f"Caps {hits:,} judged accounts")
        b.selectbox("at most", ["yellow", "red"], index=["yellow", "red"].index(rail.cap),
                    key=f"rail::{index}::cap",
                    on_change=then_rerun(on_rail, *fragments.AFTER_GUARDRAIL), args=(index,),
                    label_visibility="collapsed")
        c.button("✕", key=f"rail::{index}::remove", on_click=then_rerun_app(remove_rail),
                 args=(index,), help="Remove this guardrail")
    add_rail = st.expander("Add a guardrail", key=ADD_RAIL_OPEN, on_change="rerun")
    if not add_rail.open:  # its form is drawn only while open: a new session sends none
        return
    with add_rail, st.form("add_rail", border=False):
        columns = [c for c in table.frame.columns]
        name = st.text_input("Name", placeholder="No executive sponsor")
        column = st.selectbox("Column", columns)
        operator = st.selectbox("Condition", ["==", "!=", "<", "<=", ">", ">=",
                                              "is_missing"])
        raw_value = st.text_input("Value", placeholder="e.g. false, 3, red")
        cap = st.selectbox("Cap the band at", ["yellow", "red"])
        if st.form_submit_button("Add guardrail"):
            try:
                rail = Guardrail(name=name or f"{column} {operator} {raw_value}",
                                 column=column, operator=operator,
                                 value=rule_editor.parse_value(raw_value, operator),
                                 cap=cap)
                raw = ws.draft.model_dump()
                raw["guardrails"].append(rail.model_dump())
                ws.set_draft(config_from_dict(raw), reset_widgets=True)
                st.rerun()  # the whole app: the draft status and every control re-read
            except (ValueError, ConfigError) as error:
                st.error(f"Guardrail not added: {md_escape(error)}")


# --------------------------------------------------------------------------- results
@st.fragment(key=fragments.RESULTS)
def score_chart() -> None:
    """Renewed vs churned scores with the band cut-offs."""
    ws, _, draft = current()
    hist = charts.score_histogram(draft.judged_result.score, draft.churned)
    components.score_distribution(hist, ws.draft.bands.red_max, ws.draft.bands.yellow_max)


@st.fragment(key=fragments.BAND_RESULTS)
def band_results() -> None:
    """Churn by band, band warnings and how many accounts changed band."""
    _, baseline, draft = current()
    judged_churned = draft.churned
    components.show_band_table(draft.metrics["bands"])
    for warning in band_warnings(draft.judged_result.band, judged_churned):
        st.warning(f"Bands look implausible: {warning}")
    moved = int(np.sum(draft.judged_result.band != baseline.judged_result.band))
    st.caption(f"{moved:,} of {draft.rows.size:,} judged accounts are in a different band "
               "than under the baseline (details on the Export page).")


# --------------------------------------------------------------------------- layout
controls, results = layout.panes([0.44, 0.56], key="calibrate")

with controls:
    # the rule editor runs only while its tab is open (on_change="rerun"): a new session
    # does not draw it; the weights tab always runs (its fragments' keys stay known to the
    # callbacks that rerun them)
    weights_tab, rules_tab = st.tabs(["Weights, bands & guardrails", "Scoring rules"],
                                     key=TAB, on_change="rerun")
    with weights_tab:
        st.caption("Each factor's share of the score. Weights always add up to 100%: moving "
                   "one rescales the others, except those you hold (*Hold*).")
        weight_controls()
        weight_presets()
    if rules_tab.open:
        with rules_tab:
            rule_controls()
    with weights_tab:
        band_controls()

with results:  # the headings and the chart's caption are static: outside the fragments
    st.header("Renewed vs churned")
    score_chart()
    st.caption("Good separation: churned accounts (red bars) sit left of the dashed line "
               "marked *red ≤*, renewed accounts (blue bars) right of the line marked "
               "*green >*.")
    st.header("Churn by band")
    band_results()
