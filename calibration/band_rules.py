"""Band cut-offs that make sense, chosen exactly as the scorer will band the accounts.

Integer cut-offs; every band at least a minimum share of accounts; yellow at least a few
points wide; red within the team's capacity and green at least a minimum share. Because a
guardrail caps a score at the top of its band, the band of every decision under any pair of
cut-offs follows from its raw score and cap alone: all pairs are evaluated at once with
cumulative sums, and rows banded by a segment's own cut-offs keep their band. Used by
:mod:`calibration.objectives`; never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from calibration import fitting
from calibration.config import Config
from calibration.scoring import NO_CAP, ScoreResult

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from calibration.objectives import DecisionScores, Objective


def default_banded(config: Config, segments: np.ndarray) -> np.ndarray:
    """Rows whose bands come from ``config.bands`` (not from a segment's own bands)."""
    own = [i for i, s in enumerate(config.segments) if s.bands is not None]
    return ~np.isin(segments, own)


@dataclass(frozen=True)
class BandChoice:
    """Integer cut-offs chosen under the band rules, or why none could be."""

    red_max: int | None
    yellow_max: int | None
    messages: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """True when both cut-offs were found."""
        return self.red_max is not None and self.yellow_max is not None


def choose_bands(result: ScoreResult, config: Config, decisions: DecisionScores,
                 objective: Objective) -> BandChoice:
    """Best integer (red_max, yellow_max) for ``objective`` on these decisions.

    The raw (uncapped) score of each decision is known, so the band of every candidate pair
    follows exactly the scorer's rules: red when raw <= red_max or a guardrail caps at red;
    green when raw > yellow_max and no guardrail caps it; rows scored by a segment's own
    bands keep their band. Every pair with yellow at least ``min_yellow_width`` points wide is
    tried; the feasible ones (each band >= ``min_band_share``, red <= ``red_max_share``,
    green >= ``green_min_share``) are ranked by the objective: most churn caught red, then
    least surprise churn (for ``no_surprises`` the other way round).
    """
    raw = result.raw_score
    scored = ~np.isnan(result.score)
    n = int(scored.sum())
    if n == 0:
        return BandChoice(None, None, ["no scored decisions"])
    c = decisions.churned
    weight = (np.nan_to_num(decisions.arr) if objective.by_arr and decisions.has_arr
              else np.ones(decisions.n)) * c
    own = ~default_banded(config, decisions.segments) & scored
    mine = scored & ~own
    cap = decisions.hits.cap
    ceil = np.clip(np.ceil(np.where(mine, raw, 0.0)), 0, 100).astype(int)
    grid = np.arange(101)

    def cumulative(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over ``mask`` rows with ceil(raw) <= t, for t = 0..100."""
        return np.cumsum(np.bincount(ceil[mask], weights=values[mask], minlength=101))

    ones = np.ones(decisions.n)
    capped_red = mine & (cap == 0)
    free = mine & (cap != 0)
    uncapped = mine & (cap == NO_CAP)
    fixed = {b: own & (result.band == b) for b in (0, 1, 2)}
    red_n = capped_red.sum() + cumulative(free, ones) + fixed[0].sum()
    red_w = weight[capped_red].sum() + cumulative(free, weight) + weight[fixed[0]].sum()
    green_n = uncapped.sum() - cumulative(uncapped, ones) + fixed[2].sum()
    green_w = weight[uncapped].sum() - cumulative(uncapped, weight) + weight[fixed[2]].sum()
    r, y = np.meshgrid(grid, grid, indexing="ij")
    wide = ((y - r) >= objective.min_yellow_width) & (y < 100)
    return pick_cutoffs(objective, n, red_n, red_w, green_n, green_w, r, y, wide)


def pick_cutoffs(objective: Objective, n: int, red_n: np.ndarray, red_w: np.ndarray,
                 green_n: np.ndarray, green_w: np.ndarray, r: np.ndarray, y: np.ndarray,
                 wide: np.ndarray) -> BandChoice:
    """The best feasible (red_max, yellow_max) on the 0..100 grid from the cumulative counts.

    ``red_n[t]`` / ``red_w[t]`` are the rows (and churn weight) red with ``red_max = t``,
    ``green_n[t]`` / ``green_w[t]`` those green with ``yellow_max = t``; ``r`` and ``y`` are the
    grid's index pairs and ``wide`` marks the pairs with a yellow band wide enough. Shared by
    :func:`choose_bands` and the weight search (:mod:`calibration.objective_search`).
    """
    red_share = red_n[r] / n
    green_share = green_n[y] / n
    yellow_share = 1.0 - red_share - green_share
    eps = 1e-12
    ok = wide.copy()
    ok &= red_share >= objective.min_band_share - eps
    ok &= red_share <= objective.red_max_share + eps
    ok &= green_share >= max(objective.green_min_share, objective.min_band_share) - eps
    ok &= yellow_share >= objective.min_band_share - eps
    if not ok.any():
        return BandChoice(None, None, [
            f"no integer cut-offs meet the band rules on these scores ({objective.describe()}"
            "): the scores bunch up too much. Widen the rules or change the weights."])
    caught, surprise = red_w[r], green_w[y]
    keys = (-surprise, caught) if objective.kind == "no_surprises" else (caught, -surprise)
    score = np.where(ok, keys[0], -np.inf)
    best = score == score.max()
    second = np.where(best, keys[1], -np.inf)
    best &= second == second.max()
    # ties: the widest yellow, then the lowest red cut-off (deterministic)
    width = np.where(best, y - r, -1)
    best &= width == width.max()
    i, j = (int(v[0]) for v in np.nonzero(best))
    return BandChoice(i, j)  # the grid is 0..100: an index is its cut-off


def with_bands(config: Config, red_max: float, yellow_max: float) -> Config:
    """Copy of ``config`` with default band cut-offs replaced (segment bands untouched)."""
    raw = config.model_dump()
    raw["bands"] = {"red_max": float(red_max), "yellow_max": float(yellow_max)}
    return Config.model_validate(raw)


def band_flags(band: np.ndarray, churned: np.ndarray, objective: Objective) -> list[str]:
    """Plain-words flags for bands that break the rules or make no sense."""
    b = np.asarray(band)
    b = b[b >= 0]
    c = np.asarray(churned, dtype=bool)[np.asarray(band) >= 0]
    if b.size == 0:
        return ["no scored decisions"]
    out = []
    for code, name in ((0, "red"), (1, "yellow"), (2, "green")):
        share = float((b == code).mean())
        if share < objective.min_band_share - 1e-12:
            out.append(f"{name} holds {share:.1%} of accounts, under the "
                       f"{objective.min_band_share:.0%} minimum")
    out += [w for w in fitting.band_warnings(b, c) if w not in out]
    return out
