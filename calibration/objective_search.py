"""The coordinate search behind the CS-objective suggestions, fast and exact.

:func:`calibration.objectives.suggest_for` improves a start by moving one flat weight at a
time and keeping a move only when the objective, with bands re-chosen, gets better. A
candidate used to be judged by writing its weights into a new :class:`Config` (pydantic, twice),
scoring every decision from scratch, ranking them for the AUC and building a band table: about
0.2 s per candidate at 80,000 decisions, thousands of candidates per suggestion.

:class:`CandidateJudge` gives exactly the same search key for a weight vector, bit for bit,
without any of that:

- the scorer's plans (default and per segment) are built from the weights with the very
  arithmetic of :func:`calibration.weights.apply_flat_weights` and
  :func:`calibration.scoring.plans` (no config object);
- each plan's rows, their "present" mask and NaN-filled points are cut once and kept per set
  of weighted factors, so a candidate costs the weighted sums of
  :func:`calibration.scoring._combine_plan` (same operations, same order: the same floats);
- band ceilings of guardrail caps depend on the cut-offs only, so they are computed once;
- the objective's value comes from the same per-band sums as
  :func:`calibration.outcomes.cs_numbers` (one ``bincount`` each);
- the AUC only breaks ties, so it is computed only when two candidates' values are equal
  (:class:`SearchKey` compares like the former ``(value, auc)`` tuple).

Pure computation; never imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from calibration import fitting
from calibration.band_rules import BandChoice, choose_bands
from calibration.config import Config
from calibration.scoring import (
    RED,
    YELLOW,
    Plan,
    ScoreResult,
    _unit_scale,
    assign_bands,
    round_score,
)

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from calibration.objectives import DecisionScores, Objective

STEPS = (10.0, 5.0, 2.0)
"""Coordinate-search step sizes in weight points, largest first."""
MAX_ROUNDS = 6
"""Rounds over every factor per step size at most (a round without a gain ends the step)."""


class SearchKey:
    """The search's order of candidates: bigger objective value first, then bigger AUC.

    Compares exactly like the tuple ``(value, auc)``; the AUC (a sort of every decision) is
    only computed when two values are equal.
    """

    __slots__ = ("_auc", "_auc_of", "value")

    def __init__(self, value: float, auc_of: Callable[[], float]) -> None:
        self.value = value
        self._auc_of = auc_of
        self._auc: float | None = None

    @property
    def auc(self) -> float:
        """AUC of the candidate's capped scores (0.0 when undefined), computed once."""
        if self._auc is None:
            self._auc = self._auc_of()
        return self._auc

    def __gt__(self, other: SearchKey) -> bool:
        if self.value != other.value:
            return self.value > other.value
        return self.auc > other.auc

    def as_tuple(self) -> tuple[float, float]:
        """The former ``(value, auc)`` key."""
        return (self.value, self.auc)


class _Part:
    """The rows one plan scores (the default plan or one segment's), with their points and,
    per set of weighted factors, the present mask and NaN-filled points."""

    def __init__(self, rows: np.ndarray | None, points: np.ndarray) -> None:
        self.rows = rows  # None: every row
        self.points = points
        self._cache: dict[bytes, tuple[bool, np.ndarray, np.ndarray, np.ndarray]] = {}

    def cut(self, active: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray]:
        """(any missing, points, present, filled) of the active factors' columns."""
        key = active.tobytes()
        got = self._cache.get(key)
        if got is None:
            points = self.points[:, active]
            present = ~np.isnan(points)
            got = (bool((~present).any()), points, present, np.nan_to_num(points))
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = got
        return got

    def raw(self, plan: Plan) -> np.ndarray:
        """:func:`calibration.scoring._combine_plan` (without explain) on these rows: the
        same operations in the same order, on cached columns."""
        weights = plan.factor_weight
        active = weights > 0
        missing, points, present, filled = self.cut(active)
        if not missing:
            return points @ plan.flat_weights[active]
        onehot = np.eye(len(plan.group_weight))[plan.group_of][active]
        weighted = present * weights[active]
        group_total = weighted @ onehot
        with np.errstate(invalid="ignore", divide="ignore"):
            sub = (filled * weighted) @ onehot / group_total
        group_on = group_total > 0
        group_w = np.where(group_on, plan.group_weight, 0.0)
        total = group_w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(group_on, sub, 0.0) @ plan.group_weight / total


