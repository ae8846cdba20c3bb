"""Validation results in words (calibration.evidence_words) and metric help (glossary)."""

from __future__ import annotations

import pytest

from calibration import evidence_words, glossary


def test_logit_sentence():
    good = {"value": 0.79, "ci": [0.75, 0.82], "p_value": 1e-5, "reason": None}
    assert evidence_words.logit_sentence(good) == (
        "Each 10 extra points cut the odds of churning by 21% (95% CI 18% to 25%); "
        "p < 0.001: very unlikely to be chance.")
    bad = {"value": 1.2, "ci": [0.9, 1.5], "p_value": 0.2, "reason": None}
    assert evidence_words.logit_sentence(bad) == (
        "Each 10 extra points raise the odds of churning by 20%: the score points the wrong "
        "way (95% CI -10% to 50%); p = 0.20: could well be chance.")
    assert evidence_words.logit_sentence({"value": None, "reason": "perfect separation"}) == (
        "Not available: perfect separation.")


def test_ks_sentence():
    ks = {"value": 0.25, "at_score": 45.0, "churned_lower": True, "reason": None}
    assert evidence_words.ks_sentence(ks) == (
        "The score distributions of churned and renewed accounts are furthest apart (25% of "
        "accounts) at a score of 45.0; churned accounts sit below it.")
    assert evidence_words.ks_sentence({"value": None, "reason": "all scores are equal"}).startswith(
        "Not available")


def factor_evidence():
    def one(name, auc, r, missing, monotone):
        return {"factor": name, "auc": {"value": auc}, "point_biserial_r": {"value": r},
                "missing_rate": missing, "calibration": {"monotone": {"value": monotone}}}

    return {"value": 3, "reason": None, "factors": [
        one("Usage", 0.7, 0.3, 0.0, True), one("Logins", 0.68, 0.28, 0.1, False),
        one("NPS", 0.6, 0.1, 0.5, None)],
        "double_counting": [{"a": "Usage", "b": "Logins", "r": 0.91}]}


def test_factor_signal_rows():
    rows = evidence_words.factor_signal_rows(factor_evidence(), {"Usage": 60.0, "NPS": 40.0})
    assert rows[0] == {"Factor": "Usage", "Weight": 60.0, "AUC alone": 0.7,
                       "Correlation": 0.3, "Missing": 0.0, "Churn falls steadily": "yes",
                       "Double counts with": "Logins"}
    assert rows[1]["Weight"] == 0.0 and rows[1]["Churn falls steadily"] == "no"
    assert rows[2]["Churn falls steadily"] == "n/a" and rows[2]["Double counts with"] == ""
    assert evidence_words.not_monotone(factor_evidence()) == ["Logins"]
    assert evidence_words.double_counting_sentences(factor_evidence()) == [
        "Usage and Logins move together (r = 0.91): together they count the same signal "
        "twice."]
    assert evidence_words.factor_signal_rows({"value": None, "reason": "x"}, {}) == []


def test_pick_evidence():
    evidence = {"auc": 1, "segments": {"SMB": {"auc": 2}}}
    assert evidence_words.pick_evidence(evidence, evidence_words.ALL_ACCOUNTS) is evidence
    assert evidence_words.pick_evidence(evidence, "SMB") == {"auc": 2}
    with pytest.raises(KeyError):
        evidence_words.pick_evidence(evidence, "Enterprise")


def test_lead_time_sentence():
    lead = {"median_days": 45.0, "p25_days": 20.0, "p75_days": 90.0, "n_never_red": 3,
            "n_with_history": 10, "lookback_days": 365}
    assert evidence_words.lead_time_sentence(lead) == (
        "Half of the churned accounts that turned red did so at least 45 days before "
        "churning (middle half: 20-90 days). 3 of 10 churned accounts with history were "
        "never red in the 365 days before churn.")
    assert evidence_words.lead_time_sentence({"median_days": None, "reason": "no history"}) == (
        "Not available: no history")


def test_help_text_covers_every_key_the_pages_use():
    for key in ("auc", "auc_ci", "arr_weighted", "ks", "logit", "reference", "factor_r",
                "factor_missing", "factor_monotone", "common_traits", "lead_time"):
        assert glossary.help_text(key)
