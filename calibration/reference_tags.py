"""Reference labels with the team's own tags: an account tagged known-healthy or
known-struggling in the workspace counts as such, whatever the data's label column says.

Tags are kept per data set, named by the data's content fingerprint (:func:`dataset_key`), and
reach the CLI's validate, report and export-config through :func:`with_tags` (from a tags
file, :func:`read_tags_file`, or the workspace store)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from calibration.accounts import AccountTable

#: stored tag -> reference label used by :func:`calibration.metrics.reference_agreement`
TAG_LABELS = {"healthy": "known_healthy", "struggling": "known_struggling"}


def apply_tags(reference: np.ndarray, account_ids: np.ndarray,
               tags: Mapping[str, str]) -> np.ndarray:
    """Reference labels per row with the tags laid over them.

    Parameters
    ----------
    reference : numpy.ndarray
        Labels from the data ("known_healthy", "known_struggling" or "" for none).
    account_ids : numpy.ndarray
        The account id of each row (matched to tags as text, as the store keeps them).
    tags : mapping
        Account id (text) -> "healthy" or "struggling".

    Returns
    -------
    numpy.ndarray
        Text labels: the tag's label where an account is tagged, the data's label elsewhere.
    """
    labels = np.asarray(reference, dtype=str)
    if not tags:
        return labels
    unknown = set(tags.values()) - set(TAG_LABELS)
    if unknown:
        raise ValueError(f"unknown reference tags {sorted(unknown)}; use {sorted(TAG_LABELS)}")
    tagged = pd.Series(account_ids).astype(str).map(
        {account: TAG_LABELS[tag] for account, tag in tags.items()})
    return np.where(tagged.notna().to_numpy(), tagged.fillna("").to_numpy(dtype=str), labels)


def tags_key(tags: Mapping[str, str]) -> str:
    """A short fingerprint of a set of tags (cache key: changes when any tag changes)."""
    text = "\n".join(f"{account}\t{tag}" for account, tag in sorted(tags.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dataset_key(table: AccountTable) -> str:
    """The key tags of ``table`` are stored under: its content fingerprint (the same data
    under another file name keeps its tags; another file with the same name does not)."""
    return "sha256:" + table.fingerprint()["sha256"]


def account_ids_text(table: AccountTable) -> list[str]:
    """The table's distinct account ids as the store keeps them (text)."""
    return pd.unique(pd.Series(table.account_id).astype(str)).tolist()


def with_tags(table: AccountTable, tags: Mapping[str, str]) -> AccountTable:
    """``table`` with its reference labels overlaid by ``tags`` (same rows, same
    fingerprint): validation, the report and exported evidence then count the tags."""
    if not tags:
        return table
    tagged = dataclasses.replace(table, reference=apply_tags(table.reference,
                                                             table.account_id, tags))
    if "_fingerprint" in table.__dict__:  # the same rows: keep the hash already computed
        tagged.__dict__["_fingerprint"] = table.__dict__["_fingerprint"]
    return tagged


#: words a tags file may use per tag (case-insensitive)
TAG_WORDS = {"healthy": "healthy", "known_healthy": "healthy", "known healthy": "healthy",
             "struggling": "struggling", "known_struggling": "struggling",
             "known struggling": "struggling"}


def read_tags_file(path: str | Path) -> dict[str, str]:
    """Tags from a CSV file with columns ``account_id`` and ``tag`` (healthy / struggling,
    or known_healthy / known_struggling); raises ValueError naming the file, row and value
    that cannot be read."""
    from calibration.data_files import read_table
    from calibration.data_quality import DataError

    name = Path(path).name
    try:
        frame = read_table(path, name)
    except DataError as error:
        raise ValueError(str(error)) from None
    columns = {str(c).strip().casefold(): c for c in frame.columns}
    missing = [c for c in ("account_id", "tag") if c not in columns]
    if missing:
        raise ValueError(f"{name}: a tags file needs the columns account_id and tag "
                         f"(missing: {', '.join(missing)})")
    ids = frame[columns["account_id"]].astype("string")
    words = frame[columns["tag"]].astype("string").str.strip().str.casefold()
    tags: dict[str, str] = {}
    for row, (account, word) in enumerate(zip(ids, words, strict=True), start=2):
        if pd.isna(account) or not str(account).strip():
            raise ValueError(f"{name}, row {row}: account_id is empty")
        if pd.isna(word) or word in ("", "none"):
            continue
        if word not in TAG_WORDS:
            raise ValueError(f"{name}, row {row}, column tag: {str(word)[:40]!r} is not a tag;"
                             " use healthy or struggling")
        tags[str(account).strip()] = TAG_WORDS[word]
    return tags
