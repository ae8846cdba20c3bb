"""Scenarios: save the draft under a name, compare two to four side by side, promote one."""

from __future__ import annotations

import streamlit as st

from calibration import formatting
from calibration.compare import config_diff
from calibration.scenarios import MAX_SCENARIOS, compare_scenarios
from ui import state
from ui.flash import show_flash
from ui.scenario_actions import (
    CURRENT_DRAFT,
    FLASH,
    delete,
    promote,
    save_current,
    scenario_configs,
)
from ui.text import judged_when, md_escape

ws, table = state.workspace_and_table()

st.title("Scenarios")
st.caption("A scenario is a named copy of the draft (\"Sponsor-heavy\", \"Usage-first\"). Try "
           "what-ifs, save each one, compare up to four side by side on the same accounts, "
           "then make the best one the draft.")

show_flash(FLASH)

with st.form("sc::save_form", clear_on_submit=True, border=True):
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input("Save the current draft as", max_chars=200, key="sc::name",
                           placeholder="e.g. Sponsor-heavy")
    if right.form_submit_button("Save scenario", type="primary"):
        save_current(ws, name)
        st.rerun()

configs, unreadable = scenario_configs(ws)
for problem in unreadable:
    st.warning(problem)
if not configs:
    st.info("No scenarios yet. Tune the draft on **Calibrate** (or take a suggestion), save "
            "it here under a name, change it and save again.")
    st.stop()

st.header("Saved scenarios")
rows = [{"Scenario": name, "Config": config.fingerprint(),
         "Saved": record.created_at.strftime("%Y-%m-%d %H:%M UTC"), "By": record.created_by,
         "Same as the draft": "yes" if config.fingerprint() == ws.draft.fingerprint() else ""}
        for name, (record, config) in configs.items()]
st.dataframe(rows, hide_index=True, width="stretch")

# --------------------------------------------------------------------------- compare
st.header("Compare side by side")
options = [CURRENT_DRAFT, *configs]
default = list(configs)[:2] if len(configs) >= 2 else [CURRENT_DRAFT, *configs]
picked = st.multiselect(f"Scenarios to compare (2 to {MAX_SCENARIOS}; the first is the "
                        "reference the others are measured against)", options,
                        default=default, max_selections=MAX_SCENARIOS, key="sc::picked")


@st.cache_resource(max_entries=4, show_spinner="Scoring and bootstrapping the scenarios...")
def _compare(data_key: str, roles_json: str, fingerprints: tuple[str, ...], horizon: int,
             _table, _scenarios):
    # roles_json: a fingerprint names the id and snapshot columns, not the outcome, renewal
    # date or ARR columns, which change every number compared
    return compare_scenarios(_table, _scenarios, horizon_days=horizon)


if len(picked) < 2:
    st.info("Pick at least two scenarios.")
else:
    chosen = [(name, ws.draft if name == CURRENT_DRAFT else configs[name][1])
              for name in picked]
    result = _compare(state.data_key(ws), table.roles.model_dump_json(),
                      tuple(f"{n}:{c.fingerprint()}" for n, c in chosen), ws.horizon_days,
                      table, chosen)
    st.caption(f"Each renewal decision judged {judged_when(table, ws.horizon_days)}. "
               f"Changes are against **{md_escape(picked[0])}**, each with its likely range "
               "(a paired bootstrap 95% interval): *real* when the range excludes zero, "
               "*noise* otherwise.")
    st.markdown("**Headline outcomes**")
    st.dataframe(result.metrics, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Weights** (% of the score)")
        st.dataframe(result.weights, width="stretch")
    with right:
        st.markdown("**Band cut-offs** (score)")
        st.dataframe(result.bands, width="stretch")
        st.markdown("**Band sizes** (each account's latest snapshot)")
        st.dataframe(result.band_sizes, width="stretch")
    st.markdown(f"**Accounts that move** against {md_escape(picked[0])}")
    st.dataframe(result.moved, hide_index=True, width="stretch")
    which = st.selectbox("Show the accounts that move for", list(result.comparisons),
                         key="sc::movers_for")
    if which:
        comparison = result.comparisons[which]
        st.dataframe(formatting.for_display(comparison.movers), hide_index=True,
                     width="stretch", height=240)
        lines = config_diff(chosen[0][1], dict(chosen)[which])
        if lines:
            st.markdown("**What differs**")
            st.text("\n".join(lines))

# --------------------------------------------------------------------------- promote / delete
st.header("Use or tidy up")
left, right = st.columns(2)
with left:
    target = st.selectbox("Scenario", list(configs), key="sc::target")
    # callbacks read the selection when clicked (not as rendered): "sc::target"
    st.button("Make it the draft", type="primary", key="sc::promote", on_click=promote,
              args=(ws, "sc::target"), help="The draft takes this scenario's weights, rules and "
                                      "bands; it keeps its name and notes. Undo in the "
                                      "sidebar.")
with right:
    st.write("")
    st.button("Delete this scenario", key="sc::delete", on_click=delete,
              args=(ws, "sc::target"))
