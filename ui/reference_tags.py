"""The workspace's reference-account tags (Streamlit side): read and set them in the store
for the signed-in user and the workspace's data, keyed by the data's content fingerprint
(tags saved under the file name before move over on first read)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from calibration.accounts import AccountTable
from calibration.reference_tags import account_ids_text, dataset_key, tags_key
from calibration.store import StoreError
from calibration.store import tags as store_tags
from ui.drafts import Workspace
from ui.store import get_store

# Tags are read once per owner, data and change (not on every evaluation of every rerun):
# a tag set in this server process bumps the generation; one set by another process sharing
# the store shows within TAGS_TTL_S seconds.
TAGS_TTL_S = 5
_generation = [0]


@st.cache_resource(ttl=TAGS_TTL_S, max_entries=64, show_spinner=False)
def _read_tags(store_url: str, owner: str, dataset: str, legacy: str, generation: int,
               _table: AccountTable) -> tuple[dict[str, str], str] | None:
    try:
        found = store_tags.tags_for(get_store(), owner, dataset, legacy_dataset=legacy,
                                    present=lambda: account_ids_text(_table))
    except (StoreError, SQLAlchemyError, OSError):
        return None  # not kept: read again next time
    tags = {t.account_id: t.tag for t in found}
    return tags, tags_key(tags)


def tagged(ws: Workspace, table: AccountTable) -> tuple[dict[str, str], str]:
    """This workspace's tags (account id -> "healthy" / "struggling"; {} if the store
    cannot be read: the data's own labels still count) and their fingerprint. Shared by
    every session and read-only: do not modify the dict."""
    try:
        store = get_store()
        found = _read_tags(store.url, ws.owner, dataset_key(table), ws.source_name,
                           _generation[0], table)
    except (StoreError, SQLAlchemyError, OSError):
        found = None
    if found is None:
        _read_tags.clear()
        return {}, tags_key({})
    return found


def tags(ws: Workspace, table: AccountTable) -> dict[str, str]:
    """Account id -> "healthy" / "struggling" for this workspace's data ({} if the store
    cannot be read: the data's own labels still count). Read-only."""
    return tagged(ws, table)[0]


def set_tag(ws: Workspace, table: AccountTable, account_id: object, tag: str | None) -> None:
    """Tag one account of this workspace's data (None clears the tag); raises StoreError /
    SQLAlchemyError / OSError when the store cannot be written."""
    try:
        store_tags.set_tag(get_store(), ws.owner, dataset_key(table), str(account_id), tag)
    finally:
        _generation[0] += 1


TAG_CHOICES = ("none", "healthy", "struggling")
TAG_WORDS = {"none": "not tagged", "healthy": "known healthy", "struggling": "known struggling"}
ERROR_KEY = "acct::tag_error"


def _on_tag(ws: Workspace, table: AccountTable, account_id: object, key: str) -> None:
    choice = st.session_state[key]
    try:
        set_tag(ws, table, account_id, None if choice == "none" else choice)
    except (StoreError, SQLAlchemyError, OSError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        st.session_state[ERROR_KEY] = (f"Tag not saved: the workspace store cannot be "
                                       f"written ({reason}).")


def tag_control(ws: Workspace, table: AccountTable, account_id: object,
                data_label: str) -> None:
    """Tag one account as known healthy / known struggling (or clear it), saved with the
    workspace at once and used by the reference agreement on Calibrate and Accounts."""
    current = tags(ws, table).get(str(account_id), "none")
    key = f"acct::tag::{account_id}"
    st.radio("Reference tag", TAG_CHOICES, index=TAG_CHOICES.index(current), key=key,
             horizontal=True, format_func=TAG_WORDS.get, on_change=_on_tag,
             args=(ws, table, account_id, key),
             help="Accounts the team knows are healthy or struggling: Calibrate shows how many "
                  "of them land in the right band while you tune. Saved with your workspace.")
    if error := st.session_state.pop(ERROR_KEY, None):
        st.error(error)
    word = {"known_healthy": "known healthy", "known_struggling": "known struggling"}.get(
        data_label)
    if word:
        st.caption(f"The data's reference column labels it *{word}*; a tag here overrides "
                   "that for this account.")
