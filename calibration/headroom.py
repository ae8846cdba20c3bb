"""How much ranking signal is left on the table: the draft beside the best models.

Three references, all judged on decisions they were not fitted on:

- **weights only**: the AUC-search weights on the current point rules
  (:func:`calibration.fitting.suggest_auc`);
- **fitted curves**: every factor's points curve and all weights fitted together
  (:mod:`calibration.curves`), i.e. the best additive points table; the binned logistic
  regression behind it is reported too (the points table ranks accounts as it does, up to
  rounding of the points);
- **gradient boosting** (scikit-learn ``HistGradientBoostingClassifier``): not a points
  table, free to combine factors; the ceiling of what these columns can tell.

"Your score captures N% of the ranking signal" = (draft AUC - 0.5) / (best AUC - 0.5): 0.5 is
a coin flip, so this is the share of the best model's lift over guessing that the draft
already has. Near 100%: stop tuning and find new data; far below: the points curves or the
weights are leaving signal behind. Takes plain arrays; never imports streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from calibration import fitting
from calibration.config import Config
from calibration.curves import Kind, curve_points, fit_curves

MODELS = ("draft", "weights_only", "fitted_curves", "binned_logistic", "gradient_boosting")
MODEL_LABELS = {
    "draft": "Your draft", "weights_only": "Suggested weights (current curves)",
    "fitted_curves": "Fitted curves + weights (points table)",
    "binned_logistic": "Binned logistic regression (best additive)",
    "gradient_boosting": "Gradient boosting (not a points table)",
}


def _auc(score: np.ndarray, churned: np.ndarray) -> float | None:
    """Renewal AUC of any real-valued score (higher = healthier), ties counted half."""
    from scipy.stats import rankdata

    s = np.asarray(score, dtype=float)
    keep = np.isfinite(s)
    s, c = s[keep], np.asarray(churned, bool)[keep]
    n1, n0 = int((~c).sum()), int(c.sum())
    if n1 == 0 or n0 == 0:
        return None
    ranks = rankdata(s)
    return float((ranks[~c].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _features(values: dict[str, tuple[Kind, np.ndarray]]) -> tuple[np.ndarray, list[bool]]:
    """Raw columns for gradient boosting: numbers as they are (NaN kept: the model learns
    what missing means), categories as integer codes marked categorical."""
    cols, categorical = [], []
    for kind, raw in values.values():
        if kind == "category":
            codes = np.full(len(raw), np.nan)
            known = np.array([v is not None for v in raw])
            if known.any():
                _, inverse = np.unique(np.asarray(raw[known], dtype=str), return_inverse=True)
                codes[known] = inverse
            cols.append(codes)
            categorical.append(True)
        else:
            cols.append(np.asarray(raw, dtype=float))
            categorical.append(False)
    return np.column_stack(cols), categorical


def gradient_boosting_scores(values: dict[str, tuple[Kind, np.ndarray]], churned: np.ndarray,
                             train: np.ndarray, test: np.ndarray, seed: int = 0
                             ) -> np.ndarray:
    """Renewal probability on ``test`` from a HistGradientBoostingClassifier fitted on
    ``train`` (early stopping on a 10% validation slice of the fitting rows)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, categorical = _features(values)
    n_categories = [int(np.nanmax(x[:, j])) + 1 if categorical[j] and np.isfinite(x[:, j]).any()
                    else 0 for j in range(x.shape[1])]
    model = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=500, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=True, validation_fraction=0.1,
        n_iter_no_change=20, random_state=seed,
        categorical_features=[j for j, flag in enumerate(categorical) if flag and
                              n_categories[j] > 0] or None)
    y = (~np.asarray(churned, bool)).astype(int)
    model.fit(x[train], y[train])
    return model.predict_proba(x[test])[:, 1]


@dataclass(frozen=True)
class SplitResult:
    """Held-out AUC of every model on one fitting/test split."""

    auc: dict[str, float | None]
    n_train: int
    n_test: int
    n_test_churned: int
    curve_fit: Any  # the CurveFit fitted on the fitting rows
    test_scores: dict[str, np.ndarray]


def compare_on_split(values: dict[str, tuple[Kind, np.ndarray]], points: np.ndarray,
                     churned: np.ndarray, draft_score: np.ndarray, config: Config,
                     train: np.ndarray, test: np.ndarray, *, seed: int = 0,
                     models: tuple[str, ...] = MODELS,
                     progress: Callable[[float], None] | None = None) -> SplitResult:
    """Fit every model on ``train`` and score ``test`` (same rows for all).

    ``points``: the scorer's factor points under the current rules; ``draft_score``: the
    draft's scores (nothing is fitted for it); ``progress``: passed to :func:`fit_curves`.
    """
    c = np.asarray(churned, dtype=bool)
    names = config.factor_names
    sub = {n: (k, v[train]) for n, (k, v) in values.items()}
    later = {n: (k, v[test]) for n, (k, v) in values.items()}
    scores: dict[str, np.ndarray] = {"draft": np.asarray(draft_score, float)[test]}
    fit = None
    if "weights_only" in models:
        weights = fitting.suggest_auc(points[train], c[train], names, groups=config,
                                      seed=seed).weights
        scores["weights_only"] = fitting.score_points(points[test], weights, config, names)
    if {"fitted_curves", "binned_logistic"} & set(models):
        fit = fit_curves(sub, c[train], seed=seed, current={f.name: f.rule
                                                            for f in config.factors},
                         progress=progress)
        new_points = curve_points(fit, later, config)
        w = np.array([fit.weights[n] for n in names])
        scores["fitted_curves"] = new_points @ w / w.sum()
        scores["binned_logistic"] = fit.log_odds(later)
    if "gradient_boosting" in models:
        scores["gradient_boosting"] = gradient_boosting_scores(values, c, train, test, seed)
    auc = {m: _auc(scores[m], c[test]) for m in models if m in scores}
    return SplitResult(auc, int(train.sum()), int(test.sum()), int(c[test].sum()), fit,
                       scores)


