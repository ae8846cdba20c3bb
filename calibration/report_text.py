"""Plain-text rendering of validation evidence (for the CLI)."""

from __future__ import annotations

from typing import Any

from calibration import formatting, outcomes
from calibration.config import Config


def value_text(metric: Any, fmt: str = "{:.3f}") -> str:
    """A metric's value, or why it is undefined."""
    if not isinstance(metric, dict):
        return "n/a" if metric is None else fmt.format(metric)
    if metric.get("value") is None:
        return f"n/a ({metric.get('reason') or 'not computed'})"
    return fmt.format(metric["value"])


def ci_text(ci: Any) -> str:
    """'[lo, hi]' for a {"value": [lo, hi]} result, '' when absent."""
    if isinstance(ci, dict) and isinstance(ci.get("value"), list | tuple):
        lo, hi = ci["value"]
        return f" (95% CI {lo:.3f}-{hi:.3f})"
    return ""


def pct(value: float | None) -> str:
    """Percentage text ('n/a' for None)."""
    return formatting.percent(value)


def validation_text(evidence: dict[str, Any], config: Config) -> str:
    """Human-readable summary of :func:`calibration.validation.validate` output."""
    sample = evidence.get("sample", {})
    mode = ("cross-sectional (one snapshot per account: no horizon, no lead time, no history)"
            if evidence.get("cross_sectional") else
            f"point in time ({evidence.get('horizon_days')} days before each renewal)")
    lines = [
        f"Config: {config.name} ({evidence.get('config_hash')})",
        *(f"WARNING: {alarm['message']}" for alarm in evidence.get("alarms", [])),
        f"Validation: {mode}",
        sample.get("description", ""),
        f"Scored {evidence['n_scored']:,} accounts: {evidence['n_churned']:,} churned, "
        f"{evidence['n_renewed']:,} renewed",
        "",
        *_outcome_lines(evidence),
        "",
        "Advanced statistics (how well the score ranks churned below renewed accounts):",
        f"AUC (renewed scored above churned; 0.5 = coin flip): "
        f"{value_text(evidence['auc'])}{ci_text(evidence.get('auc_ci'))}",
        f"Gini: {value_text(evidence['gini'])}",
        f"KS: {value_text(evidence['ks'])} at score "
        f"{value_text({'value': evidence['ks'].get('at_score'), 'reason': 'n/a'}, '{:.1f}')}",
        f"Correlation with renewal (point-biserial r): "
        f"{value_text(evidence['point_biserial_r'])}; Spearman {value_text(evidence['spearman'])}",
        f"Churn odds per +10 points (logit): {value_text(evidence['logit'], '{:.2f}x')}",
        f"Lift (red churn rate / green churn rate): {value_text(evidence['lift'], '{:.2f}x')}",
        "",
        f"{'band':<8}{'accounts':>10}{'churned':>9}{'churn rate':>12}{'95% CI':>17}"
        f"{'ARR':>15}{'churned ARR':>15}",
    ]
    for row in evidence["bands"]:
        ci = row.get("churn_rate_ci")
        ci_txt = f"{ci[0]:.1%}-{ci[1]:.1%}" if ci else "n/a"
        lines.append(
            f"{row['band']:<8}{row['accounts']:>10,}{row['churned']:>9,}"
            f"{pct(row['churn_rate']):>12}{ci_txt:>17}{_money(row.get('arr'), row):>15}"
            f"{_money(row.get('churned_arr'), row):>15}")
    surprise = evidence["surprise_churn"]
    alarms = evidence["false_alarms"]
    lines += [
        f"Churn falls from red to green: {'yes' if evidence['monotone'].get('value') else 'NO'}",
        f"Surprise churn (churned while green): {surprise['count']:,} accounts"
        + ("" if _no_arr(evidence) else f", ARR {_money(surprise.get('arr'))}"),
        f"False alarms (renewed while red): {alarms['count']:,} accounts",
    ]
    lead = evidence.get("lead_time_days", {})
    if lead.get("median_days") is not None:
        lines.append(f"Early warning: median {lead['median_days']:.0f} days red before churn; "
                     f"{lead['n_never_red']:,} of {lead['n_churned']:,} churned were never red "
                     "(looks at every snapshot before the churn date, also after the judge date)")
        red = lead.get("red_at_judge_date") or {}
        if red.get("recall") is not None:
            lines.append(f"Red at the judge date: {red['n_red']:,} of {red['n_churned']:,} "
                         f"churned renewals ({red['recall']:.0%}) were already red on the "
                         "snapshot they were judged on")
    elif lead.get("reason"):
        lines.append(f"Early warning: n/a ({lead['reason']})")
    drops = evidence.get("score_drops") or {}
    if drops.get("reason") is None and drops.get("with_drop"):
        w, wo = drops["with_drop"], drops["without_drop"]
        lines.append(f"Score fell {drops['min_drop']:g}+ points within {drops['within_days']} "
                     f"days before the judge date: {w['accounts']:,} accounts, churn "
                     f"{pct(w['churn_rate'])} (others {pct(wo['churn_rate'])})")
    for warning in evidence.get("warnings", []):
        lines.append(f"WARNING: {warning}")
    segments = evidence.get("segments") or {}
    if segments:
        lines += ["", "By segment:"]
        for name, seg in segments.items():
            lines.append(f"  {name:<14} accounts {seg['n_scored']:>6,}  churned "
                         f"{seg['n_churned']:>5,}  AUC {value_text(seg['auc'])}")
    return "\n".join(lines)


def _outcome_lines(evidence: dict[str, Any]) -> list[str]:
    """The CS outcomes first (the same numbers as the app and the report), then the known
    accounts when any is labelled or tagged."""
    now = outcomes.cs_outcomes(evidence)
    lines = ["What it means for the team:"]
    for outcome in outcomes.outcome_list(evidence.get("horizon_days"),
                                         bool(evidence.get("cross_sectional"))):
        result = now[outcome.key]
        text = formatting.fmt(result["value"], outcome.kind)
        if result["value"] is None and result.get("reason"):
            text += f" ({result['reason']})"
        elif result.get("ci"):
            text += f" (likely range {formatting.likely_range(result['ci'], outcome.kind)})"
        lines.append(f"  {outcome.label}: {text}")
    if words := outcomes.reference_words(evidence.get("reference")):
        lines.append(f"  Known accounts: {words}")
    return lines


def _money(value: float | None, row: dict[str, Any] | None = None) -> str:
    """Money as text; n/a when unknown or when no account in ``row`` has a known ARR."""
    if value is None or (row is not None and row.get("arr_unknown") == row.get("accounts")
                         and row.get("accounts")):
        return "n/a"
    return formatting.money(value)


def _no_arr(evidence: dict[str, Any]) -> bool:
    return all(row.get("arr_unknown") == row.get("accounts") for row in evidence["bands"])
