"""Suggest weights and band cut-offs together for what the CS team actually wants.

Three objectives (:class:`Objective`):

- ``ranking``: rank churned accounts below renewed ones (AUC);
- ``catch_churn``: as much churned ARR (or accounts) red at the horizon as possible, with red
  no bigger than the team can work (``red_max_share`` of accounts);
- ``no_surprises``: as little churned ARR green ("surprise churn") as possible, with green
  still at least ``green_min_share`` of accounts (a score that calls everything yellow helps
  nobody).

Bands must make sense whatever the objective: integer cut-offs, every band at least
``min_band_share`` of accounts and yellow at least ``min_yellow_width`` points wide. Within
those rules red fills the team's capacity and green is as small as allowed; the weights decide
*which* accounts land there, so the weights are searched for the objective with the bands
re-chosen for every candidate.

Every candidate is scored exactly as the scorer scores it (:func:`calibration.scoring.combine`
on the decisions' factor points, with segment overrides and guardrail caps), so what the
Suggest page previews is what the draft shows after Apply. Pure computation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from calibration import fitting, objective_search
from calibration.band_rules import (
    BandChoice,
    band_flags,
    choose_bands,
    default_banded,
    with_bands,
)
from calibration.config import Config
from calibration.cs_metrics import paired_cs_metrics
from calibration.outcomes import cs_numbers
from calibration.scoring import FactorMatrix, GuardrailHits, ScoreResult, combine
from calibration.verdicts import Verdict, judge
from calibration.weights import apply_flat_weights, flat_weights

__all__ = ["OBJECTIVES", "OBJECTIVE_LABELS", "BandChoice", "DecisionScores", "Objective",
           "ObjectiveSuggestion", "OutOfSample", "band_flags", "check_out_of_sample",
           "choose_bands", "decision_scores", "default_banded", "for_objective", "holdout",
           "objective_value", "suggest_for", "test_window_months", "with_bands"]

OBJECTIVES = ("ranking", "catch_churn", "no_surprises")
OBJECTIVE_LABELS = {"ranking": "Ranking (AUC)", "catch_churn": "Catch churn",
                    "no_surprises": "No surprises"}
DEFAULT_RED_MAX_SHARE = 0.15
DEFAULT_GREEN_MIN_SHARE = 0.50
DEFAULT_MIN_BAND_SHARE = 0.05
MIN_YELLOW_WIDTH = 5
HOLDOUT_SHARE = 0.3
"""Share of decisions held out when the data has no renewal dates (no time split)."""
BAGS = 5
Progress = Callable[[float], None]
"""A progress callback: share done, 0-1 (it may raise to stop the work)."""


@dataclass(frozen=True)
class Objective:
    """What the suggestion optimises and the band rules it must respect.

    ``red_max_share``: red holds at most this share of accounts (team capacity);
    ``green_min_share``: green holds at least this share; ``by_arr``: count churn in ARR
    (else accounts); ``min_band_share``: every band at least this share;
    ``min_yellow_width``: yellow spans at least this many score points.
    """

    kind: str = "ranking"
    red_max_share: float = DEFAULT_RED_MAX_SHARE
    green_min_share: float = DEFAULT_GREEN_MIN_SHARE
    by_arr: bool = True
    min_band_share: float = DEFAULT_MIN_BAND_SHARE
    min_yellow_width: int = MIN_YELLOW_WIDTH

    def __post_init__(self) -> None:
        if self.kind not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, "
                             f"got {self.kind!r}")
        for name in ("red_max_share", "green_min_share", "min_band_share"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < 1):
                raise ValueError(f"{name} is a share between 0 and 1 (0.15 = 15%), got "
                                 f"{value!r}")
        if not (isinstance(self.min_yellow_width, int) and 1 <= self.min_yellow_width <= 50):
            raise ValueError("min_yellow_width must be a whole number of points, 1-50")
        if self.red_max_share < self.min_band_share:
            raise ValueError(f"red capacity ({self.red_max_share:.0%}) is below the minimum "
                             f"band share ({self.min_band_share:.0%})")
        if self.green_min_share + 2 * self.min_band_share > 1 + 1e-12:
            raise ValueError(f"green at least {self.green_min_share:.0%} leaves no room for "
                             f"red and yellow at {self.min_band_share:.0%} each")

    def describe(self) -> str:
        """One CS sentence."""
        unit = "ARR" if self.by_arr else "accounts"
        rules = (f"red at most {self.red_max_share:.0%} of accounts, green at least "
                 f"{self.green_min_share:.0%}, every band at least {self.min_band_share:.0%}, "
                 f"yellow at least {self.min_yellow_width} points wide")
        head = {"ranking": "rank churned accounts below renewed ones (AUC)",
                "catch_churn": f"put as much churned {unit} as possible in red",
                "no_surprises": f"keep as little churned {unit} as possible in green"}
        return f"{head[self.kind]}; {rules}"


# --------------------------------------------------------------------------- exact scoring
@dataclass(frozen=True)
class DecisionScores:
    """The judged renewal decisions, ready to be scored exactly like the scorer does.

    ``matrix``/``segments``/``hits`` are the scorer's own factor points, segment ids and
    guardrail hits for these rows (see :mod:`calibration.scoring`); ``dates`` are decision
    (renewal) dates or None for single-snapshot data.
    """

    matrix: FactorMatrix
    segments: np.ndarray
    hits: GuardrailHits
    churned: np.ndarray
    arr: np.ndarray | None = None
    dates: np.ndarray | None = None
    judge_dates: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.matrix.points.shape[0]
        c = np.asarray(self.churned)
        for name, value in (("segments", self.segments), ("churned", c),
                            ("guardrail caps", self.hits.cap),
                            ("arr", self.arr), ("dates", self.dates),
                            ("judge_dates", self.judge_dates)):
            if value is not None and np.shape(value) != (n,):
                raise ValueError(f"{name} must have one entry per decision ({n})")
        object.__setattr__(self, "churned", c.astype(bool))

    @property
    def n(self) -> int:
        """Number of decisions."""
        return int(self.matrix.points.shape[0])

    def subset(self, mask: np.ndarray) -> DecisionScores:
        """The decisions where ``mask`` holds."""
        return DecisionScores(
            FactorMatrix(self.matrix.points[mask], self.matrix.names), self.segments[mask],
            GuardrailHits(self.hits.cap[mask], self.hits.rule[mask], self.hits.names),
            self.churned[mask], None if self.arr is None else self.arr[mask],
            None if self.dates is None else self.dates[mask],
            None if self.judge_dates is None else self.judge_dates[mask])

    def score(self, config: Config) -> ScoreResult:
        """Scores and bands exactly as :func:`calibration.scoring.combine` gives them."""
        return combine(self.matrix, config, self.segments, self.hits)

    @property
    def has_arr(self) -> bool:
        """True when some churned decision has a known ARR."""
        return self.arr is not None and bool(np.nansum(self.arr[self.churned]) > 0)


def decision_scores(judged: Any, scored: Any) -> DecisionScores:
    """The judged renewal decisions (:class:`calibration.decisions.Decisions`: outcome,
    renewal date and ARR per decision) with the scorer's factor points, segments and
    guardrail hits of each decision's judged snapshot (``scored``: a
    :class:`calibration.scoring.Scored` of the whole table)."""
    rows = judged.rows
    return decision_scores_of_rows(
        judged, FactorMatrix(scored.matrix.points[rows], scored.matrix.names),
        scored.segments[rows],
        GuardrailHits(scored.hits.cap[rows], scored.hits.rule[rows], scored.hits.names))


def decision_scores_of_rows(judged: Any, matrix: FactorMatrix, segments: np.ndarray,
                            hits: GuardrailHits) -> DecisionScores:
    """:func:`decision_scores` from the judged rows' points, segments and guardrail hits
    already cut out (row ``i`` is decision ``i``): the app never scores every snapshot
    for this."""
    return DecisionScores(
        matrix, segments, hits, judged.churned, np.asarray(judged.arr, dtype=float),
        None if judged.cross_sectional else judged.renewal_date,
        None if judged.cross_sectional else judged.judge_date)


# --------------------------------------------------------------------------- the search
@dataclass(frozen=True)
class ObjectiveSuggestion:
    """Weights and integer band cut-offs chosen together for one objective.

    ``config`` is exactly what Apply writes to the draft; ``numbers`` are the CS numbers it
    gives on the decisions it was fitted on (scored by the scorer itself).
    """

    objective: Objective
    weights: dict[str, float]
    red_max: int | None
    yellow_max: int | None
    config: Config | None
    value: float | None
    auc: float | None
    numbers: dict[str, Any]
    flags: list[str]
    notes: list[str]

    @property
    def feasible(self) -> bool:
        """True when band cut-offs meeting every rule were found."""
        return self.config is not None


def objective_value(result: ScoreResult, decisions: DecisionScores, objective: Objective,
                    ) -> float | None:
    """The objective's metric for one scoring (higher AUC / caught share; lower surprise)."""
    numbers = cs_numbers(result.band, decisions.churned,
                         decisions.arr if decisions.has_arr else None)
    if objective.kind == "ranking":
        return fitting.points._auc(result.score, decisions.churned)
    if objective.kind == "catch_churn":
        key = "red_churned_arr_share" if objective.by_arr and decisions.has_arr \
            else "red_churned_share"
        return numbers[key]
    key = "surprise_churn_arr" if objective.by_arr and decisions.has_arr \
        else "surprise_churn_count"
    return numbers[key]


