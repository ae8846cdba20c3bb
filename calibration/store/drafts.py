"""Drafts: a user's work in progress, saved after every change, one version number each.

A save names the version it started from; when another tab saved in between, the save is
refused (:class:`StaleDraft`) instead of silently overwriting. Every read and write is scoped
to the owner: another user's draft id is simply not found.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update

from calibration.store import audit
from calibration.store.engine import NotFound, Store, StoreError, from_row, new_id
from calibration.store.schema import drafts

MAX_NAME = 200


@dataclass(frozen=True, kw_only=True)
class DraftContent:
    """What a save writes (configs as JSON text: the store never parses them, so a draft
    whose config no longer validates can still be read back and repaired)."""

    name: str
    author: str
    notes: str
    source_name: str
    source_path: str
    horizon_days: int
    baseline_json: str
    draft_json: str
    renewals_name: str | None = None
    renewals_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class DraftRecord(DraftContent):
    """A stored draft."""

    id: str
    owner: str
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @property
    def content(self) -> DraftContent:
        """The saved content alone."""
        return DraftContent(**{f.name: getattr(self, f.name) for f in fields(DraftContent)})


class StaleDraft(StoreError):
    """The draft was saved elsewhere since this copy was loaded."""

    def __init__(self, current: DraftRecord, now: datetime | None = None) -> None:
        self.current = current
        who = f" by {current.updated_by}" if current.updated_by not in ("", current.owner) else ""
        super().__init__(
            f"This draft was changed in another tab {audit.ago(current.updated_at, now)}"
            f"{who} (now at version {current.version}): reload, or save yours as a copy.")


def _clean(content: DraftContent) -> dict:
    values = asdict(content)
    name = " ".join(str(values["name"]).split())[:MAX_NAME]
    values["name"] = name or "Untitled draft"
    values["author"] = " ".join(str(values["author"]).split())[:MAX_NAME]
    return values


def create_draft(store: Store, owner: str, content: DraftContent, *, actor: str | None = None,
                 draft_id: str | None = None, summary: str = "created",
                 now: datetime | None = None) -> DraftRecord:
    """Store a new draft at version 1 (a fresh 128-bit id unless ``draft_id`` is given)."""
    now = now or datetime.now(UTC)
    values = {**_clean(content), "id": draft_id or new_id(), "owner": owner, "version": 1,
              "created_at": now, "updated_at": now, "updated_by": actor or owner}
    with store.transaction() as conn:
        conn.execute(insert(drafts).values(**values))
        audit.record(conn, actor=actor or owner, owner=owner, subject="draft",
                     subject_id=values["id"], action="created", summary=summary, at=now)
    return from_row(DraftRecord, values)


def get_draft(store: Store, draft_id: str, owner: str) -> DraftRecord:
    """The owner's draft; :class:`NotFound` when absent or someone else's."""
    with store.engine.connect() as conn:
        row = conn.execute(select(drafts).where(
            drafts.c.id == draft_id, drafts.c.owner == owner)).mappings().first()
    if row is None:
        raise NotFound(f"Draft {draft_id[:40]} was not found.")
    return from_row(DraftRecord, row)


def _detail_changes(old: DraftRecord, new: dict) -> list[str]:
    lines = []
    for key, label in (("name", "Name"), ("author", "Author"), ("source_name", "Data"),
                       ("renewals_name", "Renewals table")):
        if getattr(old, key) != new[key]:
            lines.append(f"{label}: {getattr(old, key) or '(blank)'} → {new[key] or '(blank)'}")
    if old.notes != new["notes"]:
        lines.append("Notes edited")
    if old.horizon_days != new["horizon_days"]:
        lines.append(f"Judged {old.horizon_days} → {new['horizon_days']} days before renewal")
    if old.baseline_json != new["baseline_json"]:
        lines.append("Baseline replaced")
    return lines


def save_draft(store: Store, draft_id: str, owner: str, content: DraftContent,
               expected_version: int, *, actor: str | None = None,
               changes: list[str] | None = None, action: str = "edited",
               now: datetime | None = None) -> DraftRecord:
    """Write a new version of the draft in one transaction.

    ``expected_version`` is the version this copy was loaded at: when the stored draft moved
    on, nothing is written and :class:`StaleDraft` says when and by whom. ``changes`` (plain
    words, e.g. :func:`calibration.compare.config_diff`) go to the audit log with the name,
    notes, data and horizon changes the store sees itself.
    """
    now = now or datetime.now(UTC)
    values = _clean(content)
    with store.transaction() as conn:
        row = conn.execute(select(drafts).where(
            drafts.c.id == draft_id, drafts.c.owner == owner)).mappings().first()
        if row is None:
            raise NotFound(f"Draft {draft_id[:40]} was not found.")
        old = from_row(DraftRecord, row)
        if old.version != expected_version:
            raise StaleDraft(old, now)
        result = conn.execute(
            update(drafts)
            .where(drafts.c.id == draft_id, drafts.c.owner == owner,
                   drafts.c.version == expected_version)
            .values(**values, version=expected_version + 1, updated_at=now,
                    updated_by=actor or owner))
        if result.rowcount != 1:  # a concurrent writer won between our read and update
            raise StaleDraft(get_draft(store, draft_id, owner), now)
        lines = [*_detail_changes(old, values), *(changes or [])]
        audit.record(conn, actor=actor or owner, owner=owner, subject="draft",
                     subject_id=draft_id, action=action,
                     summary="\n".join(lines) or "no change to the score", at=now)
    return from_row(DraftRecord, {**asdict(old), **values, "version": expected_version + 1,
                                  "updated_at": now, "updated_by": actor or owner})


def recent_drafts(store: Store, owner: str, *, limit: int = 10) -> list[DraftRecord]:
    """The owner's drafts, most recently changed first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(drafts).where(drafts.c.owner == owner)
                            .order_by(drafts.c.updated_at.desc()).limit(limit)).mappings()
        return [from_row(DraftRecord, r) for r in rows]


def delete_draft(store: Store, draft_id: str, owner: str, *, actor: str | None = None) -> None:
    """Delete a draft and its scenarios (NotFound when absent or someone else's)."""
    with store.transaction() as conn:
        gone = conn.execute(delete(drafts).where(drafts.c.id == draft_id,
                                                 drafts.c.owner == owner)).rowcount
        if not gone:
            raise NotFound(f"Draft {draft_id[:40]} was not found.")
        audit.record(conn, actor=actor or owner, owner=owner, subject="draft",
                     subject_id=draft_id, action="deleted", summary="deleted")
