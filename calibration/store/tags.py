"""Reference-account tags: accounts the team knows are healthy or struggling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from calibration.store import audit
from calibration.store.engine import Store, StoreError
from calibration.store.schema import reference_tags

TAGS = ("healthy", "struggling")


@dataclass(frozen=True)
class ReferenceTag:
    """One tagged account of one data set."""

    account_id: str
    tag: str
    note: str
    updated_at: datetime


def set_tag(store: Store, owner: str, dataset: str, account_id: str, tag: str | None,
            note: str = "") -> None:
    """Tag an account (``tag`` None removes it); one tag per account and data set."""
    if tag is not None and tag not in TAGS:
        raise StoreError(f"a reference tag is one of {', '.join(TAGS)}, not {tag!r}")
    key = (reference_tags.c.owner == owner, reference_tags.c.dataset == dataset[:400],
           reference_tags.c.account_id == str(account_id)[:400])
    with store.transaction() as conn:
        conn.execute(delete(reference_tags).where(*key))
        if tag is not None:
            conn.execute(reference_tags.insert().values(
                owner=owner, dataset=dataset[:400], account_id=str(account_id)[:400],
                tag=tag, note=note, updated_at=datetime.now(UTC)))
        audit.record(conn, actor=owner, owner=owner, subject="tags",
                     subject_id=dataset[:64], action="reference tag",
                     summary=f"{account_id}: {tag or 'untagged'}")


def tags_for(store: Store, owner: str, dataset: str) -> list[ReferenceTag]:
    """The owner's tags on one data set, by account id."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(reference_tags).where(
            reference_tags.c.owner == owner, reference_tags.c.dataset == dataset[:400])
            .order_by(reference_tags.c.account_id)).mappings()
        return [ReferenceTag(r["account_id"], r["tag"], r["note"], r["updated_at"])
                for r in rows]
