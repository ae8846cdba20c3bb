"""Versions: publish the draft, list published versions, diff any two, see how a version
did since it was published."""

from __future__ import annotations

import streamlit as st

from calibration import formatting, outcomes
from calibration.compare import config_diff
from calibration.since_published import performance_since
from calibration.store import trail
from ui import layout, state
from ui.flash import show_flash
from ui.store import get_store
from ui.text import md_escape
from ui.version_actions import (
    FLASH,
    import_version,
    publish_draft,
    use_as_baseline,
    versions,
)

ws, table = state.workspace_and_table()

st.title("Versions")
st.caption("A published version is frozen: its config, hash, author, notes and validation "
           "evidence. Next quarter's session starts here: see how the version in production "
           "did since it was published, then make it the baseline.")
show_flash(FLASH)

# --------------------------------------------------------------------------- publish
with st.expander("Publish the draft", expanded=False), st.form("ver::publish_form", border=False):
    name = st.text_input("Version name", max_chars=200, key="ver::name",
                         placeholder="e.g. Q4 2026")
    author = st.text_input("Author", value=ws.draft.author, max_chars=200,
                           key="ver::author")
    notes = st.text_area("Notes", value=ws.draft.notes, key="ver::notes")
    st.caption(f"Publishes **{md_escape(ws.draft.name)}** `{ws.draft.fingerprint()}` "
               f"with evidence measured on {md_escape(ws.source_name)}.")
    if st.form_submit_button("Publish", type="primary"):
        with st.spinner("Validating the draft with bootstrap CIs..."):
            publish_draft(ws, table, name, author, notes)
        st.rerun()
with st.expander("Record a config published before (e.g. last quarter's export)"):
    upload = st.file_uploader("Exported config (JSON or YAML)", type=["json", "yaml", "yml"],
                              key="ver::import")
    label = st.text_input("Version name (default: the config's name)", max_chars=200,
                          key="ver::import_name")
    if upload is not None and st.button("Record it", key="ver::import_go"):
        import_version(upload.getvalue(), upload.name, label, ws.owner)
        st.rerun()

published, problems = versions()
for problem in problems:
    st.warning(problem)


def _audit_log() -> None:
    """Who changed what and when: this draft's history and every published version."""
    entries = [e for e in trail(get_store(), ws.owner, limit=300)
               if e.subject == "version" or e.subject_id == ws.draft_id]
    with st.expander(f"Audit log ({len(entries)} entries: this draft and every version)"):
        st.dataframe([{"When": e.at.strftime("%Y-%m-%d %H:%M:%S UTC"), "Who": e.actor,
                       "What": e.action, "Changes": e.summary} for e in entries],
                     hide_index=True, width="stretch")


if not published:
    st.info("Nothing published yet. When the draft is the one to use, publish it above "
            "under a name such as “Q4 2026”.")
    _audit_log()
    st.stop()

st.header("Published")
st.dataframe([{"Version": r.name, "Published": r.published_at.strftime("%Y-%m-%d %H:%M UTC"),
               "Author": r.author, "Config": r.config_hash, "Data": r.data_name,
               "By": r.published_by, "Notes": r.notes} for r, _ in published],
             hide_index=True, width="stretch")
by_name = {record.name: (record, config) for record, config in published}
names = list(by_name)

# --------------------------------------------------------------------------- since
st.header("How has it done since?")
chosen = st.selectbox("Version", names, key="ver::since")
record, config = by_name[chosen]
missing = [c for c in config.required_columns() if c not in table.frame.columns]
if missing:
    st.warning(f"This data lacks column(s) the version needs: "
               f"{md_escape(', '.join(missing))}.")
else:
    since = performance_since(table, config, record.published_at,
                              horizon_days=ws.horizon_days)
    st.markdown(md_escape(since.summary))
    if since.numbers:
        shown = outcomes.outcome_list(ws.horizon_days, table.cross_sectional)
        for column, outcome in zip(layout.card_row(len(shown), "since"), shown, strict=True):
            value = since.numbers[outcomes.NUMBER_OF[outcome.key]]
            column.metric(outcome.label, formatting.fmt(value, outcome.kind),
                          help=outcome.help)
st.button("Make this version the baseline", key="ver::as_baseline", on_click=use_as_baseline,
          args=(ws, "ver::since"),
          help="Compare the draft with what is in production on every page")

# --------------------------------------------------------------------------- diff
st.header("What changed between two versions")
if len(names) < 2:
    st.caption("Publish a second version to compare.")
else:
    left, right = st.columns(2)
    older = left.selectbox("From", names, index=1, key="ver::from")
    newer = right.selectbox("To", names, index=0, key="ver::to")
    lines = config_diff(by_name[older][1], by_name[newer][1])
    if older == newer or not lines:
        st.caption("Same scoring.")
    else:
        st.text("\n".join(lines))

_audit_log()
