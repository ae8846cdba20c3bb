"""Published versions: configs frozen with their evidence, the team's record across quarters.

Published versions are shared by everyone using the deployment (that is what publishing
is for); drafts and scenarios stay their owner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from calibration.store import audit
from calibration.store.drafts import MAX_NAME
from calibration.store.engine import NotFound, Store, StoreError, from_row, new_id
from calibration.store.schema import versions


@dataclass(frozen=True)
class VersionRecord:
    """A published config version."""

    id: str
    name: str
    author: str
    notes: str
    config_hash: str
    config_json: str
    data_name: str
    horizon_days: int
    draft_id: str | None
    published_at: datetime
    published_by: str


def publish(store: Store, *, name: str, author: str, notes: str, config_hash: str,
            config_json: str, data_name: str, horizon_days: int, actor: str,
            draft_id: str | None = None, published_at: datetime | None = None,
            summary: str = "") -> VersionRecord:
    """Freeze a version under a unique name such as "Q4 2026" (StoreError when taken).

    ``config_json`` is the exported config with its evidence; ``published_at`` defaults to
    now (an older date records a version published before the store existed).
    """
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise StoreError("Give the version a name, e.g. “Q4 2026”.")
    values = {"id": new_id(), "name": name, "author": " ".join(author.split())[:MAX_NAME],
              "notes": notes, "config_hash": config_hash, "config_json": config_json,
              "data_name": data_name, "horizon_days": int(horizon_days),
              "draft_id": draft_id, "published_at": published_at or datetime.now(UTC),
              "published_by": actor}
    audit.insert_audited(
        store, versions, values,
        taken=f"A version named “{name}” is already published: choose another name "
              "(versions are never overwritten).",
        actor=actor, owner=actor, subject="version", subject_id=values["id"],
        action="published",
        summary=f"Published “{name}” (config {config_hash})"
                + (f"\n{summary}" if summary else ""))
    return from_row(VersionRecord, values)


def list_versions(store: Store) -> list[VersionRecord]:
    """Every published version, newest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(versions).order_by(versions.c.published_at.desc()))
        return [from_row(VersionRecord, r) for r in rows.mappings()]


def get_version(store: Store, version_id: str) -> VersionRecord:
    """One published version (NotFound otherwise)."""
    with store.engine.connect() as conn:
        row = conn.execute(select(versions).where(versions.c.id == version_id)
                           ).mappings().first()
    if row is None:
        raise NotFound("Published version not found.")
    return from_row(VersionRecord, row)
