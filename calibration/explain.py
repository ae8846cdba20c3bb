"""Plain-language explanations: what mis-scored accounts share and why one account scores
what it does (validation results in words: :mod:`calibration.evidence_words`; metric help:
:mod:`calibration.glossary`).

Pure computation on numpy/pandas (no streamlit). Every function returns JSON-able values so
pages, reports and tests read the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.config import BooleanRule, Config, Factor, MappingRule
from calibration.scoring import FactorMatrix, ScoreResult, combine, plans
from calibration.values import as_boolean, as_number, normalise_text

BAND_LABELS = ("red", "yellow", "green")
MISSING_GAP = 0.10
"""A missing-rate gap of at least this much (10 points) is mentioned in a trait sentence."""


# --------------------------------------------------------------------------- factor values
@dataclass(frozen=True)
class TraitColumns:
    """Numbers per factor for comparing groups of accounts.

    ``kinds[k]`` is ``"share"`` when column k holds 1/0 flags (yes/no factors, or "is the
    best category" for category factors; ``labels[k]`` says what 1 means) and ``"number"``
    for raw numeric values.
    """

    values: np.ndarray
    names: list[str]
    kinds: list[str]
    labels: list[str]


def _best_category(rule: MappingRule) -> str:
    """The category worth the most points (first listed on ties)."""
    return max(rule.points, key=lambda key: rule.points[key])


def trait_values(column: pd.Series, factor: Factor) -> tuple[np.ndarray, str, str]:
    """One factor's raw column as numbers: (values, kind, label) as in :class:`TraitColumns`.

    Yes/no factors give 1/0; category factors give 1 where the value is the best-scored
    category (0 for other listed categories, NaN for blank or unlisted ones); other factors
    their numeric value. NaN means missing.
    """
    rule = factor.rule
    if isinstance(rule, BooleanRule):
        flags, _ = as_boolean(column)
        return flags, "share", "yes"
    if isinstance(rule, MappingRule):
        best = _best_category(rule)
        text = normalise_text(column)
        known = {k.strip().casefold() for k in rule.points}
        listed = text.isin(known).to_numpy(dtype=bool)
        top = (text == best.strip().casefold()).fillna(False).to_numpy(dtype=bool)
        return np.where(listed, top.astype(float), np.nan), "share", f"'{best}'"
    numbers, _ = as_number(column)
    return numbers, "number", ""


def trait_columns(frame: pd.DataFrame, config: Config) -> TraitColumns:
    """:func:`trait_values` for every factor of ``config`` (rows of ``frame``)."""
    values = np.empty((len(frame), len(config.factors)))
    kinds, labels = [], []
    for k, factor in enumerate(config.factors):
        values[:, k], kind, label = trait_values(frame[factor.column], factor)
        kinds.append(kind)
        labels.append(label)
    return TraitColumns(values, config.factor_names, kinds, labels)


def chart_values(column: pd.Series, factor: Factor, points: np.ndarray) -> tuple[np.ndarray, str]:
    """Numbers to plot for one factor and the axis title: raw values for numeric factors,
    1 = yes / 0 = no for yes/no factors, and rule points for category factors."""
    if isinstance(factor.rule, BooleanRule):
        flags, _ = as_boolean(column)
        return flags, f"{factor.name} (1 = yes, 0 = no)"
    if isinstance(factor.rule, MappingRule):
        return np.asarray(points, dtype=float), f"{factor.name} (points of its category)"
    numbers, _ = as_number(column)
    return numbers, factor.name


# --------------------------------------------------------------------------- common traits
def _std_diff(a: float, b: float, var_a: float, var_b: float, var_all: float) -> float:
    """(a - b) / pooled SD, pooled SD = sqrt((var_a + var_b) / 2); falls back to the SD of
    both groups together when both groups are constant (0 if that is 0 too)."""
    pooled = math.sqrt((var_a + var_b) / 2.0)
    if pooled <= 1e-12:
        pooled = math.sqrt(var_all)
    return 0.0 if pooled <= 1e-12 else (a - b) / pooled


def _fmt_number(x: float) -> str:
    """Short number for sentences: 1 decimal below 1,000, none above."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.1f}"


def _trait_sentence(row: dict[str, Any], reference_label: str) -> str:
    """One trait in plain words."""
    name = row["factor"]
    parts = []
    if row["group_mean"] is not None and row["reference_mean"] is not None:
        if row["kind"] == "share":
            parts.append(f"{row['group_mean']:.0%} {row['label']} vs "
                         f"{row['reference_mean']:.0%} of {reference_label}")
        else:
            parts.append(f"average {_fmt_number(row['group_mean'])} vs "
                         f"{_fmt_number(row['reference_mean'])} for {reference_label}")
    gap = row["group_missing"] - row["reference_missing"]
    if abs(gap) >= MISSING_GAP or not parts:
        tail = "" if parts else f" of {reference_label}"
        parts.append(f"missing for {row['group_missing']:.0%} vs "
                     f"{row['reference_missing']:.0%}{tail}")
    return f"{name}: " + "; ".join(parts)


def common_traits(
    values: np.ndarray | pd.DataFrame,
    group_mask: np.ndarray,
    reference_mask: np.ndarray,
    names: Sequence[str],
    *,
    kinds: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    reference_label: str = "correctly scored accounts",
    top: int | None = None,
) -> list[dict[str, Any]]:
    """What a group of accounts has in common compared with a reference group.

    For each factor (column of ``values``: raw numbers, 1/0 flags or points; NaN =
    missing) the group's mean and missing rate are compared with the reference group's.
    Differences are standardised: mean difference over the pooled SD of the two groups
    (population variances, ``sqrt((var_g + var_r) / 2)``), and the same for the missing
    rates as proportions. Factors are ranked by the larger absolute standardised
    difference.

    Parameters
    ----------
    values : array_like or DataFrame
        N x K numbers per account and factor.
    group_mask, reference_mask : array_like of bool
        The accounts to describe (e.g. surprise churn) and the ones to compare with (e.g.
        renewed while green).
    names : sequence of str
        K factor names.
    kinds, labels : sequence of str, optional
        Per factor ``"share"`` (1/0 flags, shown as percentages with ``labels[k]`` saying
        what 1 means) or ``"number"`` (shown as averages). Default: all ``"number"``.
    reference_label : str
        How the reference group is named in sentences.
    top : int, optional
        Keep only the strongest ``top`` traits.

    Returns
    -------
    list of dict
        Per factor: ``factor``, ``kind``, ``label``, ``group_n`` / ``reference_n`` (accounts
        with a value), ``group_mean``, ``reference_mean`` (None when no values),
        ``group_missing``, ``reference_missing``, ``std_diff`` (of means, None if undefined),
        ``missing_std_diff``, ``strength`` (larger absolute one) and ``sentence``. Empty when
        either group has no accounts.
    """
    x = np.asarray(values, dtype=float)
    g = np.asarray(group_mask, dtype=bool)
    r = np.asarray(reference_mask, dtype=bool)
    if x.ndim != 2 or x.shape[1] != len(names):
        raise ValueError(f"values must be N x {len(names)}, got shape {x.shape}")
    if g.shape != (x.shape[0],) or r.shape != (x.shape[0],):
        raise ValueError("group_mask and reference_mask need one flag per row of values")
    kinds = list(kinds) if kinds is not None else ["number"] * len(names)
    labels = list(labels) if labels is not None else [""] * len(names)
    if not g.any() or not r.any():
        return []
    # each group's rows cut out once (not per factor: a boolean cut of every row per column
    # cost 13 passes over 80k rows per group); the columns hold the same values
    xg, xr = x[g], x[r]
    out = [_one_trait(xg[:, k], xr[:, k], str(names[k]), kinds[k], labels[k])
           for k in range(len(names))]
    for row in out:
        row["sentence"] = _trait_sentence(row, reference_label)
    out.sort(key=lambda row: -row["strength"])
    return out[:top] if top is not None else out


def _one_trait(a: np.ndarray, b: np.ndarray, name: str, kind: str, label: str
               ) -> dict[str, Any]:
    """Comparison of one factor between the group values ``a`` and reference values ``b``."""
    known_a, known_b = a[~np.isnan(a)], b[~np.isnan(b)]
    miss_a, miss_b = 1.0 - known_a.size / a.size, 1.0 - known_b.size / b.size
    both = np.concatenate([known_a, known_b])
    mean_a = float(known_a.mean()) if known_a.size else None
    mean_b = float(known_b.mean()) if known_b.size else None
    diff = None
    if mean_a is not None and mean_b is not None:
        diff = _std_diff(mean_a, mean_b, float(known_a.var()), float(known_b.var()),
                         float(both.var()))
    miss_all = (a.size * miss_a + b.size * miss_b) / (a.size + b.size)
    miss_diff = _std_diff(miss_a, miss_b, miss_a * (1 - miss_a), miss_b * (1 - miss_b),
                          miss_all * (1 - miss_all))
    return {
        "factor": name, "kind": kind, "label": label,
        "group_n": int(known_a.size), "reference_n": int(known_b.size),
        "group_mean": mean_a, "reference_mean": mean_b,
        "group_missing": miss_a, "reference_missing": miss_b,
        "std_diff": diff, "missing_std_diff": miss_diff,
        "strength": max(abs(diff or 0.0), abs(miss_diff)),
    }


def misscored_groups(band: np.ndarray, churned: np.ndarray) -> dict[str, dict[str, Any]]:
    """Masks of the two kinds of miss and the correctly scored accounts to compare each with.

    ``surprise_churn`` (churned while green) is compared with renewals that were green;
    ``false_alarms`` (renewed while red) with churns that were red.
    """
    band = np.asarray(band)
    churned = np.asarray(churned, dtype=bool)
    green, red = band == 2, band == 0
    return {
        "surprise_churn": {"mask": churned & green, "reference": ~churned & green,
                           "reference_label": "correctly scored renewals (green)"},
        "false_alarms": {"mask": ~churned & red, "reference": churned & red,
                         "reference_label": "correctly scored churns (red)"},
    }


# --------------------------------------------------------------------------- one account
def _plain(value: Any) -> Any:
    """A JSON-able scalar (numpy scalars unwrapped, NaN/NaT/None -> None)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _num(value: float) -> float | None:
    """Float or None when NaN."""
    value = float(value)
    return value if math.isfinite(value) else None


def account_explanation(
    config: Config,
    matrix: FactorMatrix,
    result: ScoreResult,
    row: int,
    raw_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Why one row scores what it does: contributions, sub-scores, guardrail, segment.

    ``result`` must come from ``combine(..., explain=True)``. ``raw_values`` (factor name ->
    data value) is copied into each factor line when given.

    Returns
    -------
    dict
        ``score``, ``raw_score``, ``band`` (name, '' when unscored), ``factors`` (per
        factor: ``factor``, ``group``, ``value``, ``points`` 0-100 or None when missing,
        ``weight`` its share of the score for this account (missing factors renormalised
        away), ``contribution`` points added to the score), ``subscores`` (group -> 0-100 or
        None), ``guardrail`` (None, or ``name``, ``cap``, ``points`` removed <= 0),
        ``segment`` (``name``, ``red_max``, ``yellow_max``, ``weights`` as configured
        percentages), ``total`` (contributions + guardrail points; equals ``score``).
    """
    if result.contributions is None or result.subscores is None:
        raise ValueError("account_explanation needs a ScoreResult from combine(explain=True)")
    points = matrix.points[row]
    segment = int(result.segment[row])
    shares = combine(FactorMatrix(np.where(np.isnan(points), np.nan, 1.0)[None, :],
                                  matrix.names), config, result.segment[row:row + 1],
                     explain=True).contributions[0]
    raw = raw_values or {}
    scored = bool(math.isfinite(result.score[row]))
    # a factor in a group with no weight can come back as NaN (0 / 0): it adds nothing
    adds = np.nan_to_num(result.contributions[row]) if scored else result.contributions[row]
    factors = []
    for k, factor in enumerate(config.factors):
        factors.append({
            "factor": factor.name, "group": factor.group,
            "value": _plain(raw.get(factor.name)),
            "points": _num(points[k]),
            "weight": float(np.nan_to_num(shares[k])) if scored else None,
            "contribution": _num(adds[k]),
        })
    rail_index = int(result.guardrail[row])
    guardrail = None
    if rail_index >= 0:
        rail = config.guardrails[rail_index]
        guardrail = {"name": rail.name, "cap": rail.cap,
                     "points": float(result.guardrail_points[row])}
    plan = plans(config)[segment + 1]
    flat = plan.flat_weights * 100.0
    contributions = [f["contribution"] or 0.0 for f in factors]
    score = _num(result.score[row])
    return {
        "score": score,
        "raw_score": _num(result.raw_score[row]),
        "band": BAND_LABELS[result.band[row]] if result.band[row] >= 0 else "",
        "factors": factors,
        "subscores": {g: _num(v) for g, v in zip(config.group_names(), result.subscores[row],
                                                  strict=True)},
        "guardrail": guardrail,
        "segment": {
            "name": "Default" if segment < 0 else config.segments[segment].name,
            "red_max": float(plan.red_max), "yellow_max": float(plan.yellow_max),
            "weights": {n: float(w) for n, w in zip(config.factor_names, flat, strict=True)},
        },
        "total": None if score is None else float(sum(contributions)) + (
            guardrail["points"] if guardrail else 0.0),
    }


def format_value(value: Any) -> str:
    """A raw data value for display: 'missing', yes/no, whole numbers without decimals,
    other numbers with one decimal, text as is."""
    value = _plain(value)
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return str(value)


def band_changes(history_frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Band changes in one account's :func:`calibration.history.band_history` frame.

    Returns
    -------
    list of dict
        ``date`` (ISO date or None), ``from``, ``to`` (band names, 'unscored' for -1) and
        ``score`` after the change, oldest first.
    """
    names = {-1: "unscored", 0: "red", 1: "yellow", 2: "green"}
    out = []
    bands = history_frame["band"].to_numpy()
    for i in np.flatnonzero(history_frame["band_changed"].to_numpy()):
        date = history_frame["snapshot_date"].iloc[i] if "snapshot_date" in history_frame else None
        out.append({"date": None if pd.isna(date) else str(pd.Timestamp(date).date()),
                    "from": names[int(bands[i - 1])], "to": names[int(bands[i])],
                    "score": _num(history_frame["score"].iloc[i])})
    return out


# --------------------------------------------------------------------------- account lists
def account_order(ids: np.ndarray, arr: np.ndarray) -> np.ndarray:
    """Positions of the accounts in :func:`account_list`'s order: largest ARR first
    (unknown ARR last), then by id as text; equal ones keep their order.

    ``account_list(ids[p], arr[p], ...)`` for ``p = account_order(ids, arr)[:n]`` is the
    first ``n`` rows of the whole list, so a page can show the largest few without building
    every row.
    """
    frame = pd.DataFrame({"Account": pd.Series(ids, dtype=object).astype(str),
                          "ARR": np.asarray(arr, dtype=float)})
    frame = frame.sort_values(["ARR", "Account"], ascending=[False, True], na_position="last",
                              kind="stable")
    return frame.index.to_numpy()


def account_list(ids: np.ndarray, arr: np.ndarray, score: np.ndarray, band: np.ndarray,
                 names: np.ndarray | None = None, segments: np.ndarray | None = None
                 ) -> pd.DataFrame:
    """Accounts as a display table, largest ARR first (unknown ARR last, then by id).

    Columns: ``Account``, ``Name`` (when ``names`` given), ``Segment`` (when ``segments``
    given), ``ARR``, ``Score``, ``Band``.
    """
    frame = pd.DataFrame({"Account": pd.Series(ids, dtype=object).astype(str)})
    if names is not None:
        frame["Name"] = pd.Series(names, dtype=object).fillna("").astype(str).to_numpy()
    if segments is not None:
        frame["Segment"] = pd.Series(segments, dtype=object).fillna("").astype(str).to_numpy()
    frame["ARR"] = np.asarray(arr, dtype=float)
    frame["Score"] = np.asarray(score, dtype=float)
    codes = np.asarray(band)
    frame["Band"] = np.array([*BAND_LABELS, "unscored"], dtype=object)[
        np.where(codes < 0, 3, codes)]
    frame = frame.sort_values(["ARR", "Account"], ascending=[False, True], na_position="last",
                              kind="stable")
    return frame.reset_index(drop=True)


def explained_rows(account_id: np.ndarray, snapshot_date: np.ndarray, judged: np.ndarray
                   ) -> dict[Any, int]:
    """Which row explains each account: its judged row when it has one, else its latest
    snapshot (latest date; the later row on ties or without dates)."""
    order = np.lexsort((np.arange(len(account_id)),
                        np.asarray(snapshot_date).astype("datetime64[ns]").astype(np.int64)))
    # the last position in that order per account (vectorised: 1.8M rows in a Python loop
    # took seconds)
    codes, uniques = pd.factorize(np.asarray(account_id, dtype=object)[order])
    last = np.full(len(uniques), -1, dtype=np.int64)
    np.maximum.at(last, codes, np.arange(len(order)))
    latest: dict[Any, int] = dict(zip(uniques.tolist(), order[last].tolist(), strict=True))
    for position in np.asarray(judged).tolist():
        latest[account_id[position]] = position
    return latest
