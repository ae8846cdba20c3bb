"""A stored draft that can no longer be opened: shown with what is wrong, never replaced
unless the user chooses to."""

from __future__ import annotations

import json
from dataclasses import asdict

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from calibration.config import ConfigError, config_from_dict
from calibration.store import StoreError, ago, save_draft
from ui.store import get_store
from ui.text import md_escape


def _valid(raw: str, label: str):
    try:
        return config_from_dict(json.loads(raw), label)
    except (ConfigError, ValueError):
        return None


def _repair(broken, config_json: str) -> None:
    """Replace the broken config(s) with ``config_json`` (the user asked for it)."""
    record = broken.record
    content = record.content
    content = type(content)(**{**asdict(content), "draft_json": config_json,
                               "baseline_json": config_json
                               if _valid(content.baseline_json, "b") is None
                               else content.baseline_json})
    try:
        save_draft(get_store(), record.id, record.owner, content, record.version,
                   action="repaired", changes=["Unreadable config replaced: "
                                               + "; ".join(broken.problems)[:500]])
    except (StoreError, SQLAlchemyError) as error:
        st.session_state["broken::error"] = str(error)


def _start_new() -> None:
    st.query_params.pop("draft", None)
    st.session_state.pop("workspace", None)


def render(broken) -> None:
    """The rescue panel (every page shows it while the URL names this draft)."""
    record = broken.record
    st.title("This draft cannot be opened")
    st.error(f"Draft **{md_escape(record.name)}** (last saved "
             f"{ago(record.updated_at)}, on {md_escape(record.source_name)}) is kept exactly "
             "as it was saved, but its configuration does not pass validation any more:")
    st.code("\n".join(broken.problems), language=None)
    if error := st.session_state.pop("broken::error", None):
        st.error(error)
    st.download_button(
        "Download the saved draft (JSON) to fix it by hand",
        json.dumps({k: v for k, v in asdict(record).items()
                    if k not in ("created_at", "updated_at")}, indent=1),
        file_name=f"draft-{record.id}.json", mime="application/json", key="broken::download")
    baseline = _valid(record.baseline_json, "saved baseline")
    draft = _valid(record.draft_json, "saved draft")
    usable = draft or baseline
    left, right = st.columns(2)
    if usable is not None:
        which = "draft" if draft is not None else "baseline"
        left.button(f"Repair: use the saved {which} for the broken part",
                    on_click=_repair, args=(broken, usable.to_json()), key="broken::repair",
                    help="Overwrites only the config that cannot be read; the download above "
                         "keeps a copy.")
    right.button("Leave it and start a new draft", on_click=_start_new, key="broken::new")
