"""Retention: forget drafts nobody touched for a long time, uploads no draft uses, and temp
files a killed process left behind."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from calibration.store import audit
from calibration.store.engine import Store
from calibration.store.schema import drafts
from calibration.store.uploads import TEMP_SUFFIX

DRAFT_DAYS_ENV = "HSC_DRAFT_RETENTION_DAYS"
UPLOAD_DAYS_ENV = "HSC_UPLOAD_RETENTION_DAYS"
DEFAULT_DRAFT_DAYS = 180
DEFAULT_UPLOAD_DAYS = 7
STRAY_AFTER_S = 600  # a temp file older than this belongs to no running write


@dataclass
class CleanupReport:
    """What a cleanup removed (or would remove, in a dry run)."""

    drafts: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)

    def describe(self, dry_run: bool = False) -> str:
        """One line per kind, for the CLI."""
        verb = "would remove" if dry_run else "removed"
        return (f"{verb} {len(self.drafts)} draft(s) untouched past the retention period, "
                f"{len(self.uploads)} upload(s) no draft uses, "
                f"{len(self.temp_files)} stray temp file(s)")


def retention_days(environ: dict[str, str] | None = None) -> tuple[int, int]:
    """(draft days, upload days) from ``HSC_DRAFT_RETENTION_DAYS`` /
    ``HSC_UPLOAD_RETENTION_DAYS`` (ValueError naming the variable when not a whole number
    >= 1)."""
    environ = os.environ if environ is None else environ
    out = []
    for name, default in ((DRAFT_DAYS_ENV, DEFAULT_DRAFT_DAYS),
                          (UPLOAD_DAYS_ENV, DEFAULT_UPLOAD_DAYS)):
        raw = environ.get(name, "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name} must be a whole number of days, got {raw!r}") from None
        if value < 1:
            raise ValueError(f"{name} must be at least 1 day, got {value}")
        out.append(value)
    return out[0], out[1]


def stray_temp_files(root: Path, *, older_than_s: float = STRAY_AFTER_S,
                     remove: bool = True) -> list[str]:
    """Temp files under ``root`` left by an interrupted write (removed unless ``remove`` is
    False); recent ones may belong to a write in progress and are kept."""
    found = []
    if not root.is_dir():
        return found
    cutoff = time.time() - older_than_s
    for path in root.rglob(f"*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                if remove:
                    path.unlink()
                found.append(str(path))
    return found


def cleanup(store: Store, root: Path, *, draft_days: int, upload_days: int,
            dry_run: bool = False, now: datetime | None = None) -> CleanupReport:
    """Delete drafts (with their scenarios) not changed for ``draft_days``, then uploads
    under ``root/uploads`` that no remaining draft uses and that were not used for
    ``upload_days``, then stray temp files. Published versions are never deleted."""
    now = now or datetime.now(UTC)
    report = CleanupReport()
    cutoff = now - timedelta(days=draft_days)
    with store.transaction() as conn:
        old = conn.execute(select(drafts.c.id, drafts.c.owner).where(
            drafts.c.updated_at < cutoff)).all()
        report.drafts = [row.id for row in old]
        if not dry_run and old:
            conn.execute(delete(drafts).where(drafts.c.id.in_(report.drafts)))
            for row in old:
                audit.record(conn, actor="cleanup", owner=row.owner, subject="draft",
                             subject_id=row.id, action="deleted",
                             summary=f"not changed for {draft_days} days (retention)")
        kept = select(drafts.c.source_path).where(drafts.c.id.not_in(report.drafts))
        used = {str(Path(p).resolve()) for p in conn.execute(kept).scalars()}
    upload_cutoff = now.timestamp() - upload_days * 86_400
    uploads = root / "uploads"
    for path in sorted(uploads.rglob("*")) if uploads.is_dir() else []:
        if not path.is_file() or path.suffix == TEMP_SUFFIX:
            continue
        if str(path.resolve()) in used or path.stat().st_mtime >= upload_cutoff:
            continue
        report.uploads.append(str(path))
        if not dry_run:
            with contextlib.suppress(OSError):
                path.unlink()
    report.temp_files = stray_temp_files(root, remove=not dry_run)
    return report
