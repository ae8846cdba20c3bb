"""The shared sidebar: which data, which baseline, the draft (details, recent drafts,
conflicts) and the horizon."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from calibration.data_quality import DataError
from calibration.glossary import HELP
from calibration.store import StoreError, ago, recent_drafts
from ui import drafts, fragments
from ui.state import Workspace, clear_widgets, load_table
from ui.store import get_store
from ui.text import md_escape

FRAME_MARKER = "Health Score Calibrator"
DETAIL_FIELDS = ("name", "author", "notes")
RECENT = 8
DETAILS_OPEN = "sidebar::details"  # whether the Draft details expander is open
RECENT_OPEN = "sidebar::recent"  # whether the Recent drafts expander is open
RECENT_SEEN = "sidebar::recent-seen"  # its label and open state on the last run


def render(ws: Workspace) -> None:
    """Dataset, baseline, draft status and details, recent drafts, horizon, undo/reset."""
    with st.sidebar:
        st.markdown(f"**{FRAME_MARKER}**")
        if message := st.session_state.pop(drafts.FLASH_KEY, None):
            st.warning(message)
        table = None
        try:
            table = load_table(ws)
            size = (f"{len(table):,} rows · {table.report.n_accounts:,} accounts"
                    f"{' · single snapshot' if table.cross_sectional else ''}")
        except FileNotFoundError:
            size = "the data file is gone: load it again on the Data page"
        except DataError:
            size = "not usable yet: see the Data page"
        st.caption(f"**Data:** {md_escape(ws.source_name)}  \n{size}")
        st.caption(f"**Baseline:** {md_escape(ws.baseline.name)} `{ws.baseline.fingerprint()}`")
        draft_status()
        _details(ws)
        if table is not None and table.cross_sectional:
            st.caption("**Horizon:** not used. Single-snapshot data (one row per account, no "
                       "dates) is judged as it stands: there is no earlier snapshot to look "
                       "back to, so days before renewal change nothing.")
        else:
            st.number_input("Judge accounts this many days before renewal", 0, 730,
                            value=ws.horizon_days, step=15, key="horizon_days_input",
                            help=HELP["horizon"], on_change=_set_horizon, args=(ws,))
        _recent(ws)


@st.fragment(key=fragments.STATUS)
def draft_status() -> None:
    """Conflicts, autosave errors, the draft's status and Undo / Reset: a fragment, so a
    slider on Calibrate reruns it (and not the rest of the sidebar) after changing the
    draft. Its buttons rerun the whole app."""
    ws = drafts.workspace()
    _conflict(ws)
    if error := st.session_state.get(drafts.AUTOSAVE_ERROR_KEY):
        st.error(error)
    changed = ws.draft.fingerprint() != ws.baseline.fingerprint()
    status = "changed from baseline" if changed else "same as baseline"
    saved = (f"saved {(ws.saved_at or '')[11:16]} UTC · version {ws.version}"
             if ws.stored else "not saved yet: nothing changed")
    st.caption(f"**Draft:** {md_escape(ws.draft.name)} `{ws.draft.fingerprint()}` "
               f"{status}  \n{saved}")
    left, right = st.columns(2)
    left.button("Undo", on_click=fragments.then_rerun_app(ws.undo), disabled=not ws.history,
                width="stretch", help="Go back one change")
    right.button("Reset draft", on_click=fragments.then_rerun_app(_reset), args=(ws,),
                 disabled=not changed, width="stretch",
                 help="Make the draft equal to the baseline again")


def _conflict(ws: Workspace) -> None:
    message = st.session_state.get(drafts.CONFLICT_KEY)
    if not message:
        return
    st.error(message)
    left, right = st.columns(2)
    left.button("Reload", on_click=fragments.then_rerun_app(drafts.reload_saved), args=(ws,),
                key="draft::reload",
                width="stretch", help="Drop this tab's unsaved changes and load the saved "
                                      "draft")
    right.button("Save mine as a copy", on_click=fragments.then_rerun_app(drafts.save_as_copy),
                 args=(ws,),
                 key="draft::copy", width="stretch",
                 help="Keep this tab's changes as a new draft; the other stays as it is")


def details_editor(ws: Workspace, prefix: str, *, notes_height: int | None = None) -> None:
    """Name, author and notes inputs (the sidebar's and the Export page's stay in step)."""
    labels = {"name": "Name", "author": "Author", "notes": "Notes"}
    for name in DETAIL_FIELDS:
        key = f"details::{prefix}::{name}"
        current = getattr(ws.draft, name)
        if name == "notes":
            st.text_area(labels[name], value=current, key=key, height=notes_height,
                         placeholder="Why these weights: what we saw, what we decided.",
                         on_change=_detail_changed, args=(ws, key, name))
        else:
            st.text_input(labels[name], value=current, key=key, max_chars=200,
                          on_change=_detail_changed, args=(ws, key, name))


def _detail_changed(ws: Workspace, key: str, name: str) -> None:
    value = st.session_state.get(key, "")
    if name == "name" and not value.strip():
        value = drafts.new_draft_name()
    ws.set_details(**{name: value})
    for other in [k for k in st.session_state if isinstance(k, str)
                  and k.startswith("details::") and k != key]:
        del st.session_state[other]  # the other editor re-reads the new value


def _details(ws: Workspace) -> None:
    """The name / author / notes editor, drawn only while its expander is open (opening it
    reruns the app): a new session sends no text inputs for a closed expander, so its
    browser loads and renders less."""
    details = st.expander("Draft details (used by every export)", key=DETAILS_OPEN,
                          on_change="rerun")
    if details.open:
        with details:
            details_editor(ws, "sidebar")


def _recent(ws: Workspace) -> None:
    try:
        records = [r for r in recent_drafts(get_store(), ws.owner, limit=RECENT + 1)
                   if r.id != ws.draft_id][:RECENT]
    except (StoreError, SQLAlchemyError, OSError) as error:
        st.caption(f"Recent drafts unavailable: the workspace store cannot be opened "
                   f"({type(error).__name__})")
        return
    label = f"Recent drafts ({len(records)})"
    # The label is part of an expander's identity: a new count ("New draft" adds the draft
    # left behind) makes a new expander, closed. Re-open it when it was open under the old
    # label (set before it is drawn; a toggle under an unchanged label is left alone).
    was = st.session_state.get(RECENT_SEEN)
    if was is not None and was[0] != label and was[1]:
        st.session_state[RECENT_OPEN] = True
    recent = st.expander(label, key=RECENT_OPEN, on_change="rerun")
    st.session_state[RECENT_SEEN] = (label, recent.open)
    if not recent.open:  # its buttons are drawn only while it is open (like the details)
        return
    with recent:
        st.button("New draft", on_click=drafts.new_draft, args=(ws,), key="draft::new",
                  help="Start a new draft on the same data and baseline (saved once you "
                       "change something)")
        for record in records:
            st.button(md_escape(record.name), key=f"recent::{record.id}", on_click=drafts.switch_to,
                      args=(record.id,), width="stretch",
                      help="Open this draft in this tab")
            st.caption(f"{md_escape(record.author or 'no author')} · changed "
                       f"{ago(record.updated_at)} · {md_escape(record.source_name)}")


def _set_horizon(ws: Workspace) -> None:
    ws.horizon_days = int(st.session_state["horizon_days_input"])
    ws.save()


def _reset(ws: Workspace) -> None:
    ws.set_draft(ws.baseline, reset_widgets=True)
    clear_widgets()