def _evaluate(config: Config, weights: np.ndarray, names: list[str], decisions: DecisionScores,
              objective: Objective) -> tuple[tuple[float, float], Config | None, BandChoice]:
    """Search key (bigger is better) of one weight vector with its best bands."""
    candidate = apply_flat_weights(config, dict(zip(names, weights, strict=True)))
    result = decisions.score(candidate)
    bands = choose_bands(result, candidate, decisions, objective)
    auc = fitting.points._auc(result.score, decisions.churned) or 0.0
    if not bands.feasible:
        return (-math.inf, auc), None, bands
    banded = with_bands(candidate, bands.red_max, bands.yellow_max)
    if objective.kind == "ranking":
        return (auc, 0.0), banded, bands
    value = objective_value(decisions.score(banded), decisions, objective) or 0.0
    sign = 1.0 if objective.kind == "catch_churn" else -1.0
    return (sign * value, auc), banded, bands


def suggest_for(config: Config, decisions: DecisionScores, objective: Objective,
                seed: int = 0, progress: Progress | None = None) -> ObjectiveSuggestion:
    """Weights and integer bands for ``objective`` on ``decisions``.

    Start points: the config's own weights, the AUC-search weights and the logistic-regression
    weights (:mod:`calibration.fitting`). For ``ranking`` the AUC search is the answer; for
    the CS objectives the best start is improved by a coordinate search (each weight moved
    by 10, 5, then 2 points, the rest rescaled) that keeps a move only when the objective,
    with bands re-chosen, gets better (AUC breaks ties). Locked weights are not supported
    here: use :func:`calibration.fitting.suggest_auc` for that. ``progress`` is called with
    the share done (0-1) as the search goes; it may raise to stop the work.
    """
    names = config.factor_names
    c = decisions.churned
    if c.all() or not c.any():
        raise ValueError("need both churned and renewed decisions to suggest")
    notes: list[str] = []
    current = flat_weights(config)
    starts = {"current weights": np.array([current[n] for n in names])}
    for method in ("auc", "logit"):
        try:
            fit = fitting.suggest(decisions.matrix.points, c, names, method, groups=config,
                                  **({"seed": seed} if method == "auc" else {}))
        except ValueError as error:
            notes.append(f"{method} start skipped: {error}")
            continue
        starts[f"{method} weights"] = np.array([fit.weights[n] for n in names])
    if objective.kind != "ranking" and objective.by_arr and decisions.has_arr:
        starts["ARR-weighted logistic weights"] = _arr_weighted_logit(decisions)
    judge = objective_search.CandidateJudge(config, names, decisions, objective)
    evaluated = {label: judge.start_key(w) for label, w in starts.items()}  # _evaluate's key
    label = max(evaluated, key=lambda k: evaluated[k])
    weights = starts[label]
    key = evaluated[label]
    notes.append(f"started from the {label}")
    if objective.kind != "ranking":
        weights = _bagged_search(config, weights, names, decisions, objective, seed,
                                 progress)
        notes.append(f"weights averaged over {BAGS} searches on bootstrap resamples of the "
                     "decisions (one lucky big account cannot steer them)")
    w = fitting.points._round_weights(np.asarray(weights) / max(np.sum(weights), 1e-12) * 100.0)
    final = dict(zip(names, map(float, w), strict=True))
    weighted = apply_flat_weights(config, final)
    bands = choose_bands(decisions.score(weighted), weighted, decisions, objective)
    if not bands.feasible:
        return ObjectiveSuggestion(objective, final, None, None, None, None, key[1],
                                   {}, bands.messages, notes)
    banded = with_bands(weighted, bands.red_max, bands.yellow_max)
    result = decisions.score(banded)
    numbers = cs_numbers(result.band, c, decisions.arr if decisions.has_arr else None,
                         decisions.score(config).band)
    flags = band_flags(result.band, c, objective)
    return ObjectiveSuggestion(objective, final, bands.red_max, bands.yellow_max, banded,
                               objective_value(result, decisions, objective),
                               fitting.points._auc(result.score, c), numbers, flags, notes)


