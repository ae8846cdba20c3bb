"""The shared sidebar: which data, which baseline, and the state of the draft."""

from __future__ import annotations

import streamlit as st

from calibration.accounts import DataError
from calibration.glossary import HELP
from ui.state import Workspace, clear_widgets, load_table
from ui.text import md_escape

FRAME_MARKER = "Health Score Calibrator"


def render(ws: Workspace) -> None:
    """Dataset, baseline, draft status, horizon and undo/reset controls."""
    with st.sidebar:
        st.markdown(f"**{FRAME_MARKER}**")
        if error := st.session_state.get("autosave_error"):
            st.error(error)
        try:
            table = load_table(ws)
            size = (f"{len(table):,} rows · {table.report.n_accounts:,} accounts"
                    f"{' · single snapshot' if table.cross_sectional else ''}")
        except DataError:
            size = "not usable yet: see the Data page"
        st.caption(f"**Data:** {md_escape(ws.source_name)}  \n{size}")
        st.caption(f"**Baseline:** {md_escape(ws.baseline.name)} `{ws.baseline.fingerprint()}`")
        changed = ws.draft.fingerprint() != ws.baseline.fingerprint()
        status = "changed from baseline" if changed else "same as baseline"
        saved = (ws.saved_at or "")[11:19]
        st.caption(f"**Draft:** `{ws.draft.fingerprint()}` {status}  \n"
                   f"autosaved {saved} UTC · draft id `{ws.draft_id}`")
        st.number_input("Judge accounts this many days before renewal", 0, 730,
                        value=ws.horizon_days, step=15, key="horizon_days_input",
                        help=HELP["horizon"], on_change=_set_horizon, args=(ws,))
        left, right = st.columns(2)
        left.button("Undo", on_click=ws.undo, disabled=not ws.history, width="stretch",
                    help="Go back one change")
        right.button("Reset draft", on_click=_reset, args=(ws,), disabled=not changed,
                     width="stretch", help="Make the draft equal to the baseline again")


def _set_horizon(ws: Workspace) -> None:
    ws.horizon_days = int(st.session_state["horizon_days_input"])
    ws.save()


def _reset(ws: Workspace) -> None:
    ws.set_draft(ws.baseline, reset_widgets=True)
    clear_widgets()
