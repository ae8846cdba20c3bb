"""Agreement of the bands with accounts the team already knows to be healthy or struggling."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from calibration.metrics.base import (
    GREEN,
    RED,
    UNSCORED,
    YELLOW,
    Result,
    _check_band,
    _ok,
    _rate,
    _undefined,
    _vector,
)

REFERENCE_LABELS = ("known_healthy", "known_struggling")


def _check_reference(reference: ArrayLike, n: int) -> np.ndarray:
    """Reference labels as str; None/NaN/"" mean unlabelled; others are a ValueError."""
    import pandas as pd

    ref = _vector("reference", reference, n)
    if ref.dtype.kind == "U":  # already text without missing values
        labels = ref
    else:
        ref = ref.astype(object)
        labels = np.where(pd.isna(ref), "", ref).astype(str)
    known = labels == ""
    for label in REFERENCE_LABELS:  # three comparisons: no hashing of every label
        known |= labels == label
    bad = [] if known.all() else sorted(set(pd.unique(labels[~known])))
    if bad:
        raise ValueError(f"unknown reference labels {bad[:5]}; use {REFERENCE_LABELS} or ''")
    return labels


def _confusion(b: np.ndarray) -> dict[str, int]:
    """Counts of band codes as ``{"red", "yellow", "green", "unscored"}``."""
    return {
        "red": int((b == RED).sum()),
        "yellow": int((b == YELLOW).sum()),
        "green": int((b == GREEN).sum()),
        "unscored": int((b == UNSCORED).sum()),
    }


def reference_agreement(band: ArrayLike, reference: ArrayLike | None) -> Result:
    """How bands agree with accounts the team already knows to be healthy or struggling.

    Returns
    -------
    dict
        ``value``: agreement rate = (known_healthy in green + known_struggling in red) /
        labelled scored accounts; ``confusion`` counts per label x band; ``healthy_green_rate``,
        ``struggling_red_rate``; ``healthy_red`` and ``struggling_green`` (the worst
        disagreements); ``n_labelled``, ``n_labelled_unscored``; ``reason``.
    """
    b = _check_band(band)
    if reference is None:
        return _undefined("no reference labels supplied", confusion=None)
    ref = _check_reference(reference, b.shape[0])
    healthy = _confusion(b[ref == REFERENCE_LABELS[0]])
    struggling = _confusion(b[ref == REFERENCE_LABELS[1]])
    n_h = healthy["red"] + healthy["yellow"] + healthy["green"]
    n_s = struggling["red"] + struggling["yellow"] + struggling["green"]
    extra = {
        "confusion": {REFERENCE_LABELS[0]: healthy, REFERENCE_LABELS[1]: struggling},
        "healthy_green_rate": _rate(healthy["green"], n_h),
        "struggling_red_rate": _rate(struggling["red"], n_s),
        "healthy_red": healthy["red"],
        "struggling_green": struggling["green"],
        "n_labelled": n_h + n_s,
        "n_labelled_unscored": healthy["unscored"] + struggling["unscored"],
    }
    if n_h + n_s == 0:
        return _undefined("no scored accounts carry a reference label", **extra)
    return _ok((healthy["green"] + struggling["red"]) / (n_h + n_s), **extra)