class CandidateJudge:
    """Judges flat weight vectors for one config, set of decisions and objective exactly as
    :func:`calibration.objectives._evaluate` does (same key, same bands), much faster."""

    def __init__(self, config: Config, names: list[str], decisions: DecisionScores,
                 objective: Objective) -> None:
        if list(names) != config.factor_names:
            raise ValueError("names must be the config's factor names in config order")
        self.config = config
        self.decisions = decisions
        self.objective = objective
        groups = config.group_names()
        self._groups = groups
        self._members = [[j for j, f in enumerate(config.factors) if f.group == g]
                         for g in groups]
        self._group_of = np.array([groups.index(f.group) for f in config.factors])
        self._factor_group = [groups.index(f.group) for f in config.factors]
        points = decisions.matrix.points
        segments = decisions.segments
        n = decisions.n
        self._parts: list[_Part | None] = []
        red_max, yellow_max = np.empty(n), np.empty(n)
        for index in range(len(config.segments) + 1):
            rows = segments == index - 1
            if not rows.any():
                self._parts.append(None)
                continue
            bands = config.bands if index == 0 else (config.segments[index - 1].bands
                                                      or config.bands)
            red_max[rows], yellow_max[rows] = bands.red_max, bands.yellow_max
            self._parts.append(_Part(None if rows.all() else rows,
                                     points if rows.all() else points[rows]))
        cap = decisions.hits.cap
        self._cap = cap
        self._ceiling = np.where(cap == RED, red_max, np.where(cap == YELLOW, yellow_max,
                                                               np.inf))
        self._red_max, self._yellow_max = red_max, yellow_max
        own = [i for i, s in enumerate(config.segments) if s.bands is not None]
        self._default_rows = ~np.isin(segments, own)
        by_arr = objective.by_arr and decisions.has_arr
        self._arr = None if decisions.arr is None else np.asarray(decisions.arr, dtype=float)
        self._by_arr = by_arr
        self._sign = 1.0 if objective.kind == "catch_churn" else -1.0
        self.evaluations = 0

    # ------------------------------------------------------------------ scoring
    def plans(self, w: np.ndarray) -> list[Plan]:
        """``plans(apply_flat_weights(config, w))`` without building the config (same
        floats); raises like :func:`~calibration.weights.apply_flat_weights` and the config
        checks would for weights no config could hold."""
        config = self.config
        full = [float(v) for v in w]
        if any(v < 0 for v in full) or sum(full) <= 0:
            raise ValueError("weights must be >= 0 with a positive total")
        group_total = [sum(full[j] for j in members) for members in self._members]
        factor_w = []
        for j, _ in enumerate(config.factors):
            total = group_total[self._factor_group[j]]
            factor_w.append(round(100.0 * full[j] / total, 6) if total > 0 else 0.0)
        scale = 100.0 / sum(group_total)
        group_w = [round(t * scale, 6) for t in group_total]
        if not any(v > 0 for v in factor_w):
            raise ValueError("all factor weights are zero: at least one factor needs "
                             "weight > 0")
        base_factor = np.array(factor_w, dtype=float)
        base_group = np.array(group_w, dtype=float)
        result = [Plan(_unit_scale(base_factor), self._group_of, _unit_scale(base_group),
                       config.bands.red_max, config.bands.yellow_max)]
        for seg in config.segments:
            seg_factor = np.array([seg.weights.get(f.name, v)
                                   for f, v in zip(config.factors, factor_w, strict=True)],
                                  float)
            if not (seg_factor > 0).any():
                raise ValueError(f"segment {seg.name!r}: all factor weights are zero")
            seg_group = np.array([seg.group_weights.get(g, v)
                                  for g, v in zip(self._groups, base_group, strict=True)],
                                 float)
            bands = seg.bands or config.bands
            result.append(Plan(_unit_scale(seg_factor), self._group_of,
                               _unit_scale(seg_group), bands.red_max, bands.yellow_max))
        return result

    def score(self, w: np.ndarray) -> ScoreResult:
        """Scores, raw scores and bands of the decisions under weights ``w`` (flat %):
        ``decisions.score(apply_flat_weights(config, w))`` (segments and guardrail caps
        included) bit for bit, without contributions."""
        n = self.decisions.n
        raw = np.empty(n)
        for part, plan in zip(self._parts, self.plans(w), strict=True):
            if part is None:
                continue
            if part.rows is None:
                raw = part.raw(plan)
            else:
                raw[part.rows] = part.raw(plan)
        raw = round_score(raw)
        score = raw.copy()
        np.minimum(score, self._ceiling, out=score, where=~np.isnan(score))
        band = assign_bands(score, self._red_max, self._yellow_max)
        return ScoreResult(score, raw, band, np.full(n, -1, dtype=np.int16),
                           self.decisions.segments, None, None)

    # ------------------------------------------------------------------ judging
    def banded(self, result: ScoreResult, red_max: int, yellow_max: int) -> np.ndarray:
        """Bands with the default cut-offs set to (``red_max``, ``yellow_max``): what
        ``with_bands`` and the scorer give (rows with a segment's own bands keep theirs)."""
        mine = self._default_rows
        ceiling = np.where(self._cap == RED, float(red_max),
                           np.where(self._cap == YELLOW, float(yellow_max), np.inf))
        raw = result.raw_score[mine]
        score = raw.copy()
        np.minimum(score, ceiling[mine], out=score, where=~np.isnan(score))
        band = result.band.copy()
        band[mine] = assign_bands(score, float(red_max), float(yellow_max))
        return band

    def value(self, band: np.ndarray) -> float:
        """:func:`calibration.objectives.objective_value` of a banding (``or 0.0``), from
        the same per-band sums as :func:`calibration.metrics.band_table`."""
        d, kind = self.decisions, self.objective.kind
        scored = band >= 0
        b, c = band[scored], d.churned[scored]
        k = np.bincount(b, weights=c.astype(float), minlength=3).round().astype(np.int64)
        if not self._by_arr:
            if kind == "catch_churn":
                churned = int(k[0]) + int(k[1]) + int(k[2])
                return int(k[0]) / churned if churned else 0.0
            return float(int(k[2]))
        a = self._arr[scored]
        known = ~np.isnan(a)
        a0 = np.where(known, a, 0.0)
        n = np.bincount(b, minlength=3)
        churned_arr = np.bincount(b, weights=np.where(c, a0, 0.0), minlength=3)
        missing = np.bincount(b, weights=(~known).astype(float), minlength=3)
        nonempty = [i for i in range(3) if n[i]]
        if not nonempty or all(int(missing[i]) == int(n[i]) for i in nonempty):
            return 0.0
        if kind == "catch_churn":
            total = 0.0
            for i in range(3):
                total += float(churned_arr[i])
            red = float(churned_arr[0])
            return red / total if total > 0 else 0.0
        return float(churned_arr[2])

    def judge(self, w: np.ndarray) -> tuple[SearchKey, BandChoice]:
        """The search key of weights ``w`` with their best bands: what
        ``objectives._evaluate`` returns as its first and last items (CS objectives)."""
        self.evaluations += 1
        d = self.decisions
        result = self.score(w)
        bands = choose_bands(result, self.config, d, self.objective)

        def auc() -> float:
            return fitting.points._auc(result.score, d.churned) or 0.0

        if not bands.feasible:
            return SearchKey(-math.inf, auc), bands
        value = self.value(self.banded(result, bands.red_max, bands.yellow_max))
        return SearchKey(self._sign * value, auc), bands


def coordinate_search(judge: CandidateJudge, weights: np.ndarray,
                      progress: Callable[[], None] | None = None) -> np.ndarray:
    """Weights (flat %, total 100) improved one coordinate at a time: each weight moved by
    10, 5, then 2 points (the others rescaled), a move kept only when its key is bigger.
    ``progress`` is called after every candidate (it may raise to stop the search)."""
    key, _ = judge.judge(np.asarray(weights))  # the start as given, like the former search
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() * 100.0
    for step in STEPS:
        for _ in range(MAX_ROUNDS):
            improved = False
            for j in range(w.size):
                for sign in (1.0, -1.0):
                    target = float(np.clip(w[j] + sign * step, 0.0, 100.0))
                    new = fitting.stability._nudged(w, j, target)
                    if new is None:
                        continue
                    got, _ = judge.judge(new)
                    if progress is not None:
                        progress()
                    if got > key:
                        w, key = new, got
                        improved = True
            if not improved:
                break
    return w


__all__ = ["MAX_ROUNDS", "STEPS", "CandidateJudge", "SearchKey", "coordinate_search"]
