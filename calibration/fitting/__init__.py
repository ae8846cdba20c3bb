"""Suggest weights and band cut-offs from renewal outcomes, and check them honestly.

Everything here works on the point-in-time judged rows (:func:`calibration.validation.
judged_rows`): an N x K matrix of factor points (0-100, NaN = missing) and churn flags. Weights
are *flat* percentages of the whole score (summing to 100), the way a CS leader reads them;
:func:`calibration.weights.apply_flat_weights` writes them back into the config's group
hierarchy.

Scoring a points matrix with flat weights (:func:`score_points`) follows the scorer: missing
factors are left out per row and the remaining weights renormalised, first within each group
(when ``groups`` are given), then across groups. Guardrails and segment overrides are not
applied here; :mod:`calibration.compare` scores full configs.

Pure computation (numpy, scipy, statsmodels); never imports streamlit.

The code is split by concern: :mod:`~calibration.fitting.points` (scoring points with flat
weights, input checks, rounding), :mod:`~calibration.fitting.weight_suggestions`,
:mod:`~calibration.fitting.band_suggestions`, :mod:`~calibration.fitting.factor_cutoffs`,
:mod:`~calibration.fitting.stability`, :mod:`~calibration.fitting.paired_bootstrap` and
:mod:`~calibration.fitting.out_of_sample` (cross-validation, time split). This package exposes
the public names.
"""

from calibration.fitting.band_suggestions import (
    BandSuggestion,
    band_warnings,
    churn_curve,
    suggest_bands,
)
from calibration.fitting.factor_cutoffs import FactorCutoffs, suggest_factor_cutoffs
from calibration.fitting.out_of_sample import (
    DEFAULT_TEST_MONTHS,
    MIN_TEST_CHURNED,
    cross_validate,
    time_split,
)
from calibration.fitting.paired_bootstrap import paired_auc_bootstrap, stratified_draws
from calibration.fitting.points import group_index, score_points
from calibration.fitting.stability import weight_stability
from calibration.fitting.weight_suggestions import (
    WeightSuggestion,
    suggest,
    suggest_auc,
    suggest_logit,
)
from calibration.weights import flat_weights

__all__ = [
    "DEFAULT_TEST_MONTHS",
    "MIN_TEST_CHURNED",
    "BandSuggestion",
    "FactorCutoffs",
    "WeightSuggestion",
    "band_warnings",
    "churn_curve",
    "cross_validate",
    "flat_weights",
    "group_index",
    "paired_auc_bootstrap",
    "score_points",
    "stratified_draws",
    "suggest",
    "suggest_auc",
    "suggest_bands",
    "suggest_factor_cutoffs",
    "suggest_logit",
    "time_split",
    "weight_stability",
]
