"""How well a health score separates churned from renewed accounts.

Pure computation on numpy arrays (one row per account, judged point-in-time):

- ``score``: float 0-100, NaN for unscored accounts (excluded and counted),
- ``churned``: bool, True = churned, False = renewed (open accounts already removed),
- ``band``: int codes 0 red, 1 yellow, 2 green, -1 unscored,
- ``arr``: optional annual revenue per account (NaN = unknown, left out of ARR sums).

Direction: a *health* score should be high for accounts that renew, so AUC is
P(score of a renewed account > score of a churned account) + 0.5 P(tie).

Undefined results never raise and never return NaN. Every scalar metric is a dict
``{"value": ..., "reason": ...}``: ``reason`` is None when ``value`` is defined, else a short
explanation (one outcome class only, all scores equal, empty band...). Table rows use plain
fields with None plus a ``notes`` list. Everything returned is JSON-serialisable.

The code is split by concern: :mod:`~calibration.metrics.base` (constants, result dicts,
argument checks, grouped scores), :mod:`~calibration.metrics.separation` (AUC, ROC, KS,
correlations, logit), :mod:`~calibration.metrics.bands` (band table, surprise churn, alerts,
calibration bins), :mod:`~calibration.metrics.reference`, :mod:`~calibration.metrics.factors`,
:mod:`~calibration.metrics.resampling` (bootstrap) and :mod:`~calibration.metrics.evaluation`
(:func:`evaluate`, everything at once). This package exposes the public functions.
"""

from calibration.metrics.bands import (
    alert_precision_recall,
    band_table,
    calibration_table,
    surprise_churn,
    wilson_ci,
)
from calibration.metrics.base import (
    BAND_NAMES,
    GREEN,
    MIN_CHURNED,
    RED,
    UNSCORED,
    YELLOW,
    Result,
    too_few_churned_warning,
)
from calibration.metrics.evaluation import evaluate
from calibration.metrics.factors import DOUBLE_COUNTING_R, factor_signal
from calibration.metrics.reference import REFERENCE_LABELS, reference_agreement
from calibration.metrics.resampling import BOOTSTRAP_BIN_WIDTH, bootstrap
from calibration.metrics.separation import auc, correlations, ks, logit, roc_curve

__all__ = [
    "BAND_NAMES", "BOOTSTRAP_BIN_WIDTH", "DOUBLE_COUNTING_R", "GREEN", "MIN_CHURNED", "RED",
    "REFERENCE_LABELS", "UNSCORED", "YELLOW", "Result", "alert_precision_recall", "auc",
    "band_table", "bootstrap", "calibration_table", "correlations", "evaluate", "factor_signal",
    "ks", "logit", "reference_agreement", "roc_curve", "surprise_churn",
    "too_few_churned_warning", "wilson_ci",
]
