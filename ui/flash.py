"""One-shot page messages ("flash"): a button callback stores one, the page shows it once on
the rerun that follows."""

from __future__ import annotations

from typing import Literal

import streamlit as st

Kind = Literal["success", "error"]


def flash(key: str, text: str, kind: Kind = "success") -> None:
    """Keep ``text`` (Markdown: escape what users typed) under ``key`` for the next run."""
    st.session_state[key] = (kind, text)


def show_flash(key: str) -> None:
    """Show the message kept under ``key`` once (then forget it), if there is one."""
    message = st.session_state.pop(key, None)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.success)(text)
