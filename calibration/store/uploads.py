"""Uploaded data files: one folder per owner, written atomically and verified."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

SUFFIXES = (".csv", ".parquet", ".pq", ".txt", ".tsv")
TEMP_SUFFIX = ".tmp"


def owner_folder(root: Path, owner: str) -> Path:
    """The owner's upload folder (named by a hash: no e-mail address in paths)."""
    return root / "uploads" / hashlib.sha256(owner.encode()).hexdigest()[:24]


def save_upload(root: Path, owner: str, name: str, raw: bytes) -> Path:
    """Keep an uploaded file under the owner's folder, named by its content hash.

    Written to a temp file, flushed to disk and renamed, so a crash never leaves a partial
    file under the final name; an existing file with the right name but wrong content (e.g.
    0 bytes from an older release) is replaced. Returns the path.
    """
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in SUFFIXES else ".csv"
    digest = hashlib.sha256(raw).hexdigest()
    folder = owner_folder(root, owner)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest[:32]}{suffix}"
    if path.exists() and _digest(path) == digest:
        os.utime(path)  # "last used" for retention
        return path
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if _digest(Path(tmp)) != digest:
            raise OSError(f"the copy of {name} on disk does not match the upload")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    return path


def _digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()