def _arr_weighted_logit(decisions: DecisionScores, l2: float = 1e-3) -> np.ndarray:
    """Non-negative weights from a logistic regression of renewal on factor points where
    each decision counts by its ARR at stake (a big churned account matters more than a
    small one). Missing points are filled with the factor's mean."""
    from calibration.logistic import fit_tnc

    x = decisions.matrix.points / 100.0
    with np.errstate(invalid="ignore"):
        means = np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0)
    x = np.where(np.isnan(x), np.nan_to_num(means, nan=0.5), x)
    arr = np.nan_to_num(decisions.arr, nan=np.nanmedian(decisions.arr))
    arr = np.where(arr > 0, arr, np.nanmedian(arr[arr > 0]) if (arr > 0).any() else 1.0)
    coef = fit_tnc(x, (~decisions.churned).astype(float), [(0.0, None)] * x.shape[1],
                   l2, sample_weight=arr)[1:]
    return coef * 100.0 / coef.sum() if coef.sum() > 0 else np.ones(x.shape[1])


def _bagged_search(config: Config, start: np.ndarray, names: list[str],
                   decisions: DecisionScores, objective: Objective, seed: int,
                   progress: Progress | None = None) -> np.ndarray:
    """Mean of the coordinate-search weights over ``BAGS`` bootstrap resamples (stratified
    by outcome) of the decisions: bagging steadies a search on a noisy, ARR-weighted
    objective. Each candidate is judged by :class:`objective_search.CandidateJudge` (the
    same key as :func:`_evaluate`, bit for bit, without building configs)."""
    draws = fitting.stratified_draws(decisions.churned, BAGS, seed)
    found = []
    for bag, draw in enumerate(draws):
        sample = decisions.subset(np.repeat(np.arange(decisions.n), draw.astype(int)))
        judge = objective_search.CandidateJudge(config, names, sample, objective)
        tick = None if progress is None else _bag_progress(progress, bag)
        w = objective_search.coordinate_search(judge, start, tick)
        found.append(np.asarray(w) / np.sum(w) * 100.0)
        if progress is not None:
            progress((bag + 1) / BAGS)
    return np.mean(found, axis=0)


