"""The audit log: who changed what, when, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, or_, select
from sqlalchemy.exc import IntegrityError

from calibration.store.engine import Store, StoreError
from calibration.store.schema import audit_log

MAX_SUMMARY = 20_000


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    actor: str
    subject: str
    subject_id: str
    action: str
    summary: str


def record(conn: Connection, *, actor: str, owner: str, subject: str, subject_id: str,
           action: str, summary: str, at: datetime | None = None) -> None:
    """Add an entry inside the caller's transaction (so it commits or rolls back with it)."""
    conn.execute(insert(audit_log).values(
        at=at or datetime.now(UTC), actor=actor, owner=owner, subject=subject,
        subject_id=subject_id, action=action, summary=summary[:MAX_SUMMARY]))


def insert_audited(store: Store, table: Table, values: dict[str, Any], *, taken: str,
                   **entry: Any) -> None:
    """Insert one row and its audit entry (:func:`record`'s keywords) in one transaction;
    StoreError(``taken``) when the row clashes with a unique name."""
    try:
        with store.transaction() as conn:
            conn.execute(insert(table).values(**values))
            record(conn, **entry)
    except IntegrityError:
        raise StoreError(taken) from None


def trail(store: Store, owner: str, subject_id: str | None = None, *,
          limit: int = 200) -> list[AuditEntry]:
    """Newest first: the entries this owner may see (their own records and every published
    version), optionally only those about one draft, scenario or version."""
    query = select(audit_log).where(or_(audit_log.c.owner == owner,
                                        audit_log.c.subject == "version"))
    if subject_id is not None:
        query = query.where(audit_log.c.subject_id == subject_id)
    query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [AuditEntry(r["at"], r["actor"], r["subject"], r["subject_id"], r["action"],
                       r["summary"]) for r in rows]


def ago(then: datetime, now: datetime | None = None) -> str:
    """'just now', '1 minute ago', '3 hours ago', '2 days ago'."""
    seconds = max(0.0, ((now or datetime.now(UTC)) - then).total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
