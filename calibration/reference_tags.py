"""Reference labels with the team's own tags: an account tagged known-healthy or
known-struggling in the workspace counts as such, whatever the data's label column says."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

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
