"""Leak and fairness alarms on factor columns.

- **Leak**: a column that on its own separates churned from renewed decisions almost
  perfectly (renewal AUC >= 0.97 or <= 0.03 on the judged snapshots), or that is blank on
  the judged snapshots but filled on later rows (it is only written after the decision, e.g.
  a cancellation reason), "looks like it encodes the outcome". Validation numbers built on it
  are too good to be true.
- **Fairness**: a column whose name looks like a protected attribute (gender, sex, age, race,
  ethnicity, religion, marital status, nationality, disability). A health score should not
  rank customers by it.

``init`` and the Data page's starter config never pick such columns; ``validate``, ``suggest``
and the Calibrate page flag them when a config uses them. Pure computation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from calibration.values import as_number, is_blank

LEAK_AUC = 0.97
"""A single column with renewal AUC at or beyond this (or 1 - this) is flagged as a leak."""
FILLED_AFTER_SHARE = 0.05
"""Blank on (nearly) every judged snapshot but filled on at least this share of all rows."""
PROTECTED = {"gender": "gender", "sex": "sex", "age": "age", "senior": "age",
             "birth": "age", "birthdate": "age", "dob": "age", "race": "race",
             "ethnicity": "ethnicity", "ethnic": "ethnicity", "religion": "religion",
             "religious": "religion", "marital": "marital status", "married": "marital status",
             "nationality": "nationality", "citizenship": "nationality",
             "disability": "disability", "disabled": "disability"}
"""Name tokens that look like protected attributes, and the attribute each stands for."""


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.casefold()) if t]


def protected_attribute(column: str) -> str | None:
    """The protected attribute a column name looks like (``"age"`` for ``customer_age``),
    or None. Whole words only: ``usage`` or ``page_views`` are not ``age``."""
    for token in _tokens(column):
        if token in PROTECTED:
            return PROTECTED[token]
    return None


def _auc(values: np.ndarray, churned: np.ndarray) -> float | None:
    """Renewal AUC of raw values (higher = renewed), ties half; None without both classes."""
    keep = ~np.isnan(values)
    v, c = values[keep], churned[keep]
    n_c, n_r = int(c.sum()), int((~c).sum())
    if n_c == 0 or n_r == 0:
        return None
    ranks = _average_ranks(v)
    return float((ranks[~c].sum() - n_r * (n_r + 1) / 2) / (n_r * n_c))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average (``scipy.stats.rankdata``'s default, the
    same numbers: every rank is a whole or half number, exact in floating point)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]][:ordered.shape[0]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], ordered.shape[0]]  # one past each tie group's last position
    group = np.cumsum(first) - 1
    ranks = np.empty(ordered.shape[0], dtype=np.float64)
    ranks[order] = 0.5 * (starts[group] + 1 + ends[group])
    return ranks


def _as_values(series: pd.Series, churned: np.ndarray) -> np.ndarray:
    """Numbers as they are; other columns as each category's churn rate (in-sample)."""
    numbers, bad = as_number(series)
    if not bad.any() and (~np.isnan(numbers)).any():
        return numbers
    text = series.astype("string").str.strip().str.casefold()
    rate = pd.Series(churned.astype(float)).groupby(text.to_numpy()).mean()
    return -text.map(rate).to_numpy(dtype=float, na_value=np.nan)


def leak_alarms(frame: pd.DataFrame, judged_rows: np.ndarray, churned: np.ndarray,
                columns: Iterable[str]) -> list[dict[str, Any]]:
    """Columns that look like they encode the outcome (see module doc), with the reason.

    ``judged_rows`` index ``frame`` (one per judged decision), ``churned`` the decisions'
    outcomes. Returns ``{"column", "kind": "leak", "auc", "message"}`` per flagged column.
    """
    out = []
    churned = np.asarray(churned, dtype=bool)
    for column in dict.fromkeys(columns):
        if column not in frame.columns or len(judged_rows) == 0:
            continue
        series = frame[column]
        at_judge = series.iloc[judged_rows].reset_index(drop=True)
        blank_at_judge = is_blank(at_judge).mean()
        filled_overall = 1 - is_blank(series).mean()
        if blank_at_judge >= 0.99 and filled_overall >= FILLED_AFTER_SHARE:
            out.append({"column": column, "kind": "leak", "auc": None, "message": (
                f"column {column!r} looks like it encodes the outcome: it is blank on the "
                f"snapshots accounts are judged on but filled on {filled_overall:.0%} of rows, "
                "so it is only written after the renewal decision")})
            continue
        auc = _auc(_as_values(at_judge, churned), churned)
        if auc is not None and (auc >= LEAK_AUC or auc <= 1 - LEAK_AUC):
            out.append({"column": column, "kind": "leak", "auc": auc, "message": (
                f"column {column!r} looks like it encodes the outcome: on its own it separates "
                f"churned from renewed renewals almost perfectly (AUC {auc:.3f}); it is "
                "probably recorded because of the decision, not before it")})
    return out


def fairness_alarms(columns: Sequence[str]) -> list[dict[str, Any]]:
    """Columns whose names look like protected attributes."""
    out = []
    for column in dict.fromkeys(columns):
        attribute = protected_attribute(column)
        if attribute:
            out.append({"column": column, "kind": "protected", "attribute": attribute,
                        "message": f"column {column!r} looks like a protected attribute "
                                   f"({attribute}): a health score should not rank customers "
                                   "by it; remove it unless you are sure it is not one"})
    return out


def config_alarms(table: Any, config: Any, judged: Any) -> list[dict[str, Any]]:
    """Leak and fairness alarms for the columns a config uses (factors and guardrails)."""
    columns = [f.column for f in config.factors] + [g.column for g in config.guardrails]
    return (leak_alarms(table.frame, judged.rows, judged.churned, columns)
            + fairness_alarms(columns))
