"""Health scoring: factor points, composite score, bands, guardrails, contributions.

The pipeline is split where the app needs it to be fast::

    frame + rules   -> FactorMatrix        (cache: changes only when rules/data change)
    frame + config  -> segment ids, GuardrailHits
    FactorMatrix + weights + bands -> ScoreResult   (a weight change redoes only this)

Every step is vectorised over numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.config import (
    BAND_NAMES,
    BooleanRule,
    Config,
    ConfigError,
    Factor,
    LinearRule,
    MappingRule,
    PercentileRule,
    StepsRule,
    check_columns,
)
from calibration.values import as_boolean, as_number, category_text, fold, is_blank

RED, YELLOW, GREEN, UNSCORED = 0, 1, 2, -1
SCORE_SCALE = 1e9
"""Scores are rounded half up to 1/SCORE_SCALE: ``floor(x * 1e9 + 0.5) / 1e9`` (see
:func:`round_score`). Python and every SQL dialect apply exactly this rule."""
SHARE_FLOOR = 1e-14
"""A linear or percentile share below this fraction of its interval scores as the interval's
start: points that small cannot change a rounded score, and SQL engines that refuse
floating-point underflow (PostgreSQL) never compute them."""
WEIGHT_FLOOR = 1e-12
"""Weights below this fraction of the largest weight count as 0 (no product can underflow)."""
NO_CAP = 2


def round_score(values: np.ndarray) -> np.ndarray:
    """The one rounding rule of scores: half up to 9 decimals, ``floor(x * 1e9 + 0.5) / 1e9``.

    Different summation orders (fast path, explain path, SQL) differ by ~1e-14; rounding
    makes every path give the same score, so ties and band edges (30.0) agree. The formula
    uses only IEEE multiply, add, floor and divide, so SQL reproduces it bit for bit.
    """
    return np.floor(values * SCORE_SCALE + 0.5) / SCORE_SCALE


# --------------------------------------------------------------------------- factor points
def rule_points(values: pd.Series, factor: Factor, rule=None) -> np.ndarray:
    """Points 0-100 for one factor's raw values (NaN where the value is missing/unreadable).

    Missing-data policy is *not* applied here; see :func:`factor_points`.
    """
    rule = rule or factor.rule
    if isinstance(rule, MappingRule):
        return _mapping_points(values, rule)
    if isinstance(rule, BooleanRule):
        flags, _ = as_boolean(values)
        return np.where(flags == 1.0, rule.true_points,
                        np.where(flags == 0.0, rule.false_points, np.nan))
    numbers, _ = as_number(values)
    return numeric_rule_points(numbers, rule, factor.direction)


def numeric_rule_points(numbers: np.ndarray, rule, direction: str) -> np.ndarray:
    """Points for numeric values under a linear, steps or percentile rule."""
    if isinstance(rule, LinearRule):
        points = _linear_points(numbers, rule.lo, rule.hi)
    elif isinstance(rule, PercentileRule):
        points = _percentile_points(numbers, rule.values, rule.percentiles)
    elif isinstance(rule, StepsRule):
        index = np.searchsorted(np.asarray(rule.cutoffs), numbers, side="right")
        table = np.asarray(rule.points, dtype=float)
        points = table[index]  # index <= len(cutoffs) = len(table) - 1 (config checks)
        return np.where(np.isnan(numbers), np.nan, points)
    else:  # pragma: no cover - the config model admits no other kind
        raise TypeError(f"rule {rule!r} does not score numbers")
    if direction == "lower_is_better":
        points = 100.0 - points
    return np.where(np.isnan(numbers), np.nan, points)


def _linear_points(numbers: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 at or below ``lo``, 100 at or above ``hi``, a straight line between (a share below
    :data:`SHARE_FLOOR` of the interval scores 0). The SQL compiler writes the same values.

    A value at or below ``lo`` has an offset <= 0, below the floor: 0. At ``hi`` the offset
    is exactly ``span`` (the same subtraction), so the line gives exactly 100; above it the
    line exceeds 100 (or overflows to inf) and is cut to 100. NaN stays NaN.
    """
    span = hi - lo
    offset = numbers - lo
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        inside = offset / span * 100.0
    inside = np.where(offset < span * SHARE_FLOOR, 0.0, inside)
    return np.minimum(inside, 100.0)


