"""Factor rules suggested from a column's values, the columns worth scoring, and a
starter config for new data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from calibration.autoconfig.outcome_values import _labels, churn_flags
from calibration.autoconfig.probes import (
    _is_dateish,
    _non_blank,
    _numeric_share,
    _unique_share,
    prettify,
)
from calibration.autoconfig.roles import ROLE_NAMES, _is_idlike_name
from calibration.config import (
    BooleanRule,
    ColumnRoles,
    Config,
    ConfigError,
    Factor,
    LinearRule,
    MappingRule,
    config_from_dict,
)
from calibration.values import (
    FALSE_WORDS,
    MISSING_WORDS,
    TRUE_WORDS,
    as_boolean,
    as_number,
    is_blank,
    normalise_text,
)

MAX_LEVELS = 20
"""Most categories a text column may have to be scored as a category (else: free text)."""
MAX_STARTER_FACTORS = 12


# --------------------------------------------------------------------------- factors
def _flags(churned: Any, n: int) -> np.ndarray | None:
    """Churn flags as float (1 churned, 0 renewed, NaN unknown), or None when not known."""
    if churned is None:
        return None
    array = np.asarray(churned)
    if array.shape != (n,):
        raise ValueError(f"churned has shape {array.shape} for {n} rows")
    if array.dtype.kind in "biuf":
        numbers = array.astype(float)
        out = np.where(numbers == 1, 1.0, np.where(numbers == 0, 0.0, np.nan))
    else:
        text = normalise_text(pd.Series(array, dtype=object)).fillna("").to_numpy(dtype=object)
        out = np.full(n, np.nan)
        out[np.isin(text, ["1", "1.0", "true", "churned"])] = 1.0
        out[np.isin(text, ["0", "0.0", "false", "renewed"])] = 0.0
    decided = out[~np.isnan(out)]
    if decided.size == 0 or decided.min() == decided.max():
        return None  # one class only: nothing to learn a direction from
    return out


def _kind(series: pd.Series) -> str:
    """boolean / numeric / text-numeric / category / free-text / constant."""
    values = _non_blank(series)
    if values.empty:
        return "constant"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean" if values.nunique() == 2 else "constant"
    keys = set(pd.unique(normalise_text(values).dropna()))  # distinct first: 1.8M rows
    if len(keys) <= 1:
        return "constant"
    if len(keys) == 2 and keys <= (TRUE_WORDS | FALSE_WORDS) and keys & TRUE_WORDS and \
            keys & FALSE_WORDS:
        return "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    if _numeric_share(series) >= 0.95:
        return "text-numeric"
    if _is_dateish(series):
        return "date"
    return "category" if len(keys) <= MAX_LEVELS else "free-text"


def _churn_mean_rank_gap(numbers: np.ndarray, flags: np.ndarray) -> float:
    """Mean rank of churned minus renewed values (positive: churned accounts are higher)."""
    known = ~np.isnan(numbers) & ~np.isnan(flags)
    if known.sum() < 2:
        return 0.0
    ranks = pd.Series(numbers[known]).rank().to_numpy()
    churn = flags[known] == 1.0
    if churn.all() or not churn.any():
        return 0.0
    return float(ranks[churn].mean() - ranks[~churn].mean())


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    digits = max(0, 3 - math.floor(math.log10(abs(value))))
    return float(round(value, digits))


def suggest_factor(frame: pd.DataFrame, column: str, churned: Any = None) -> Factor:
    """A first scoring rule for one column.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    column : str
        The column to score.
    churned : array_like, optional
        Per row 1/True/"churned" for churned, 0/False/"renewed" for renewed, anything else
        (NaN, "open") unknown. When given with both classes, directions and category points
        follow the data.

    Returns
    -------
    Factor
        Weight 1 (set real weights afterwards), group "Overall", name = prettified column:

        - numbers (also numbers stored as text, noted in the description): linear from the
          10th to the 90th percentile; lower_is_better when churned accounts have higher
          values, else higher_is_better;
        - two yes/no-style values: boolean (true scores 0 when "yes" churns more);
        - other text with at most 20 categories: mapping whose points are each category's
          renewal rate rescaled to 0-100 (evenly spaced, alphabetical, without outcomes);
          unlisted categories count as missing.

    Raises
    ------
    ValueError
        For a missing column, a constant column, dates, or free text with too many values.
    """
    if column not in frame.columns:
        raise ValueError(f"column {column!r} is not in the data")
    series = frame[column]
    flags = _flags(churned, len(frame))
    kind = _kind(series)
    name = prettify(column)
    base: dict[str, Any] = {"name": name, "column": column, "weight": 1.0}
    if kind == "constant":
        raise ValueError(f"column {column!r} has fewer than two different values")
    if kind == "date":
        raise ValueError(f"column {column!r} holds dates, not a health signal")
    if kind == "free-text":
        raise ValueError(f"column {column!r} has more than {MAX_LEVELS} different values: "
                         "free text cannot be scored as categories")
    if kind == "boolean":
        truth, _ = as_boolean(series)
        churn_true = flags is not None and _rate(flags, truth == 1.0) > _rate(
            flags, truth == 0.0)
        note = ("From the data: accounts with 'yes' churn more, so 'yes' scores 0."
                if churn_true else "")
        return Factor(**base, direction="lower_is_better" if churn_true else "higher_is_better",
                      rule=BooleanRule(true_points=0.0 if churn_true else 100.0,
                                       false_points=100.0 if churn_true else 0.0),
                      description=note)
    if kind in ("numeric", "text-numeric"):
        numbers, bad = as_number(series)
        finite = numbers[np.isfinite(numbers)]
        lo, hi = (float(x) for x in np.percentile(finite, [10, 90]))
        if hi <= lo:
            lo, hi = float(finite.min()), float(finite.max())
        lo, hi = _round(lo), _round(hi)
        if hi <= lo:
            raise ValueError(f"column {column!r} has fewer than two different numbers")
        gap = 0.0 if flags is None else _churn_mean_rank_gap(numbers, flags)
        direction = "lower_is_better" if gap > 0 else "higher_is_better"
        notes = []
        if kind == "text-numeric":
            blank = int(is_blank(series).sum())
            notes.append(f"Numbers stored as text: {blank:,} blank and {int(bad.sum()):,} "
                         "unreadable values are scored as missing.")
        if flags is not None:
            notes.append("From the data: churned accounts have "
                         f"{'higher' if gap > 0 else 'lower'} values.")
        notes.append("Scale runs from the 10th to the 90th percentile.")
        return Factor(**base, direction=direction, rule=LinearRule(lo=lo, hi=hi),
                      description=" ".join(notes))
    return _mapping_factor(series, base, flags)


def _rate(flags: np.ndarray, rows: np.ndarray) -> float:
    """Churn rate among decided rows of ``rows`` (NaN when none)."""
    decided = rows & ~np.isnan(flags)
    return float(flags[decided].mean()) if decided.any() else math.nan


def _mapping_factor(series: pd.Series, base: dict[str, Any], flags: np.ndarray | None
                    ) -> Factor:
    table = _labels(series)
    table = table[~table["key"].isin(list(MISSING_WORDS))]
    table = table.sort_values("key").reset_index(drop=True)
    keys = normalise_text(series).fillna("").to_numpy(dtype=object)
    if flags is None:
        step = 100.0 / (len(table) - 1)
        points = {label: round(i * step, 1) for i, label in enumerate(table["label"])}
        note = ("Evenly spaced points (alphabetical order): no outcomes to learn from; set "
                "them by hand.")
    else:
        renewal = {key: 1.0 - _rate(flags, keys == key) for key in table["key"]}
        known = [r for r in renewal.values() if not math.isnan(r)]
        lo, hi = (min(known), max(known)) if known else (0.0, 0.0)
        points = {}
        for key, label in zip(table["key"], table["label"], strict=True):
            rate = renewal[key]
            scaled = 50.0 if math.isnan(rate) or hi <= lo else 100.0 * (rate - lo) / (hi - lo)
            points[label] = round(scaled, 1)
        note = ("Points = each category's renewal rate in this data, rescaled so the worst "
                "category scores 0 and the best 100.")
    return Factor(**base, rule=MappingRule(points=points, default=None), description=note)


def candidate_factor_columns(frame: pd.DataFrame, roles: ColumnRoles) -> list[str]:
    """Columns that could become factors: not a role, not an id, not constant, not free text.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Mapped roles (their columns are excluded).

    Returns
    -------
    list of str
        Candidate columns in data order.
    """
    role_columns = {getattr(roles, r) for r in ROLE_NAMES} - {None}
    out = []
    for column in frame.columns:
        if column in role_columns or _is_idlike_name(column):
            continue
        series = frame[column]
        kind = _kind(series)
        if kind not in ("boolean", "numeric", "text-numeric", "category"):
            continue
        if kind in ("numeric", "text-numeric") and _unique_share(series) >= 0.999 and \
                not pd.api.types.is_float_dtype(series.dtype) and len(series) > 50:
            continue  # a running number such as a row id
        out.append(column)
    return out


def rank_factor_columns(frame: pd.DataFrame, columns: Sequence[str], churned: Any = None
                        ) -> list[str]:
    """Columns ordered by how well each alone separates churned from renewed accounts.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    columns : sequence of str
        Candidate factor columns.
    churned : array_like, optional
        Churn flags as for :func:`suggest_factor`. Without both classes the order is kept.

    Returns
    -------
    list of str
        Strongest first (by distance of the suggested factor's AUC from 0.5).
    """
    flags = _flags(churned, len(frame))
    if flags is None:
        return list(columns)
    from calibration.scoring import rule_points

    strength = {}
    decided = ~np.isnan(flags)
    for column in columns:
        points = rule_points(frame[column], suggest_factor(frame, column, flags))
        gap = _churn_mean_rank_gap(np.where(decided, points, np.nan), flags)
        n = int((decided & ~np.isnan(points)).sum())
        strength[column] = abs(gap) / max(n, 1)
    return sorted(columns, key=lambda c: -strength[c])


def default_factor_columns(frame: pd.DataFrame, roles: ColumnRoles,
                           limit: int = MAX_STARTER_FACTORS) -> list[str]:
    """Candidates to pre-select: all of them, or the ``limit`` strongest (data order).

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Mapped roles (outcomes rank the candidates when there are more than ``limit``).
    limit : int
        Most columns to pre-select.

    Returns
    -------
    list of str
        Selected candidate columns in data order; never a column that looks like it encodes
        the outcome or like a protected attribute (see :func:`excluded_columns`).
    """
    candidates = candidate_factor_columns(frame, roles)
    excluded = excluded_columns(frame, roles, candidates)
    candidates = [c for c in candidates if c not in excluded]
    if len(candidates) <= limit:
        return candidates
    best = set(rank_factor_columns(frame, candidates, churn_flags(frame, roles))[:limit])
    return [c for c in candidates if c in best]


def excluded_columns(frame: pd.DataFrame, roles: ColumnRoles,
                     candidates: Sequence[str] | None = None) -> dict[str, str]:
    """Candidate columns never pre-selected, with why (:mod:`calibration.alarms`): names that
    look like protected attributes, and columns that look like they encode the outcome
    (judged point in time, 90 days before each renewal, when the data allows)."""
    from calibration import alarms

    if candidates is None:
        candidates = candidate_factor_columns(frame, roles)
    out = {a["column"]: a["message"] for a in alarms.fairness_alarms(candidates)}
    try:
        from calibration.accounts import prepare
        from calibration.decisions import for_table

        table = prepare(frame, roles, None)
        judged = for_table(table, 90)
    except ValueError:  # unusable roles or outcomes: nothing to judge leaks on
        return out
    for alarm in alarms.leak_alarms(table.frame, judged.rows, judged.churned, candidates):
        out.setdefault(alarm["column"], alarm["message"])
    return out


def starter_config(frame: pd.DataFrame, roles: ColumnRoles, factor_columns: Sequence[str],
                   name: str = "Starter config") -> Config:
    """A complete first config: one suggested factor per column, equal weights.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Mapped roles; known outcomes set directions and category points.
    factor_columns : sequence of str
        Columns to score (at least one).
    name : str
        Config name.

    Returns
    -------
    Config
        Validated config: group "Overall" (100%), each factor 100/K %, bands red <= 30,
        green > 70, no guardrails or segments.

    Raises
    ------
    ConfigError
        Listing every column that cannot be scored (or no column chosen).
    """
    columns = list(dict.fromkeys(factor_columns))
    if not columns:
        raise ConfigError(["choose at least one column to score"], name)
    flags = churn_flags(frame, roles)
    flags_or_none = None if np.isnan(flags).all() else flags
    factors, problems = [], []
    for column in columns:
        try:
            factors.append(suggest_factor(frame, column, flags_or_none))
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError(problems, name)
    names = [f.name for f in factors]
    for i, factor in enumerate(factors):  # prettified names may collide (a_b vs aB)
        if names.count(factor.name) > 1:
            factors[i] = factor.model_copy(update={"name": f"{factor.name} ({factor.column})"})
    weight = round(100.0 / len(factors), 6)
    learned = "from this data's renewal rates" if flags_or_none is not None else (
        "without outcomes")
    raw = {
        "schema_version": 1, "name": name,
        "notes": f"Starter config built {learned} from {len(factors)} columns with equal "
                 "weights. Category points and directions were learned on the same data they "
                 "are validated on: check them out of sample before trusting the AUC.",
        "columns": roles.model_dump(),
        "groups": [{"name": "Overall", "weight": 100.0}],
        "factors": [{**f.model_dump(), "group": "Overall", "weight": weight} for f in factors],
        "bands": {"red_max": 30.0, "yellow_max": 70.0},
    }
    return config_from_dict(raw, name)


def with_roles(config: Config, roles: ColumnRoles) -> Config:
    """Copy of ``config`` with its column roles replaced (validated)."""
    return config_from_dict({**config.model_dump(), "columns": roles.model_dump()},
                            config.name)
