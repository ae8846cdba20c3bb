"""Validation results in words: the evidence of one segment, sentences on the logistic
regression, KS and early warning, factor signal rows, double counting and factors whose
churn does not fall steadily.

Pure computation (no streamlit); every function returns JSON-able values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALL_ACCOUNTS = "All accounts"


def pick_evidence(evidence: Mapping[str, Any], segment: str) -> Mapping[str, Any]:
    """The overall evidence (``segment`` == :data:`ALL_ACCOUNTS`) or one segment's."""
    if segment == ALL_ACCOUNTS:
        return evidence
    segments = evidence.get("segments") or {}
    if segment not in segments:
        raise KeyError(f"no evidence for segment {segment!r}")
    return segments[segment]


def _p_words(p: float | None) -> str:
    """A p-value in words."""
    if p is None:
        return ""
    if p < 0.001:
        return "p < 0.001: very unlikely to be chance"
    if p < 0.05:
        return f"p = {p:.3f}: unlikely to be chance"
    return f"p = {p:.2f}: could well be chance"


def logit_sentence(logit: Mapping[str, Any]) -> str:
    """The logistic regression of churn on score in plain words."""
    value = logit.get("value")
    if value is None:
        return f"Not available: {logit.get('reason') or 'not computed'}."
    lo, hi = logit.get("ci") or (None, None)
    ci = ""
    if value <= 1:
        text = f"Each 10 extra points cut the odds of churning by {1 - value:.0%}"
        if lo is not None and hi is not None:
            ci = f" (95% CI {1 - hi:.0%} to {1 - lo:.0%})"
    else:
        text = (f"Each 10 extra points raise the odds of churning by {value - 1:.0%}: "
                "the score points the wrong way")
        if lo is not None and hi is not None:
            ci = f" (95% CI {lo - 1:.0%} to {hi - 1:.0%})"
    p = _p_words(logit.get("p_value"))
    return f"{text}{ci}" + (f"; {p}." if p else ".")


def ks_sentence(ks: Mapping[str, Any]) -> str:
    """The KS statistic in plain words."""
    if ks.get("value") is None:
        return f"Not available: {ks.get('reason') or 'not computed'}."
    where = ks.get("at_score")
    side = ("churned accounts sit below it" if ks.get("churned_lower")
            else "renewed accounts sit below it (the wrong way round)")
    return (f"The score distributions of churned and renewed accounts are furthest apart "
            f"({ks['value']:.0%} of accounts) at a score of {where:.1f}; {side}.")


def _yes_no(flag: Any) -> str:
    return "n/a" if flag is None else ("yes" if flag else "no")


def factor_signal_rows(factors: Mapping[str, Any], weights: Mapping[str, float]
                       ) -> list[dict[str, Any]]:
    """Per-factor signal as display rows.

    Parameters
    ----------
    factors : mapping
        The ``factors`` result of :func:`calibration.metrics.evaluate`.
    weights : mapping
        Factor name -> weight in percent (e.g. :func:`calibration.weights.flat_weights`).

    Returns
    -------
    list of dict
        ``Factor``, ``Weight`` (percent), ``AUC alone``, ``Correlation``, ``Missing`` (share),
        ``Churn falls steadily`` (yes / no / n/a) and ``Double counts with`` (names).
    """
    if factors.get("value") is None:
        return []
    partners: dict[str, list[str]] = {}
    for pair in factors.get("double_counting", []):
        partners.setdefault(pair["a"], []).append(pair["b"])
        partners.setdefault(pair["b"], []).append(pair["a"])
    rows = []
    for f in factors["factors"]:
        monotone = (f.get("calibration") or {}).get("monotone") or {}
        rows.append({
            "Factor": f["factor"], "Weight": float(weights.get(f["factor"], 0.0)),
            "AUC alone": f["auc"]["value"], "Correlation": f["point_biserial_r"]["value"],
            "Missing": f["missing_rate"],
            "Churn falls steadily": ("roughly (bumps within noise)" if monotone.get("noise_only")
                                     else _yes_no(monotone.get("value"))),
            "Double counts with": ", ".join(partners.get(f["factor"], [])),
        })
    return rows


def double_counting_sentences(factors: Mapping[str, Any]) -> list[str]:
    """One sentence per pair of factors with |r| above the double-counting threshold."""
    return [f"{p['a']} and {p['b']} move together (r = {p['r']:.2f}): together they count "
            "the same signal twice." if p["r"] > 0 else
            f"{p['a']} and {p['b']} cancel each other out (r = {p['r']:.2f} with the directions "
            "configured): when one gives points the other takes them away; check the "
            "directions." for p in factors.get("double_counting", [])]


def not_monotone(factors: Mapping[str, Any]) -> list[str]:
    """Factors whose churn rate clearly (beyond the 95% CIs) does not fall as their points
    rise."""
    if factors.get("value") is None:
        return []
    out = []
    for f in factors["factors"]:
        monotone = (f.get("calibration") or {}).get("monotone") or {}
        if monotone.get("value") is False and not monotone.get("noise_only"):
            out.append(f["factor"])
    return out


def lead_time_sentence(lead: Mapping[str, Any]) -> str:
    """Early-warning lead time in plain words."""
    if lead.get("median_days") is None:
        return f"Not available: {lead.get('reason') or 'not computed'}"
    return (f"Half of the churned accounts that turned red did so at least "
            f"{lead['median_days']:.0f} days before churning (middle half: "
            f"{lead['p25_days']:.0f}-{lead['p75_days']:.0f} days). "
            f"{lead['n_never_red']:,} of {lead['n_with_history']:,} churned accounts with "
            f"history were never red in the {lead['lookback_days']} days before churn.")