def _percentile_points(numbers: np.ndarray, xs: list[float], ys: list[float]) -> np.ndarray:
    """Linear interpolation of ``ys`` over ``xs``, clamped at both ends: on the interval
    ``xs[j] <= x < xs[j+1]`` the points are ``ys[j] + (ys[j+1] - ys[j]) * share`` with
    ``share = (x - xs[j]) / (xs[j+1] - xs[j])`` (``ys[j]`` when the share is below
    :data:`SHARE_FLOOR`). Below ``xs[0]`` the offset is negative, below the floor: ``ys[0]``;
    NaN sorts last and stays NaN."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    j = np.clip(np.searchsorted(x, numbers, side="right") - 1, 0, len(x) - 2)
    dx, dy = np.diff(x)[j], np.diff(y)[j]
    offset = numbers - x[j]
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        inside = y[j] + dy * (offset / dx)
    inside = np.where(offset < dx * SHARE_FLOOR, y[j], inside)
    return np.where(numbers >= x[-1], y[-1], inside)


def _mapping_points(values: pd.Series, rule: MappingRule) -> np.ndarray:
    table = {fold(key): float(points) for key, points in rule.points.items()}
    default = np.nan if rule.default is None else float(rule.default)
    # factorize the raw values first (fast), then normalise only the few distinct ones
    codes, uniques = pd.factorize(values)  # missing values get code -1
    names = category_text(pd.Series(uniques, dtype=values.dtype if len(uniques) else object))
    lookup = np.array([np.nan if u is None else table.get(u, default) for u in names]
                      + [np.nan], dtype=float)
    return lookup[codes]  # code -1 (missing) picks the trailing NaN


@dataclass(frozen=True)
class FactorMatrix:
    """Factor points for every row: N x K, 0-100, NaN where a skipped factor is missing."""

    points: np.ndarray
    names: list[str]

    @property
    def present(self) -> np.ndarray:
        """N x K mask of factors that count for each row."""
        return ~np.isnan(self.points)


def assign_segments(frame: pd.DataFrame, config: Config) -> np.ndarray:
    """Index of the first matching segment per row (-1 = default config)."""
    segment = np.full(len(frame), -1, dtype=np.int16)
    for index, seg in enumerate(config.segments):
        wanted = [fold(v) for v in seg.match.values]
        hit = category_text(frame[seg.match.column]).isin(wanted).to_numpy(dtype=bool)
        segment[(segment == -1) & hit] = index
    return segment


def factor_points(
    frame: pd.DataFrame, config: Config, segments: np.ndarray | None = None
) -> FactorMatrix:
    """Points for every factor and row, with segment rule overrides and missing policies."""
    _require_columns(frame, config)
    if segments is None:
        segments = assign_segments(frame, config)
    points = np.empty((len(frame), len(config.factors)), dtype=float)
    for k, factor in enumerate(config.factors):
        column = frame[factor.column]
        points[:, k] = rule_points(column, factor)
        for index, seg in enumerate(config.segments):
            rule = seg.rules.get(factor.name)
            if rule is not None:
                rows = segments == index
                points[rows, k] = rule_points(column[rows], factor, rule)
        if factor.missing == "points":
            np.nan_to_num(points[:, k], copy=False, nan=factor.missing_points)
    return FactorMatrix(points=points, names=config.factor_names)


def _require_columns(frame: pd.DataFrame, config: Config) -> None:
    problems = check_columns(config, frame.columns)
    if problems:
        raise ConfigError(problems, "config vs data")


# --------------------------------------------------------------------------- guardrails
@dataclass(frozen=True)
class GuardrailHits:
    """Per-row band cap (0 red, 1 yellow, 2 none) and which guardrail set it (-1 none)."""

    cap: np.ndarray
    rule: np.ndarray
    names: list[str]


def guardrail_hits(frame: pd.DataFrame, config: Config) -> GuardrailHits:
    """Evaluate every guardrail; the most severe cap wins (first listed on ties)."""
    cap = np.full(len(frame), NO_CAP, dtype=np.int8)
    rule = np.full(len(frame), -1, dtype=np.int16)
    for index, rail in enumerate(config.guardrails):
        if not rail.enabled:
            continue
        level = BAND_NAMES.index(rail.cap)
        hit = guardrail_condition(frame[rail.column], rail.operator, rail.value)
        tighter = hit & (level < cap)
        cap[tighter] = level
        rule[tighter] = index
    return GuardrailHits(cap=cap, rule=rule, names=[g.name for g in config.guardrails])


def guardrail_condition(values: pd.Series, operator: str, value) -> np.ndarray:
    """Rows where ``values <operator> value`` holds; missing values never match
    (except for ``is_missing``)."""
    if operator == "is_missing":
        return is_blank(values)
    if isinstance(value, bool):
        flags, _ = as_boolean(values)
        known = ~np.isnan(flags)
        equal = flags == float(value)
        return known & (equal if operator == "==" else ~equal)
    if isinstance(value, int | float):
        numbers, _ = as_number(values)
        with np.errstate(invalid="ignore"):
            result = {
                "==": numbers == value, "!=": numbers != value, "<": numbers < value,
                "<=": numbers <= value, ">": numbers > value, ">=": numbers >= value,
            }[operator]
        return result & ~np.isnan(numbers)
    text = category_text(values)
    known = text.notna().to_numpy(dtype=bool)
    equal = (text == fold(str(value))).fillna(False).to_numpy(dtype=bool)
    return known & (equal if operator == "==" else ~equal)


# --------------------------------------------------------------------------- composite
@dataclass(frozen=True)
class Plan:
    """Resolved weights for the default config or one segment."""

    factor_weight: np.ndarray  # K, raw factor weights (within group)
    group_of: np.ndarray  # K, group index per factor
    group_weight: np.ndarray  # G
    red_max: float
    yellow_max: float

    @property
    def flat_weights(self) -> np.ndarray:
        """Effective share of each factor in the overall score when nothing is missing."""
        onehot = np.eye(len(self.group_weight))[self.group_of]
        group_total = self.factor_weight @ onehot
        used = group_total > 0  # a group of weight 0 gets 0 share either way
        group_share = np.where(used, self.group_weight, 0.0)
        group_share = group_share / group_share.sum()
        per_factor_total = group_total[self.group_of]
        within = np.divide(self.factor_weight, per_factor_total,
                           out=np.zeros_like(self.factor_weight), where=per_factor_total > 0)
        return group_share[self.group_of] * within


def _unit_scale(weights: np.ndarray) -> np.ndarray:
    """Divide by the largest weight: shares are unchanged (weights are renormalised), huge
    weights cannot overflow and weights below :data:`WEIGHT_FLOOR` of the largest count as
    0, so no product that follows can underflow (in Python or SQL)."""
    top = weights.max(initial=0.0)
    if not top > 0:
        return weights
    scaled = weights / top
    return np.where(scaled < WEIGHT_FLOOR, 0.0, scaled)


def plans(config: Config) -> list[Plan]:
    """Default plan followed by one plan per segment (same order as ``config.segments``)."""
    groups = config.group_names()
    group_of = np.array([groups.index(f.group) for f in config.factors])
    base_factor = np.array([f.weight for f in config.factors], dtype=float)
    base_group = np.array([config.group_weight(g) for g in groups], dtype=float)
    result = [Plan(_unit_scale(base_factor), group_of, _unit_scale(base_group),
                   config.bands.red_max, config.bands.yellow_max)]
    for seg in config.segments:
        factor_w = np.array([seg.weights.get(f.name, f.weight) for f in config.factors], float)
        group_w = np.array([seg.group_weights.get(g, w) for g, w in zip(groups, base_group,
                                                                         strict=True)], float)
        bands = seg.bands or config.bands
        result.append(Plan(_unit_scale(factor_w), group_of, _unit_scale(group_w),
                           bands.red_max, bands.yellow_max))
    return result


@dataclass(frozen=True)
class ScoreResult:
    """Scores for every row, plus what explains them."""

    score: np.ndarray  # final score 0-100 after guardrail caps (NaN: nothing to score)
    raw_score: np.ndarray  # weighted factor score before caps
    band: np.ndarray  # int8: 0 red, 1 yellow, 2 green, -1 unscored
    guardrail: np.ndarray  # int16 index of the guardrail that capped the row, -1 none
    segment: np.ndarray  # int16 segment index, -1 default
    contributions: np.ndarray | None  # N x K points each factor adds (sum = raw_score)
    subscores: np.ndarray | None  # N x G group scores 0-100 (NaN: group has no data)

    @property
    def guardrail_points(self) -> np.ndarray:
        """Points removed by guardrail caps (<= 0); contributions + this = score."""
        return np.nan_to_num(self.score - self.raw_score)


def combine(
    matrix: FactorMatrix,
    config: Config,
    segments: np.ndarray,
    hits: GuardrailHits | None = None,
    *,
    explain: bool = False,
) -> ScoreResult:
    """Weighted composite, bands and guardrail caps for every row.

    Missing factors (NaN points) are left out per row and the remaining weights renormalised,
    first within each group, then across groups. With ``explain`` the per-factor
    contributions and sub-scores are returned too.
    """
    n, k = matrix.points.shape
    raw = np.empty(n)
    red_max = np.empty(n)
    yellow_max = np.empty(n)
    contributions = np.empty((n, k)) if explain else None
    groups = config.group_names()
    subscores = np.empty((n, len(groups))) if explain else None
    for index, plan in enumerate(plans(config)):
        rows = segments == index - 1
        if not rows.any():
            continue
        red_max[rows] = plan.red_max
        yellow_max[rows] = plan.yellow_max
        points = matrix.points[rows] if not rows.all() else matrix.points
        part = _combine_plan(points, plan, explain)
        raw[rows] = part[0]
        if explain:
            contributions[rows] = part[1]
            subscores[rows] = part[2]
    # No clamp needed: every factor's points lie in 0-100 (linear and percentile rules cut
    # at their ends, other points are validated 0-100) and weights are >= 0, so the weighted
    # mean lies in 0-100 up to a few ulps (100.00000000000001 for weights 57/80.2), which the
    # rounding to 1e-9 maps back to exactly 100 (or 0). tests/test_scoring.py checks the range
    # on hostile points and weights; the SQL export relies on the same argument.
    raw = round_score(raw)
    score = raw.copy()
    cap = hits.cap if hits is not None else np.full(n, NO_CAP, dtype=np.int8)
    ceiling = np.where(cap == RED, red_max, np.where(cap == YELLOW, yellow_max, np.inf))
    np.minimum(score, ceiling, out=score, where=~np.isnan(score))
    band = assign_bands(score, red_max, yellow_max)
    # the guardrail named is the one that set the row's cap (hits.rule is -1 for uncapped
    # rows), for every scored row: a cap the score was already under still counts
    guardrail = np.where(np.isnan(score), -1, hits.rule).astype(np.int16) if (
        hits is not None) else np.full(n, -1, dtype=np.int16)
    return ScoreResult(score, raw, band, guardrail, segments, contributions, subscores)


def _combine_plan(points: np.ndarray, plan: Plan, explain: bool):
    weights = plan.factor_weight
    active = weights > 0
    missing = np.isnan(points[:, active])
    if not missing.any() and not explain:
        flat = plan.flat_weights
        return (points[:, active] @ flat[active],)
    onehot = np.eye(len(plan.group_weight))[plan.group_of]  # K x G
    if not explain:  # a weightless factor adds nothing below: leave its column out
        points, weights, onehot = points[:, active], weights[active], onehot[active]
    present = ~np.isnan(points)
    filled = np.nan_to_num(points)  # a missing factor's weight is 0 in its row anyway
    weighted = present * weights  # N x K
    group_total = weighted @ onehot  # N x G
    with np.errstate(invalid="ignore", divide="ignore"):
        sub = (filled * weighted) @ onehot / group_total
    group_on = group_total > 0  # a group of weight 0 is on but adds 0 x its sub-score
    group_w = np.where(group_on, plan.group_weight, 0.0)
    total = group_w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # nothing to score in a row (total 0): 0 / 0, NaN; likewise a group without data
        # has the sub-score 0 / 0, NaN
        raw = np.where(group_on, sub, 0.0) @ plan.group_weight / total
        if not explain:
            return (raw,)
        per_factor_total = group_total[:, plan.group_of]
        share = np.where(per_factor_total > 0, (group_w / total[:, None])[:, plan.group_of]
                         * weighted / per_factor_total, 0.0)  # a weightless group adds 0
        contributions = np.where(present, share * filled, 0.0)
    contributions[np.isnan(raw)] = np.nan
    return raw, contributions, sub


def assign_bands(score: np.ndarray, red_max, yellow_max) -> np.ndarray:
    """Band codes: 0 red (score <= red_max), 1 yellow (<= yellow_max), 2 green; -1 NaN."""
    band = np.where(score <= red_max, RED, np.where(score <= yellow_max, YELLOW, GREEN))
    return np.where(np.isnan(score), UNSCORED, band).astype(np.int8)


# --------------------------------------------------------------------------- convenience
@dataclass(frozen=True)
class Scored:
    """Everything scoring one frame produces, reusable for a weight change."""

    matrix: FactorMatrix
    segments: np.ndarray
    hits: GuardrailHits
    result: ScoreResult


def score_frame(frame: pd.DataFrame, config: Config, *, explain: bool = True) -> Scored:
    """Score every row of ``frame`` with ``config`` (the whole pipeline)."""
    _require_columns(frame, config)
    segments = assign_segments(frame, config)
    matrix = factor_points(frame, config, segments)
    hits = guardrail_hits(frame, config)
    result = combine(matrix, config, segments, hits, explain=explain)
    return Scored(matrix, segments, hits, result)


def band_names(band: np.ndarray) -> np.ndarray:
    """Band codes to names ('' for unscored)."""
    table = np.array([*BAND_NAMES, ""], dtype=object)
    return table[np.where(band < 0, 3, band)]


def percentile_rule(values: np.ndarray, n_points: int = 11) -> PercentileRule:
    """Freeze a percentile rule from data: quantiles at ``n_points`` equally spaced
    percentiles; tied quantiles are merged (their percentiles averaged)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size < 2 or finite.min() == finite.max():
        raise ValueError("a percentile rule needs at least two distinct values")
    pct = np.linspace(0, 100, n_points)
    quant = np.quantile(finite, pct / 100)
    uniq, inverse = np.unique(quant, return_inverse=True)
    merged = np.bincount(inverse, weights=pct) / np.bincount(inverse)
    return PercentileRule(values=uniq.tolist(), percentiles=merged.tolist())
