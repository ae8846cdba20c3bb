"""The report's executive part: a one-paragraph summary, the CS outcomes against the baseline,
and the statistics behind them, each explained in a sentence.

Numbers come from :mod:`calibration.outcomes` (the same the app shows) and are formatted by
:mod:`calibration.formatting`; every value is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calibration import formatting, outcomes
from calibration.config import Config
from calibration.glossary import HELP
from calibration.html_parts import _card, _ci, _int, _metric, e

# (label, evidence key, format, plain explanation) for the statistics behind the outcomes
STATISTICS = (
    ("AUC", "auc", "{:.3f}", HELP["auc"]),
    ("Gini", "gini", "{:.3f}", HELP["gini"]),
    ("KS", "ks", "{:.3f}", HELP["ks"]),
    ("Correlation with renewal", "point_biserial_r", "{:.3f}", HELP["point_biserial_r"]),
    ("Churn odds per +10 points", "logit", "{:.2f}x", HELP["logit"]),
    ("Red vs green lift", "lift", "{:.2f}x", HELP["lift"]),
)


def _when(ev: Mapping[str, Any]) -> tuple[int | None, bool]:
    return ev.get("horizon_days"), bool(ev.get("cross_sectional"))


def draft_section(config: Config) -> str:
    """Who made this config and why: name, author, notes."""
    bits = [f"<b>{e(config.name)}</b>"]
    if config.author:
        bits.append(f"by {e(config.author)}")
    if config.created_at:
        bits.append(e(config.created_at))
    parts = [f'<p class="sub">Configuration {" &middot; ".join(bits)}</p>']
    if config.notes:
        parts.append(f'<p class="notes">{e(config.notes)}</p>')
    return "\n".join(parts)


def summary_section(ev: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """The paragraph an executive reads first."""
    if not ev.get("bands"):
        return ""
    horizon, cross = _when(ev)
    name = (baseline or {}).get("name") or "the baseline"
    text = outcomes.summary_sentence(ev, baseline, horizon, cross, f"“{name}”")
    return f'<p class="summary">{e(text)}</p>' if text else ""


def _delta_html(outcome: outcomes.Outcome, now: Any, before: Any) -> str:
    change = formatting.delta(now, before, outcome.kind)
    if change is None:
        return "no change vs baseline" if before is not None and now is not None else ""
    better = (change.startswith("-")) == outcome.lower_is_better
    return f'<span class="{"good" if better else "bad"}">{e(change)}</span> vs baseline'


def outcomes_section(ev: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """The CS outcomes as cards: value, change against the baseline, what it means."""
    if not ev.get("bands"):
        return ""
    horizon, cross = _when(ev)
    now = outcomes.cs_outcomes(ev)
    before = outcomes.cs_outcomes(baseline) if isinstance(baseline, Mapping) and baseline.get(
        "bands") else {}
    cards = []
    for outcome in outcomes.outcome_list(horizon, cross):
        result = now[outcome.key]
        value = formatting.fmt(result["value"], outcome.kind)
        value_html = e(value) if result["value"] is not None else (
            f'<span class="muted">n/a</span> <span class="small muted">'
            f"({e(result['reason'])})</span>")
        notes = []
        prior = before.get(outcome.key, {}).get("value")
        if delta := _delta_html(outcome, result["value"], prior):
            notes.append(delta)
        if result.get("ci"):
            notes.append(f"likely range {e(formatting.likely_range(result['ci'], 'percent'))}")
        notes.append(e(outcome.help))
        cards.append(_card(outcome.label, value_html, "<br>".join(notes)))
    if known := _reference_card(ev, baseline):
        cards.append(known)
    counts = (f"Judged {_int(ev.get('n_scored'))} renewal decisions: "
              f"{_int(ev.get('n_churned'))} churned, {_int(ev.get('n_renewed'))} renewed")
    if ev.get("n_unscored"):
        counts += f"; {_int(ev.get('n_unscored'))} could not be scored"
    return ("<h2>What the score would have caught</h2>"
            f"<p>{counts}.</p>" + f'<div class="cards">{"".join(cards)}</div>')


def _reference_card(ev: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    """Known accounts in the right band (data labels and the team's tags), with its change
    against the baseline; '' when no scored account is labelled or tagged."""
    ref = ev.get("reference") if isinstance(ev.get("reference"), Mapping) else {}
    words = outcomes.reference_words(ref)
    if words is None:
        return ""
    before = (baseline or {}).get("reference") if isinstance(baseline, Mapping) else None
    prior = before.get("value") if isinstance(before, Mapping) else None
    label = outcomes.Outcome("reference", outcomes.REFERENCE_LABEL, "percent", False,
                             outcomes.REFERENCE_HELP)
    notes = [delta] if (delta := _delta_html(label, ref["value"], prior)) else []
    notes += [e(words), e(outcomes.REFERENCE_HELP)]
    return _card(label.label, e(formatting.percent(ref["value"])), "<br>".join(notes))


def statistics_section(ev: Mapping[str, Any]) -> str:
    """The statistics behind the outcomes, each with one plain sentence."""
    ks = ev.get("ks") if isinstance(ev.get("ks"), Mapping) else {}
    cards = []
    for label, key, fmt, explanation in STATISTICS:
        note = e(explanation)
        if key == "auc" and (ci := _ci(ev.get("auc_ci"))):
            note = ci.replace("95% CI", "likely range") + "<br>" + note
        if key == "ks" and ks.get("at_score") is not None:
            note = f"widest at score {_metric(ks.get('at_score'), '{:.1f}')}<br>" + note
        cards.append(_card(label, _metric(ev.get(key), fmt), note))
    parts = ["<h2>Advanced statistics: how well the score ranks churn</h2>",
             f'<div class="cards">{"".join(cards)}</div>']
    monotone = ev.get("monotone")
    if isinstance(monotone, Mapping):
        ok = monotone.get("value")
        text = ("yes" if ok else "NO") if ok is not None else _metric(monotone)
        cls = "good" if ok else "bad" if ok is not None else ""
        parts.append(f'<p>Churn falls from red to yellow to green: <b class="{cls}">{text}'
                     "</b></p>")
    lead = ev.get("lead_time_days")
    if isinstance(lead, Mapping):
        if lead.get("median_days") is not None:
            parts.append(f"<p>Early warning: churned accounts were red a median of "
                         f"{_metric(lead.get('median_days'), '{:.0f}')} days before churn; "
                         f"{_int(lead.get('n_never_red'))} of {_int(lead.get('n_churned'))} "
                         "were never red.</p>")
        elif lead.get("reason"):
            parts.append(f'<p class="muted">Early warning lead time: n/a '
                         f"({e(lead['reason'])})</p>")
    for warning in ev.get("warnings") or []:
        parts.append(f'<div class="warn">{e(warning)}</div>')
    return "\n".join(parts)


__all__ = ["draft_section", "outcomes_section", "statistics_section", "summary_section"]
