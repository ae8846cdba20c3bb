"""Honest checks of a weight suggestion: stratified k-fold cross-validation and the purged
time split (fit on earlier renewals, test on the latest)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from calibration import metrics
from calibration.config import Config
from calibration.fitting.paired_bootstrap import paired_auc_bootstrap
from calibration.fitting.points import _auc, _churned, _points, _score, _weight_vector, group_index
from calibration.fitting.weight_suggestions import Method, suggest
from calibration.scoring import FactorMatrix

DEFAULT_TEST_MONTHS = 6
"""Time-split test window: the latest two quarters of renewals. One quarter usually holds too
few churned renewals to judge (30 on the demo data, where its CI could not tell a real
improvement from noise)."""

OVERFIT_GAP = 0.05
"""In-sample minus out-of-sample AUC above this is reported as overfitting."""
MIN_TEST_CHURNED = metrics.MIN_CHURNED


def _folds(c: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Stratified fold number per row: each outcome shuffled and dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold = np.empty(c.shape[0], dtype=int)
    offset = 0
    for cls in (c, ~c):
        idx = rng.permutation(np.flatnonzero(cls))
        fold[idx] = (np.arange(idx.size) + offset) % k
        offset += idx.size
    return fold


def _baseline_scores(baseline: Mapping[str, float] | ArrayLike | None, p: np.ndarray,
                     names: list[str], group_of: np.ndarray) -> np.ndarray | None:
    """Scores of the current config: given directly, or from its flat weights."""
    if baseline is None:
        return None
    if isinstance(baseline, Mapping):
        return _score(p, _weight_vector(baseline, names), group_of)
    s = np.asarray(baseline, dtype=float)
    if s.shape != (p.shape[0],):
        raise ValueError(f"baseline scores need one value per row ({p.shape[0]}), "
                         f"got shape {s.shape}")
    return s


def cross_validate(points: ArrayLike | FactorMatrix, churned: ArrayLike, method: Method = "auc",
                   k: int = 5, seed: int = 0, *, names: Sequence[str] | None = None,
                   baseline: Mapping[str, float] | ArrayLike | None = None,
                   groups: Sequence[Any] | np.ndarray | Config | None = None,
                   **options: Any) -> dict[str, Any]:
    """Stratified k-fold check of a weight suggestion: fit on k-1 folds, AUC on the held-out.

    Returns in-sample (fitting folds) and out-of-sample (held-out fold) AUC per fold and their
    means; with ``baseline`` (current flat weights or scores) also its AUC on each held-out
    fold. Warns when in-sample minus out-of-sample mean AUC exceeds 0.05 (overfitting).
    """
    p, names = _points(points, names)
    c = _churned(churned, p.shape[0])
    if not (isinstance(k, int) and k >= 2):
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    if c.sum() < k or (~c).sum() < k:
        raise ValueError(f"need at least {k} churned and {k} renewed accounts for {k} folds")
    group_of = group_index(groups, p.shape[1])
    base = _baseline_scores(baseline, p, names, group_of)
    fold = _folds(c, k, seed)
    rows = []
    for f in range(k):
        train, test = fold != f, fold == f
        fit = suggest(p[train], c[train], names, method, groups=groups, **options)
        score = _score(p[test], np.array([fit.weights[n] for n in names]) / 100.0, group_of)
        row = {"fold": f, "n_test": int(test.sum()), "n_test_churned": int(c[test].sum()),
               "in_sample_auc": fit.auc, "out_of_sample_auc": _auc(score, c[test])}
        if base is not None:
            row["baseline_auc"] = _auc(base[test], c[test])
        rows.append(row)
    out: dict[str, Any] = {"method": method, "k": k, "seed": seed, "folds": rows}
    for key in ("in_sample_auc", "out_of_sample_auc", "baseline_auc"):
        vals = [r[key] for r in rows if r.get(key) is not None]
        out[key] = float(np.mean(vals)) if vals else None
    out["warnings"] = []
    if out["in_sample_auc"] is not None and out["out_of_sample_auc"] is not None:
        gap = out["in_sample_auc"] - out["out_of_sample_auc"]
        out["gap"] = gap
        if gap > OVERFIT_GAP:
            out["warnings"].append(f"overfitting: in-sample AUC is {gap:.3f} above "
                                   "out-of-sample")
    return out


def time_split(points: ArrayLike | FactorMatrix, churned: ArrayLike, decision_dates: ArrayLike,
               test_from: Any = None, method: Method = "auc", *,
               test_months: int = DEFAULT_TEST_MONTHS,
               judge_dates: ArrayLike | None = None,
               names: Sequence[str] | None = None,
               baseline: Mapping[str, float] | ArrayLike | None = None,
               groups: Sequence[Any] | np.ndarray | Config | None = None,
               n_resamples: int = 1000, seed: int = 0, **options: Any) -> dict[str, Any]:
    """Fit on earlier renewals, test on the latest ones: the most honest check.

    Rows decided before ``test_from`` (default: the latest renewal date minus ``test_months``
    months, i.e. the latest two quarters are the test set) fit
    the suggestion; later ones test it. Reports the suggestion's AUC on the fitting and test
    rows, the current config's (``baseline``: flat weights or scores) test AUC and a paired
    bootstrap CI of the test AUC difference (suggestion - baseline). Warns on overfitting
    (fitting minus test AUC > 0.05) and on fewer than 20 churned test accounts.

    With ``judge_dates`` (each decision's renewal date - horizon) the split is purged: the
    test decisions were judged on snapshots from ``first_test_judge_date`` on, so only
    decisions renewed *before* that date fit the weights (``train_before``); decisions in the
    gap are used by neither side (``n_purged``). Without it, fitting uses every decision
    renewed before ``test_from``.
    """
    p, names = _points(points, names)
    c = np.asarray(churned, dtype=bool)
    if c.shape != (p.shape[0],):
        raise ValueError(f"churned must have one flag per row ({p.shape[0]})")
    dates = pd.to_datetime(pd.Series(np.asarray(decision_dates)), errors="coerce")
    if dates.shape[0] != p.shape[0]:
        raise ValueError(f"decision_dates must have one date per row ({p.shape[0]})")
    if dates.isna().all():
        raise ValueError("no decision (renewal) dates: a time split needs dated renewals")
    if not (isinstance(test_months, int) and test_months >= 1):
        raise ValueError(f"test_months must be a whole number >= 1, got {test_months!r}")
    cut = (dates.max() - pd.DateOffset(months=test_months)) if test_from is None else (
        pd.Timestamp(test_from))
    known = dates.notna().to_numpy()
    test = known & (dates >= cut).to_numpy()
    train_before = cut
    if judge_dates is not None and test.any():
        judged_at = pd.to_datetime(pd.Series(np.asarray(judge_dates)), errors="coerce")
        if judged_at.shape[0] != p.shape[0]:
            raise ValueError(f"judge_dates must have one date per row ({p.shape[0]})")
        first_judge = judged_at[test].min()
        if pd.notna(first_judge):
            train_before = min(cut, first_judge)
    train = known & (dates < train_before).to_numpy()
    group_of = group_index(groups, p.shape[1])
    base = _baseline_scores(baseline, p, names, group_of)
    out: dict[str, Any] = {
        "method": method, "test_from": str(cut.date()),
        "train_before": str(train_before.date()),
        "n_purged": int((known & ~train & ~test).sum()), "n_train": int(train.sum()),
        "n_train_churned": int(c[train].sum()), "n_test": int(test.sum()),
        "n_test_churned": int(c[test].sum()), "n_undated": int((~known).sum()), "warnings": [],
    }
    for part, mask in (("fitting", train), ("test", test)):
        if c[mask].all() or not c[mask].any():
            raise ValueError(f"the {part} period ({int(mask.sum())} renewals) needs both "
                             f"churned and renewed accounts; choose another test_from")
    fit = suggest(p[train], c[train], names, method, groups=groups, **options)
    w = np.array([fit.weights[n] for n in names]) / 100.0
    test_score = _score(p[test], w, group_of)
    out.update(weights=fit.weights, train_auc=fit.auc, test_auc=_auc(test_score, c[test]),
               notes=fit.notes)
    if base is not None:
        out["baseline_train_auc"] = _auc(base[train], c[train])
        boot = paired_auc_bootstrap(base[test], test_score, c[test], n_resamples, seed)
        out.update(baseline_test_auc=boot["auc_a"], diff=boot["diff"], ci=boot["ci"],
                   real=boot["real"])
        out["verdict"] = _verdict(boot)
    if out["train_auc"] is not None and out["test_auc"] is not None:
        gap = out["train_auc"] - out["test_auc"]
        if gap > OVERFIT_GAP:
            out["warnings"].append(f"overfitting: AUC drops by {gap:.3f} from the fitting "
                                   "period to the test period")
    if out["n_test_churned"] < MIN_TEST_CHURNED:
        out["warnings"].append(f"only {out['n_test_churned']} churned accounts in the test "
                               "period: the comparison is very uncertain")
    return out


def _verdict(boot: dict[str, Any]) -> str:
    """Plain-words verdict on a paired AUC difference (b - a)."""
    if boot.get("ci") is None:
        return f"no verdict: {boot.get('reason')}"
    lo, hi = boot["ci"]
    ci = f"AUC difference {boot['diff']:+.3f}, 95% CI {lo:+.3f} to {hi:+.3f}"
    if lo > 0:
        return f"improvement is real ({ci})"
    if hi < 0:
        return f"the new weights are worse ({ci})"
    return f"no real difference: the CI includes 0 ({ci})"
