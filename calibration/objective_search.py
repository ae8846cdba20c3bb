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
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from calibration import fitting
from calibration.band_rules import BandChoice, pick_cutoffs
from calibration.config import Config
from calibration.scoring import (
    NO_CAP,
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
Own = tuple[np.ndarray, np.ndarray] | None
"""Scored rows banded by their segment's own cut-offs and their bands (None: no such rows)."""


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
    per set of weighted factors, the present mask and NaN-filled points (a few sets kept:
    a search moves weights to 0 and back)."""

    KEEP = 6

    def __init__(self, rows: np.ndarray | None, points: np.ndarray) -> None:
        self.rows = rows  # None: every row
        self._present = ~np.isnan(points)
        self._filled = np.nan_to_num(points)  # equals the points where none is missing
        self._column_missing = ~self._present.all(axis=0)
        self._cache: OrderedDict[bytes, tuple[bool, np.ndarray, np.ndarray]] = OrderedDict()

    def cut(self, active: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray]:
        """(any missing, present, filled) of the active factors' columns: what
        ``_combine_plan`` computes from ``points[:, active]``."""
        key = active.tobytes()
        got = self._cache.get(key)
        if got is None:
            got = (bool(self._column_missing[active].any()), self._present[:, active],
                   self._filled[:, active])
            self._cache[key] = got
            if len(self._cache) > self.KEEP:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return got

    def raw(self, plan: Plan) -> np.ndarray:
        """:func:`calibration.scoring._combine_plan` (without explain) on these rows: the
        same operations in the same order, on cached columns."""
        weights = plan.factor_weight
        active = weights > 0
        missing, present, filled = self.cut(active)
        if not missing:  # no NaN in these columns: filled holds the points themselves
            return filled @ plan.flat_weights[active]
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


class ObjectiveValue:
    """:func:`calibration.objectives.objective_value` (``or 0.0``) of a banding of fixed
    decisions, from the same per-band sums as :func:`calibration.metrics.band_table`
    (``bincount`` in row order; rows of other bins add exact zeros)."""

    def __init__(self, churned: np.ndarray, arr: np.ndarray | None, kind: str,
                 by_arr: bool) -> None:
        self.kind = kind
        self.by_arr = by_arr
        self._churned = np.asarray(churned, dtype=bool).astype(float)
        if by_arr:
            a = np.asarray(arr, dtype=float)
            known = ~np.isnan(a)
            self._churned_arr = np.where(churned, np.where(known, a, 0.0), 0.0)
            self._unknown = (~known).astype(float)
            self._any_unknown = bool((~known).any())

    def of_codes(self, codes: np.ndarray) -> float:
        """The value for band codes 0 red, 1 yellow, 2 green, 3 unscored."""
        k = np.bincount(codes, weights=self._churned, minlength=4)[:3].round().astype(
            np.int64)
        if not self.by_arr:
            if self.kind == "catch_churn":
                churned = int(k[0]) + int(k[1]) + int(k[2])
                return int(k[0]) / churned if churned else 0.0
            return float(int(k[2]))
        n = np.bincount(codes, minlength=4)[:3]
        nonempty = [i for i in range(3) if n[i]]
        if not nonempty:
            return 0.0
        if self._any_unknown:
            missing = np.bincount(codes, weights=self._unknown, minlength=4)[:3]
            if all(int(missing[i]) == int(n[i]) for i in nonempty):
                return 0.0
        churned_arr = np.bincount(codes, weights=self._churned_arr, minlength=4)[:3]
        if self.kind == "catch_churn":
            total = 0.0
            for i in range(3):
                total += float(churned_arr[i])
            red = float(churned_arr[0])
            return red / total if total > 0 else 0.0
        return float(churned_arr[2])

    def of_band(self, band: np.ndarray) -> float:
        """The value for band codes with -1 for unscored rows."""
        band = np.asarray(band)
        return self.of_codes(np.where(band < 0, 3, band).astype(np.intp))


class _Masks:
    """:func:`calibration.band_rules.choose_bands`' row masks for one set of scored rows,
    as weight columns (0 outside the mask) and the sums that do not depend on the scores."""

    def __init__(self, scored: np.ndarray, own_rows: np.ndarray, cap: np.ndarray,
                 weight: np.ndarray) -> None:
        own = own_rows & scored
        mine = scored & ~own
        self.n = int(scored.sum())
        self.mine = mine
        self.all_mine = bool(mine.all())
        self.own_idx = np.flatnonzero(own)
        capped_red = mine & (cap == 0)
        free = mine & (cap != 0)
        uncapped = mine & (cap == NO_CAP)
        self.capped_red_n, self.capped_red_w = capped_red.sum(), weight[capped_red].sum()
        self.uncapped_n, self.uncapped_w = uncapped.sum(), weight[uncapped].sum()
        self.free_ones = free.astype(float)
        self.free_w = np.where(free, weight, 0.0)
        self.uncapped_ones = uncapped.astype(float)
        self.uncapped_w_rows = np.where(uncapped, weight, 0.0)


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
        self._cap_red, self._capped = cap == RED, (cap == RED) | (cap == YELLOW)
        own = [i for i, s in enumerate(config.segments) if s.bands is not None]
        self._own_rows = np.isin(segments, own)  # banded by their segment's own cut-offs
        by_arr = objective.by_arr and decisions.has_arr
        c = decisions.churned
        # choose_bands' churn weight: ARR (unknown = 0) or 1 per churned decision
        self._weight = (np.nan_to_num(decisions.arr) if by_arr else np.ones(n)) * c
        self._value = ObjectiveValue(c, decisions.arr, objective.kind, by_arr)
        self._sign = 1.0 if objective.kind == "catch_churn" else -1.0
        grid = np.arange(101)
        self._r, self._y = np.meshgrid(grid, grid, indexing="ij")
        self._wide = ((self._y - self._r) >= objective.min_yellow_width) & (self._y < 100)
        self._masks: dict[bytes, _Masks] = {}
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

    def raw(self, w: np.ndarray) -> np.ndarray:
        """Raw (uncapped, rounded) scores of the decisions under weights ``w`` (flat %)."""
        raw = np.empty(self.decisions.n)
        for part, plan in zip(self._parts, self.plans(w), strict=True):
            if part is None:
                continue
            if part.rows is None:
                raw = part.raw(plan)
            else:
                raw[part.rows] = part.raw(plan)
        return round_score(raw)

    def capped(self, raw: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Scores after guardrail caps (the config's own cut-offs); ``raw`` of ``rows``
        only when given."""
        score = raw.copy()
        ceiling = self._ceiling if rows is None else self._ceiling[rows]
        np.minimum(score, ceiling, out=score, where=~np.isnan(score))
        return score

    def score(self, w: np.ndarray) -> ScoreResult:
        """Scores, raw scores and bands of the decisions under weights ``w`` (flat %):
        ``decisions.score(apply_flat_weights(config, w))`` (segments and guardrail caps
        included) bit for bit, without contributions."""
        raw = self.raw(w)
        score = self.capped(raw)
        band = assign_bands(score, self._red_max, self._yellow_max)
        return ScoreResult(score, raw, band, np.full(raw.size, -1, dtype=np.int16),
                           self.decisions.segments, None, None)

    # ------------------------------------------------------------------ judging
    def _masks_for(self, unscored: np.ndarray) -> _Masks:
        """The row masks and constant sums of :func:`choose_bands` for one set of unscored
        rows (weights that leave every factor of a row at 0 unscore it)."""
        key = b"" if not unscored.any() else unscored.tobytes()
        got = self._masks.get(key)
        if got is None:
            if len(self._masks) > 8:
                self._masks.clear()
            got = self._masks[key] = _Masks(~unscored, self._own_rows, self.decisions.hits.cap,
                                            self._weight)
        return got

    def choose(self, raw: np.ndarray, unscored: np.ndarray | None = None
               ) -> tuple[BandChoice, Own]:
        """:func:`calibration.band_rules.choose_bands` for raw scores ``raw`` (the same
        cut-offs and messages: the same sums over the same rows in the same order, rows
        outside a mask adding exact zeros), and the scored rows banded by their segment's
        own cut-offs with their bands (None when there are none)."""
        objective = self.objective
        m = self._masks_for(np.isnan(raw) if unscored is None else unscored)
        own: Own = None
        f0n, f0w, f2n, f2w = np.int64(0), np.float64(0.0), np.int64(0), np.float64(0.0)
        if m.own_idx.size:
            own_score = self.capped(raw[m.own_idx], m.own_idx)
            own_band = assign_bands(own_score, self._red_max[m.own_idx],
                                    self._yellow_max[m.own_idx])
            w_own = self._weight[m.own_idx]
            f0n, f0w = (own_band == 0).sum(), w_own[own_band == 0].sum()
            f2n, f2w = (own_band == 2).sum(), w_own[own_band == 2].sum()
            own = (m.own_idx, own_band)
        if m.n == 0:
            return BandChoice(None, None, ["no scored decisions"]), own
        ceil = np.clip(np.ceil(raw if m.all_mine else np.where(m.mine, raw, 0.0)), 0, 100
                       ).astype(int)

        def cumulative(values: np.ndarray) -> np.ndarray:
            return np.cumsum(np.bincount(ceil, weights=values, minlength=101))

        red_n = m.capped_red_n + cumulative(m.free_ones) + f0n
        red_w = m.capped_red_w + cumulative(m.free_w) + f0w
        green_n = m.uncapped_n - cumulative(m.uncapped_ones) + f2n
        green_w = m.uncapped_w - cumulative(m.uncapped_w_rows) + f2w
        return pick_cutoffs(objective, m.n, red_n, red_w, green_n, green_w, self._r, self._y,
                            self._wide), own

    def codes(self, raw: np.ndarray, own: Own, red_max: int, yellow_max: int,
              unscored: np.ndarray | None = None) -> np.ndarray:
        """Band codes (3 = unscored) with the default cut-offs set to (``red_max``,
        ``yellow_max``): what ``with_bands`` and the scorer give. A red cap puts a row red,
        a yellow cap at most yellow (the cap is the band's top); rows with a segment's own
        cut-offs keep their band (``own``: their positions and bands)."""
        red = raw <= red_max
        red |= self._cap_red
        at_most_yellow = raw <= yellow_max
        at_most_yellow |= self._capped  # red or yellow cap
        codes = np.full(raw.size, 2, dtype=np.intp)
        codes -= red
        codes -= at_most_yellow  # red rows are at most yellow too: 2 - 1 - 1 = 0
        codes[np.isnan(raw) if unscored is None else unscored] = 3
        if own is not None:
            codes[own[0]] = own[1]  # scored rows: bands 0-2
        return codes

    def judge(self, w: np.ndarray) -> tuple[SearchKey, BandChoice]:
        """The search key of weights ``w`` with their best bands: what
        ``objectives._evaluate`` returns as its first and last items (CS objectives)."""
        self.evaluations += 1
        raw = self.raw(w)
        unscored = np.isnan(raw)
        bands, own = self.choose(raw, unscored)

        def auc() -> float:
            return fitting.points._auc(self.capped(raw), self.decisions.churned) or 0.0

        if not bands.feasible:
            return SearchKey(-math.inf, auc), bands
        codes = self.codes(raw, own, bands.red_max, bands.yellow_max, unscored)
        return SearchKey(self._sign * self._value.of_codes(codes), auc), bands


    def start_key(self, w: np.ndarray) -> tuple[float, float]:
        """``objectives._evaluate``'s key for any objective (``ranking``: the AUC when
        bands meeting the rules exist)."""
        if self.objective.kind != "ranking":
            return self.judge(w)[0].as_tuple()
        self.evaluations += 1
        raw = self.raw(w)
        bands, _ = self.choose(raw)
        auc = fitting.points._auc(self.capped(raw), self.decisions.churned) or 0.0
        return (auc, 0.0) if bands.feasible else (-math.inf, auc)


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


__all__ = ["MAX_ROUNDS", "STEPS", "CandidateJudge", "ObjectiveValue", "SearchKey",
           "coordinate_search"]
