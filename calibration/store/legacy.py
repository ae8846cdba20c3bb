"""One-time import of the drafts the previous release kept as ``drafts/<id>.json``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from calibration.store.drafts import DraftContent, create_draft
from calibration.store.engine import Store
from calibration.store.schema import meta

MARKER = "legacy_json_drafts_imported"
LEGACY_ID = re.compile(r"^[a-z0-9]{8,32}$")


def _horizon(value) -> int:
    """A saved horizon, or 90 when the file holds something unusable (hand-edited)."""
    try:
        horizon = int(value)
    except (TypeError, ValueError):
        return 90
    return horizon if 0 <= horizon <= 730 else 90


def import_json_drafts(store: Store, folder: Path, owner: str) -> dict | None:
    """Import every readable ``<id>.json`` draft in ``folder`` once per store.

    Returns what was done (``imported`` ids, ``skipped`` file names with the reason) the
    first time, None afterwards. Files are left in place; unreadable ones are skipped.
    """
    with store.engine.connect() as conn:
        if conn.execute(select(meta.c.value).where(meta.c.key == MARKER)).first():
            return None
    done: dict = {"imported": [], "skipped": []}
    for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
        draft_id = path.stem
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            draft = payload["draft"]
            content = DraftContent(
                name=str(draft.get("name") or "Imported draft"),
                author=str(draft.get("author") or ""), notes=str(draft.get("notes") or ""),
                source_name=str(payload["source_name"]),
                source_path=str(payload["source_path"]),
                horizon_days=_horizon(payload.get("horizon_days")),
                baseline_json=json.dumps(payload["baseline"]), draft_json=json.dumps(draft),
                renewals_name=payload.get("renewals_name"),
                renewals_path=payload.get("renewals_path"))
            saved = payload.get("saved_at")
            when = datetime.fromisoformat(saved) if saved else datetime.now(UTC)
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            done["skipped"].append(f"{path.name}: {type(error).__name__}")
            continue
        if not LEGACY_ID.match(draft_id):
            done["skipped"].append(f"{path.name}: not a draft id")
            continue
        try:
            create_draft(store, owner, content, draft_id=draft_id, actor=owner, now=when,
                         summary=f"imported from {path.name}")
        except IntegrityError:
            done["skipped"].append(f"{path.name}: already in the store")
            continue
        done["imported"].append(draft_id)
    try:
        with store.transaction() as conn:
            conn.execute(insert(meta).values(key=MARKER, value=json.dumps(
                {**done, "at": datetime.now(UTC).isoformat(timespec="seconds")})))
    except IntegrityError:  # another server process finished the import first
        return None
    return done
