"""Reference-account tags: accounts the team knows are healthy or struggling.

Tags belong to one owner and one data set. The data set is named by the data's content
fingerprint (:func:`calibration.reference_tags.dataset_key`), so two different files with one
name never share tags and a renamed file keeps them. Tags saved before that were keyed by the
file name: :func:`tags_for` moves them to the fingerprint the first time that data is read
(only the tags of accounts that are in it; the rest wait for their own file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

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


def tags_for(store: Store, owner: str, dataset: str, *, legacy_dataset: str | None = None,
             present: Callable[[], Iterable[str]] | None = None) -> list[ReferenceTag]:
    """The owner's tags on one data set, by account id.

    Parameters
    ----------
    dataset : the data set's key (its content fingerprint).
    legacy_dataset : the file name tags were keyed by before; when the data set has no tags
        yet, the legacy tags of accounts in ``present()`` move to ``dataset`` (once, audited).
    present : the data's account ids as text (called only when there is something to move).
    """
    found = _read(store, owner, dataset)
    if found or not legacy_dataset or legacy_dataset == dataset or present is None:
        return found
    legacy = _read(store, owner, legacy_dataset)
    if not legacy:
        return found
    ids = set(present())
    moving = [t.account_id for t in legacy if t.account_id in ids]
    if not moving:
        return found
    with store.transaction() as conn:
        for start in range(0, len(moving), 500):
            conn.execute(update(reference_tags).where(
                reference_tags.c.owner == owner,
                reference_tags.c.dataset == legacy_dataset[:400],
                reference_tags.c.account_id.in_(moving[start:start + 500])).values(
                dataset=dataset[:400]))
        audit.record(conn, actor=owner, owner=owner, subject="tags",
                     subject_id=dataset[:64], action="reference tags moved",
                     summary=f"{len(moving):,} tags keyed by file name "
                             f"{legacy_dataset[:200]!r} now follow the data's fingerprint")
    return _read(store, owner, dataset)


def _read(store: Store, owner: str, dataset: str) -> list[ReferenceTag]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(reference_tags).where(
            reference_tags.c.owner == owner, reference_tags.c.dataset == dataset[:400])
            .order_by(reference_tags.c.account_id)).mappings()
        return [ReferenceTag(r["account_id"], r["tag"], r["note"], r["updated_at"])
                for r in rows]
