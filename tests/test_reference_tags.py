"""Reference labels with the team's tags laid over the data's label column."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.metrics import reference_agreement
from calibration.reference_tags import apply_tags, tags_key


def test_tags_override_the_column_and_match_ids_as_text():
    reference = np.array(["known_healthy", "", "known_struggling", ""])
    ids = np.array([101, 102, 103, 104])  # integer ids; the store keeps text
    labels = apply_tags(reference, ids, {"101": "struggling", "104": "healthy", "999": "healthy"})
    assert labels.tolist() == ["known_struggling", "", "known_struggling", "known_healthy"]
    assert apply_tags(reference, ids, {}).tolist() == reference.tolist()
    band = np.array([0, 0, 0, 2])  # red, red, red, green
    assert reference_agreement(band, labels)["value"] == 1.0
    assert reference_agreement(band, reference)["value"] == 0.5


def test_unknown_tag_refused_and_fingerprint_follows_tags():
    with pytest.raises(ValueError, match="unknown reference tags"):
        apply_tags(np.array([""]), np.array(["a"]), {"a": "fine"})
    assert tags_key({"a": "healthy"}) != tags_key({"a": "struggling"})
    assert tags_key({"a": "healthy", "b": "struggling"}) == tags_key(
        {"b": "struggling", "a": "healthy"})