def headroom(values: dict[str, tuple[Kind, np.ndarray]], points: np.ndarray,
             churned: np.ndarray, draft_score: np.ndarray, config: Config, *,
             folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Cross-validated AUC of every model (mean over ``folds`` stratified folds; the draft
    on the same held-out folds) and the share of the ranking signal the draft captures."""
    c = np.asarray(churned, dtype=bool)
    if c.sum() < folds or (~c).sum() < folds:
        raise ValueError(f"need at least {folds} churned and {folds} renewed decisions")
    fold = fitting.out_of_sample._folds(c, folds, seed)
    per_fold = []
    for f in range(folds):
        result = compare_on_split(values, points, c, draft_score, config, fold != f,
                                  fold == f, seed=seed)
        per_fold.append(result.auc)
    mean = {m: float(np.mean([a[m] for a in per_fold if a.get(m) is not None]))
            for m in MODELS}
    best_model = max(("binned_logistic", "gradient_boosting", "fitted_curves"),
                     key=lambda m: mean[m])
    best = mean[best_model]
    captured = None if best <= 0.5 else (mean["draft"] - 0.5) / (best - 0.5)
    additive = None if best <= 0.5 else (mean["binned_logistic"] - 0.5) / (best - 0.5)
    return {"folds": folds, "seed": seed, "auc": mean, "per_fold": per_fold,
            "best_model": best_model, "captured": captured,
            "additive_captures": additive, "sentence": _sentence(captured, best_model,
                                                                 additive)}


def _sentence(captured: float | None, best_model: str, additive: float | None) -> str:
    if captured is None:
        return "no model ranks these decisions better than a coin flip: find new data"
    text = (f"your score captures {max(captured, 0):.0%} of the ranking signal the best model "
            f"({MODEL_LABELS[best_model].lower()}) finds in this data")
    if captured >= 0.9:
        return text + ": little is left to tune; new data (factors) would help more"
    if additive is not None and additive >= 0.9:
        return text + ": a points table can get most of the rest (take the fitted curves)"
    return text + ": even the best points table leaves signal that only interactions find"


def curve_check(values: dict[str, tuple[Kind, np.ndarray]], points: np.ndarray,
                churned: np.ndarray, draft_score: np.ndarray, config: Config,
                train: np.ndarray | None, test: np.ndarray | None, *, folds: int = 5,
                seed: int = 0, n_resamples: int = 1000,
                progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Out-of-sample check of the fitted curves before they are offered.

    ``folds``-fold cross-validation (curves refitted on each fitting part) and, when a
    ``train``/``test`` split is given, the same split for every model with a paired bootstrap
    CI of the AUC gain over the draft. ``offer`` is True when the split's CI lies above 0 (or,
    without a split, when the cross-validated AUC beats the draft's). ``progress`` gets the
    share of the refits done (it may raise to stop the check).
    """
    c = np.asarray(churned, dtype=bool)
    models = ("draft", "weights_only", "fitted_curves", "binned_logistic")
    fold = fitting.out_of_sample._folds(c, folds, seed)
    parts = folds + 1

    def part(i: int) -> Callable[[float], None] | None:
        if progress is None:
            return None
        return lambda share: progress((i + share) / parts)

    per_fold = [compare_on_split(values, points, c, draft_score, config, fold != f, fold == f,
                                 seed=seed, models=("draft", "fitted_curves"),
                                 progress=part(f)).auc
                for f in range(folds)]
    kfold = {m: float(np.mean([a[m] for a in per_fold])) for m in ("draft", "fitted_curves")}
    out: dict[str, Any] = {"folds": folds, "kfold": kfold, "split": None}
    if train is not None and test is not None and train.any() and test.any():
        split = compare_on_split(values, points, c, draft_score, config, train, test,
                                 seed=seed, models=models, progress=part(folds))
        boot = fitting.paired_auc_bootstrap(
            split.test_scores["draft"], _unit(split.test_scores["fitted_curves"]), c[test],
            n_resamples, seed)
        out["split"] = {"auc": split.auc, "n_train": split.n_train, "n_test": split.n_test,
                        "n_test_churned": split.n_test_churned, "diff": boot["diff"],
                        "ci": boot["ci"], "real": boot["real"]}
        out["offer"] = bool(boot["ci"] is not None and boot["ci"][0] > 0)
    else:
        out["offer"] = kfold["fitted_curves"] > kfold["draft"]
    return out


def _unit(score: np.ndarray) -> np.ndarray:
    """Clip to 0-100 (fitted-curve scores already are; guards rounding)."""
    return np.clip(np.asarray(score, float), 0.0, 100.0)