def _bag_progress(progress: Progress, bag: int) -> Callable[[], None]:
    """A per-candidate tick for bag ``bag``: progress creeps towards the bag's end (the
    number of candidates is not known ahead) and the caller may stop the search by raising
    from ``progress``."""
    done = [0]

    def tick() -> None:
        done[0] += 1
        progress((bag + done[0] / (done[0] + 100)) / BAGS)

    return tick


# --------------------------------------------------------------------------- out of sample
def test_window_months(dates: np.ndarray, share: float = HOLDOUT_SHARE) -> int:
    """Smallest whole number of months whose latest decisions hold at least ``share`` of
    the dated decisions (an objective measured in churned ARR needs a test period with enough
    churn; the latest quarter alone usually has too little)."""
    d = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if d.empty:
        raise ValueError("no decision dates")
    for months in range(1, 121):
        if (d >= d.max() - pd.DateOffset(months=months)).mean() >= share:
            return months
    return 120


def holdout(decisions: DecisionScores, test_months: int | None = None,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """Fitting and test masks: a time split on decision dates (test = the latest
    ``test_months``; by default the fewest whole months holding 30% of the decisions), else
    a stratified random 30% holdout. Returns (train, test, label).

    The split is purged like :func:`calibration.fitting.time_split`: with judge dates, only
    decisions renewed before the first test decision was judged fit the suggestion, so
    nothing fitted could have been known when the test accounts were scored."""
    n = decisions.n
    dates = None if decisions.dates is None else pd.to_datetime(
        pd.Series(decisions.dates), errors="coerce")
    if dates is not None and dates.notna().any():
        if test_months is None:
            test_months = test_window_months(decisions.dates)
        cut = dates.max() - pd.DateOffset(months=test_months)
        known = dates.notna().to_numpy()
        test = known & (dates >= cut).to_numpy()
        fit_before = cut
        if decisions.judge_dates is not None and test.any():
            first_judged = pd.to_datetime(pd.Series(decisions.judge_dates))[test].min()
            if pd.notna(first_judged):
                fit_before = min(cut, first_judged)  # purge: no outcome the test could see
        train = known & (dates < fit_before).to_numpy()
        return train, test, (f"time split: fitted on decisions renewed before "
                             f"{fit_before.date()}, tested on those renewed in the "
                             f"{test_months} months from {cut.date()}")
    rng = np.random.default_rng(seed)
    test = np.zeros(n, dtype=bool)
    for cls in (decisions.churned, ~decisions.churned):
        idx = np.flatnonzero(cls)
        test[rng.choice(idx, round(idx.size * HOLDOUT_SHARE), replace=False)] = True
    return ~test, test, f"random holdout: {HOLDOUT_SHARE:.0%} of decisions (no renewal dates)"


@dataclass(frozen=True)
class OutOfSample:
    """A suggestion fitted on the older decisions and judged on the held-out ones."""

    label: str
    n_train: int
    n_test: int
    n_test_churned: int
    suggestion: ObjectiveSuggestion
    numbers: dict[str, Any]
    baseline_numbers: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    verdict: Verdict
    warnings: list[str]


def check_out_of_sample(config: Config, decisions: DecisionScores, objective: Objective, *,
                        test_months: int | None = None,
                        n_resamples: int = 1000, seed: int = 0,
                        progress: Progress | None = None) -> OutOfSample:
    """Fit weights and bands on the fitting period, judge them on the test period against
    ``config`` as it is, with paired bootstrap CIs of every CS metric and a verdict.
    ``progress`` gets the share done (0-1): the fit, then the bootstrap."""
    train, test, label = holdout(decisions, test_months, seed)
    c = decisions.churned
    for part, mask in (("fitting", train), ("test", test)):
        if c[mask].all() or not c[mask].any():
            raise ValueError(f"the {part} period ({int(mask.sum())} decisions) needs both "
                             "churned and renewed accounts")
    fitted = suggest_for(config, decisions.subset(train), objective, seed,
                         None if progress is None else lambda x: progress(0.8 * x))
    later = decisions.subset(test)
    base = later.score(config)
    arr = later.arr if later.has_arr else None
    warnings = []
    if fitted.config is None:
        raise ValueError("no bands meeting the rules on the fitting period: "
                         + "; ".join(fitted.flags))
    new = later.score(fitted.config)
    metrics = paired_cs_metrics(base.score, base.band, new.score, new.band, later.churned,
                                arr, n_resamples, seed, progress=None if progress is None
                                else lambda x: progress(0.8 + 0.2 * x))
    if int(later.churned.sum()) < fitting.MIN_TEST_CHURNED:
        warnings.append(f"only {int(later.churned.sum())} churned decisions in the test "
                        "period: the comparison is very uncertain")
    warnings += [f"test period: {f}" for f in band_flags(new.band, later.churned, objective)]
    return OutOfSample(label, int(train.sum()), int(test.sum()), int(later.churned.sum()),
                       fitted, cs_numbers(new.band, later.churned, arr, base.band),
                       cs_numbers(base.band, later.churned, arr), metrics,
                       judge(metrics, objective.kind, objective.by_arr), warnings)


def for_objective(objective: Objective, **changes: Any) -> Objective:
    """Copy of ``objective`` with fields changed (kind, shares)."""
    return replace(objective, **changes)
