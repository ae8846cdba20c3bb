"""This session's draft: restored from the URL's ``?draft=<id>``, saved to the workspace store
after every change, kept in the URL on every page.

A fresh visit works on an unsaved draft: nothing is stored (and no id appears in the URL)
until something changes. A save from a tab whose copy is out of date is refused and the
sidebar offers to reload or save a copy (:func:`conflict`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from calibration.compare import config_diff
from calibration.config import Config, ConfigError, config_from_dict, load_config
from calibration.demo import DEMO_CONFIG, DEMO_DATA
from calibration.store import (
    DraftContent,
    DraftRecord,
    NotFound,
    StaleDraft,
    StoreError,
    create_draft,
    get_draft,
    new_id,
    save_draft,
)
from ui.store import current_user, display_name, get_store

DEMO_NAME = "Demo data (3,000 B2B SaaS accounts)"
SESSION_KEY = "workspace"
CONFLICT_KEY = "draft_conflict"
AUTOSAVE_ERROR_KEY = "autosave_error"
FLASH_KEY = "draft_flash"
DRAFT_ID = re.compile(r"^[a-z0-9]{8,64}$")
WIDGET_PREFIXES = ("lock::", "rule::", "band::", "rail::", "seg::", "group::",
                   "details::")


class DraftUnusable(StoreError):
    """A stored draft whose config (or baseline) no longer validates: kept, never replaced."""

    def __init__(self, record: DraftRecord, problems: list[str]) -> None:
        self.record = record
        self.problems = problems
        super().__init__(f"Draft “{record.name}” cannot be opened: " + "; ".join(problems))


def new_draft_name(now: datetime | None = None) -> str:
    """The name a fresh draft starts with, e.g. "New draft 2 Dec 2026"."""
    now = now or datetime.now(UTC)
    return f"New draft {now.day} {now:%b %Y}"


@dataclass
class Workspace:
    """What one user is working on: data source, baseline and draft configs, horizon.

    ``version`` is the stored version this copy was loaded at or last saved as (0 while the
    draft has never been saved).
    """

    draft_id: str
    source_name: str
    source_path: str
    baseline: Config
    draft: Config
    horizon_days: int = 90
    saved_at: str | None = None
    history: list[str] = field(default_factory=list)  # earlier drafts (JSON) for undo
    renewals_path: str | None = None  # separate renewals table (calibration.renewals)
    renewals_name: str | None = None
    owner: str = "local"
    version: int = 0
    last_saved: Config | None = field(default=None, repr=False)

    # ---- persistence ---------------------------------------------------------------
    @property
    def stored(self) -> bool:
        """True once the draft has been saved to the store."""
        return self.version > 0

    def content(self) -> DraftContent:
        """What a save writes."""
        return DraftContent(
            name=self.draft.name, author=self.draft.author, notes=self.draft.notes,
            source_name=self.source_name, source_path=self.source_path,
            horizon_days=int(self.horizon_days),
            baseline_json=self.baseline.to_json(indent=None),
            draft_json=self.draft.to_json(indent=None),
            renewals_name=self.renewals_name, renewals_path=self.renewals_path)

    def write(self, *, action: str = "edited") -> DraftRecord:
        """Save to the store in one transaction (created on the first save).

        Raises StaleDraft when another tab saved since this copy was loaded, NotFound when
        the draft was deleted, SQLAlchemyError/OSError when the store cannot be written.
        """
        store = get_store()
        changes = config_diff(self.last_saved, self.draft) if self.last_saved else []
        if not self.stored:
            changes = [*_detail_lines(self.last_saved, self.draft), *changes]
            record = create_draft(store, self.owner, self.content(), draft_id=self.draft_id,
                                  summary="\n".join(["created", *changes]))
        else:
            record = save_draft(store, self.draft_id, self.owner, self.content(),
                                self.version, changes=changes, action=action)
        self.version = record.version
        self.saved_at = record.updated_at.isoformat(timespec="seconds")
        self.last_saved = self.draft
        return record

    def save(self, *, action: str = "edited") -> bool:
        """Autosave: :meth:`write`, but a failure keeps the work in memory and says so in
        the sidebar (conflict or storage error) instead of raising. True when saved."""
        try:
            self.write(action=action)
        except StaleDraft as stale:
            st.session_state[CONFLICT_KEY] = str(stale)
            return False
        except NotFound:
            st.session_state[CONFLICT_KEY] = (
                "This draft was deleted in another tab: save yours as a copy to keep it.")
            return False
        except (StoreError, SQLAlchemyError, OSError) as error:
            reason = getattr(error, "strerror", None) or type(error).__name__
            st.session_state[AUTOSAVE_ERROR_KEY] = (
                f"Your draft could not be saved to the workspace store ({reason}); it is "
                "kept in this browser tab only. Export it from the Export page to be safe.")
            return False
        st.session_state.pop(AUTOSAVE_ERROR_KEY, None)
        keep_in_url(self)
        return True

    @classmethod
    def from_record(cls, record: DraftRecord) -> Workspace:
        """A workspace from a stored draft; DraftUnusable (listing what is wrong) when a
        config no longer validates."""
        configs, problems = {}, []
        for key, label in (("baseline_json", "baseline"), ("draft_json", "draft config")):
            try:
                configs[key] = config_from_dict(json.loads(getattr(record, key)),
                                                f"saved {label}")
            except ConfigError as error:
                problems += [f"{label}: {p}" for p in error.problems]
            except ValueError as error:  # not JSON at all
                problems.append(f"{label}: unreadable ({error})")
        if problems:
            raise DraftUnusable(record, problems)
        renewals = (record.renewals_path, record.renewals_name)
        if renewals[0] and not Path(renewals[0]).exists():
            renewals = (None, None)  # its renewals table is gone: judged from the snapshots
        return cls(draft_id=record.id, source_name=record.source_name,
                   source_path=record.source_path, baseline=configs["baseline_json"],
                   draft=configs["draft_json"], horizon_days=_saved_horizon(record.horizon_days),
                   renewals_path=renewals[0], renewals_name=renewals[1],
                   saved_at=record.updated_at.isoformat(timespec="seconds"),
                   owner=record.owner, version=record.version,
                   last_saved=configs["draft_json"])

    @classmethod
    def restore(cls, draft_id: str, owner: str | None = None) -> Workspace:
        """The owner's stored draft (NotFound for a missing or someone else's id,
        DraftUnusable when its config no longer validates)."""
        return cls.from_record(get_draft(get_store(), draft_id, owner or current_user()))

    # ---- changes -------------------------------------------------------------------
    def set_draft(self, config: Config, *, reset_widgets: bool = False,
                  action: str = "edited") -> None:
        """Replace the draft's scoring config and autosave; the draft keeps its own name,
        author and notes. ``reset_widgets`` re-reads every control; ``action`` names the
        change in the audit log."""
        config = config.with_details(name=self.draft.name, author=self.draft.author,
                                     notes=self.draft.notes)
        self._replace(config, action)
        if reset_widgets:
            clear_widgets()

    def set_details(self, *, name: str | None = None, author: str | None = None,
                    notes: str | None = None) -> None:
        """Rename the draft or edit its author / notes (used by every export), and save."""
        self._replace(self.draft.with_details(name=name, author=author, notes=notes))

    def _replace(self, config: Config, action: str = "edited") -> None:
        if config == self.draft:
            return
        self.history = [*self.history[-19:], self.draft.to_json()]
        self.draft = config
        self.save(action=action)

    def undo(self) -> bool:
        """Go back to the previous draft (True when there was one)."""
        if not self.history:
            return False
        self.draft = config_from_dict(json.loads(self.history.pop()))
        self.save(action="undo")
        clear_widgets()
        return True


def _saved_horizon(value: object) -> int:
    """A saved horizon, or the default 90 when the store holds something unusable (a
    hand-edited database must not break the sidebar's 0-730 day input)."""
    try:
        horizon = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 90
    return horizon if 0 <= horizon <= 730 else 90


def _detail_lines(old: Config | None, new: Config) -> list[str]:
    """Name / author / notes changes in words (the store words later saves itself)."""
    if old is None:
        return []
    lines = [f"{label}: {getattr(old, key) or '(blank)'} → {getattr(new, key) or '(blank)'}"
             for key, label in (("name", "Name"), ("author", "Author"))
             if getattr(old, key) != getattr(new, key)]
    return [*lines, *(["Notes edited"] if old.notes != new.notes else [])]


def clear_widgets() -> None:
    """Forget control values so they are re-read from the draft on the next render."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(WIDGET_PREFIXES):
            del st.session_state[key]


def keep_in_url(ws: Workspace) -> None:
    """Put a stored draft's id in the URL (a page switch drops it; every run puts it back)."""
    if ws.stored and st.query_params.get("draft") != ws.draft_id:
        st.query_params["draft"] = ws.draft_id


def fresh_workspace(owner: str, like: Workspace | None = None) -> Workspace:
    """An unsaved draft: on ``like``'s data and baseline, else on the demo data with the
    shipped gut-feel config as baseline. Its name is new and its notes are empty."""
    baseline = like.baseline if like else load_config(DEMO_CONFIG)
    draft = baseline.with_details(name=new_draft_name(), author=display_name(), notes="")
    return Workspace(draft_id=new_id(), source_name=like.source_name if like else DEMO_NAME,
                     source_path=like.source_path if like else str(DEMO_DATA),
                     baseline=baseline, draft=draft,
                     horizon_days=like.horizon_days if like else 90,
                     renewals_path=like.renewals_path if like else None,
                     renewals_name=like.renewals_name if like else None, owner=owner,
                     last_saved=draft)


def activate(ws: Workspace) -> None:
    """Make ``ws`` this session's draft (controls re-read, conflicts forgotten)."""
    st.session_state[SESSION_KEY] = ws
    st.session_state.pop(CONFLICT_KEY, None)
    st.session_state.pop(AUTOSAVE_ERROR_KEY, None)
    st.session_state.pop("horizon_days_input", None)
    clear_widgets()
    if ws.stored:
        st.query_params["draft"] = ws.draft_id
    else:
        st.query_params.pop("draft", None)


def workspace() -> Workspace:
    """This session's workspace: from session state, else the URL's draft id, else a fresh
    unsaved draft. A draft id that is unknown (or someone else's) says "not found"; a stored
    draft that can no longer be opened is shown with what is wrong (:mod:`ui.broken_draft`)
    and the page stops there: it is never silently replaced."""
    owner = current_user()
    ws = st.session_state.get(SESSION_KEY)
    if ws is not None and ws.owner == owner:
        keep_in_url(ws)
        return ws
    requested = str(st.query_params.get("draft", "") or "")
    ws, store_error = None, None
    if requested:
        try:
            if not DRAFT_ID.match(requested):
                raise NotFound("not a draft id")
            ws = Workspace.restore(requested, owner)
        except NotFound:
            st.session_state[FLASH_KEY] = (
                f"Draft `{requested[:64]}` was not found (it may have been deleted, or "
                "belong to someone else). You are on a new draft; your recent drafts are "
                "in the sidebar.")
        except DraftUnusable as broken:
            from ui.broken_draft import render as render_broken

            render_broken(broken)
            st.stop()
        except (StoreError, SQLAlchemyError, OSError) as error:
            store_error = (
                f"The workspace store cannot be opened ({type(error).__name__}), so draft "
                f"`{requested[:64]}` cannot be loaded. You are on a new draft that is kept "
                "in this browser tab only.")
    activate(ws or fresh_workspace(owner))
    if store_error:
        st.session_state[AUTOSAVE_ERROR_KEY] = store_error
    return st.session_state[SESSION_KEY]


def switch_to(draft_id: str) -> None:
    """Open another of the user's stored drafts in this tab."""
    try:
        ws = Workspace.restore(draft_id)
    except (NotFound, DraftUnusable):
        st.query_params["draft"] = draft_id  # workspace() explains what is wrong
        st.session_state.pop(SESSION_KEY, None)
        return
    activate(ws)


def reload_saved(ws: Workspace) -> None:
    """Conflict resolution: drop this tab's unsaved changes and load the stored draft."""
    switch_to(ws.draft_id)


def save_as_copy(ws: Workspace) -> None:
    """Conflict resolution: keep this tab's changes as a new draft (the other is kept)."""
    copy = Workspace(draft_id=new_id(), source_name=ws.source_name,
                     source_path=ws.source_path, baseline=ws.baseline,
                     draft=ws.draft.with_details(name=f"{ws.draft.name} (copy)"),
                     horizon_days=ws.horizon_days, renewals_path=ws.renewals_path,
                     renewals_name=ws.renewals_name, owner=ws.owner)
    try:
        copy.write(action="copied")
    except (StoreError, SQLAlchemyError, OSError) as error:
        st.session_state[AUTOSAVE_ERROR_KEY] = f"The copy could not be saved ({error})."
        return
    activate(copy)


def new_draft(like: Workspace) -> None:
    """Start a new (unsaved) draft on the same data and baseline."""
    activate(fresh_workspace(like.owner, like))
