"""Segments: a score per lifecycle stage or customer tier (e.g. Onboarding vs Default)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calibration import segments
from calibration.config import ConfigError, Segment, SegmentMatch, config_from_dict
from calibration.glossary import HELP
from calibration.scoring import assign_segments
from calibration.validation import segment_config_metrics
from calibration.weights import apply_segment_flat_weights, flat_weights
from ui import state
from ui.text import judged_when, md_escape

ws, table = state.workspace_and_table()

st.title("Segments")
st.caption("One score rarely fits every account: new customers in onboarding have not adopted "
           "yet, and enterprise accounts behave differently from SMB. A segment overrides the "
           "default weights and bands for the accounts it matches (first match wins); the "
           "rest use the default.")

draft = state.evaluate(ws, ws.draft, table)


# --------------------------------------------------------------------------- callbacks
def add_segment() -> None:
    column = st.session_state["seg::new::column"]
    values = st.session_state["seg::new::values"]
    name = st.session_state["seg::new::name"].strip() or f"{column}: {', '.join(values)}"
    if not values:
        st.session_state["segments_error"] = "Pick at least one value to match."
        return
    raw = ws.draft.model_dump()
    raw["segments"].append(Segment(name=name, match=SegmentMatch(
        column=column, values=[str(v) for v in values])).model_dump())
    try:
        ws.set_draft(config_from_dict(raw), reset_widgets=True)
    except ConfigError as error:
        st.session_state["segments_error"] = "; ".join(error.problems)


def remove_segment(index: int) -> None:
    raw = ws.draft.model_dump()
    del raw["segments"][index]
    ws.set_draft(config_from_dict(raw), reset_widgets=True)


def on_segment_weight(index: int, factor: str) -> None:
    from calibration.weights import rebalance

    current = flat_weights(ws.draft, segment=index)  # true shares, never display-rounded
    new = rebalance(current, factor, float(st.session_state[f"seg::{index}::w::{factor}"]))
    ws.set_draft(apply_segment_flat_weights(ws.draft, index, new))
    for name, weight in flat_weights(ws.draft, segment=index).items():
        st.session_state[f"seg::{index}::w::{name}"] = round(weight, 1)


def on_segment_bands(index: int) -> None:
    red_max, yellow_max = st.session_state[f"seg::{index}::bands"]
    raw = ws.draft.model_dump()
    if red_max >= yellow_max:
        st.session_state["segments_error"] = "Red must end below where green starts."
        return
    raw["segments"][index]["bands"] = {"red_max": red_max, "yellow_max": yellow_max}
    ws.set_draft(config_from_dict(raw))


@st.cache_resource(max_entries=4, show_spinner=False)
def few_valued_columns(data: str, roles_json: str, _table) -> dict[str, list[str]]:
    """Segment candidates and their values as text, once per data and column roles for every
    session (the roles say which columns are never offered: the account id, the outcome)."""
    return segments.few_valued_columns(
        _table.frame, skip=(_table.roles.account_id, _table.roles.outcome))


# --------------------------------------------------------------------------- metrics
if error := st.session_state.pop("segments_error", None):
    st.error(error)

# judged decisions and latest snapshots only: never every snapshot row
judged_result = draft.judged_result
summary = segment_config_metrics(ws.draft, draft.judged, judged_result.score,
                                 judged_result.band, judged_result.segment)
# each account's latest snapshot, only the columns the segments match on (not every column)
segment_now = assign_segments(
    table.frame[segments.match_columns(ws.draft)].iloc[state.latest_rows(draft)], ws.draft)
rows = []
for item in summary:
    m = item["metrics"]
    red = next((b for b in m["bands"] if b["band"] == "red"), {})
    rows.append({
        "Config used": item["segment"],
        "Accounts now": int((segment_now == item["code"]).sum()),
        "Accounts judged": m["n_scored"],
        "Churned": m["n_churned"],
        "AUC": m["auc"]["value"], "Surprise churn": m["surprise_churn"]["count"],
        "Red list precision": red.get("churn_rate"),
        "Note": m["auc"].get("reason") or "; ".join(m.get("warnings", [])),
    })
st.header("How each segment's score performs")
st.caption("**Accounts now**: accounts whose latest snapshot uses that config. **Accounts "
           f"judged**: decided accounts, each {judged_when(table, ws.horizon_days)} "
           "(an onboarding segment may have none: renewals usually come after onboarding).")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
    "AUC": st.column_config.NumberColumn(format="%.3f", help=HELP["auc"]),
    "Red list precision": st.column_config.NumberColumn(format="percent"),
    "Surprise churn": st.column_config.NumberColumn(help=HELP["surprise_churn"]),
})

# --------------------------------------------------------------------------- editing
st.header("Segment configs")
if not ws.draft.segments:
    st.info("No segments yet: every account uses the default config. Open *Add a segment* "
            "below to give some accounts their own weights and bands.")
for index, segment in enumerate(ws.draft.segments):
    label = (f"**{md_escape(segment.name)}**: {md_escape(segment.match.column)} is "
             f"{md_escape(', '.join(repr(v) for v in segment.match.values))}")
    with st.expander(md_escape(segment.name), expanded=index == 0):
        st.markdown(label)
        flat = flat_weights(ws.draft, segment=index)
        cols = st.columns(3)
        for position, factor in enumerate(ws.draft.factors):
            key = f"seg::{index}::w::{factor.name}"
            if key not in st.session_state:
                st.session_state[key] = round(float(flat[factor.name]), 1)
            cols[position % 3].slider(md_escape(factor.name), 0.0, 100.0, step=0.1, format="%.1f%%",
                                      key=key, on_change=on_segment_weight,
                                      args=(index, factor.name))
        bands = segment.bands or ws.draft.bands
        key = f"seg::{index}::bands"
        if key not in st.session_state:
            st.session_state[key] = (float(bands.red_max), float(bands.yellow_max))
        st.slider("Band cut-offs for this segment", 0.0, 100.0, step=1.0, key=key,
                  on_change=on_segment_bands, args=(index,))
        st.button("Remove this segment", key=f"seg::{index}::remove",
                  on_click=remove_segment, args=(index,))

def add_segment_form() -> None:
    """Pick a column with a handful of values, the values to match and a name."""
    few_valued = few_valued_columns(state.data_key(ws), table.roles.model_dump_json(), table)
    candidates = list(few_valued)
    if not candidates:
        st.caption("No column with a handful of values to segment on.")
    else:
        default = next((i for i, c in enumerate(candidates) if "stage" in c.lower()), 0)
        column = st.selectbox("Match on column", candidates, index=default,
                              key="seg::new::column")
        values = few_valued[column]
        st.multiselect("Accounts whose value is", values, key="seg::new::values")
        st.text_input("Segment name", key="seg::new::name", placeholder="Onboarding")
        st.button("Add segment", on_click=add_segment, type="primary")
        st.caption("The new segment starts as a copy of the default weights and bands; "
                   "adjust them above once it is added.")


# drawn only while open (on_change="rerun"): finding the columns with a handful of values
# reads every row of each candidate (~0.2 s at 1.8M rows, once per data), which the page's
# first visit does not need
add = st.expander("Add a segment", key="seg::add_open", on_change="rerun")
if add.open:
    with add:
        add_segment_form()
