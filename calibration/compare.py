"""Compare a draft config with the baseline on the same accounts: is the change real?

Both configs score every row of the same :class:`~calibration.accounts.AccountTable`. Metrics
use the point-in-time judged rows (no future leakage) with paired bootstrap CIs: each resample
draws the same accounts for both configs, so the CI is for the *difference*. Band migration is
shown on each account's latest snapshot (what CSMs would see change) and on the judged rows.

Pure computation; never imports streamlit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibration import history, metrics
from calibration.accounts import AccountTable
from calibration.config import BAND_NAMES, Config, Guardrail, LinearRule, MappingRule, Segment
from calibration.cs_metrics import METRIC_LABELS, paired_cs_metrics
from calibration.decisions import Decisions
from calibration.scoring import ScoreResult, score_frame
from calibration.validation import judged_rows
from calibration.verdicts import format_value, judge
from calibration.weights import flat_weights

_LABELS = np.array([*BAND_NAMES, "unscored"], dtype=object)


@dataclass(frozen=True)
class Comparison:
    """Everything :func:`compare` finds; ``to_dict`` is JSON-able, ``describe`` is text."""

    baseline_name: str
    draft_name: str
    horizon_days: int | None
    judged: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    verdict: str
    real: bool
    migration_latest: pd.DataFrame
    migration_judged: pd.DataFrame
    movers: pd.DataFrame
    differences: list[str]
    warnings: list[str] = field(default_factory=list)
    verdict_detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (tables as lists of records / nested dicts)."""
        movers = self.movers.copy()
        for col in movers.columns:
            if pd.api.types.is_datetime64_any_dtype(movers[col]):
                movers[col] = movers[col].dt.strftime("%Y-%m-%d")
        return {
            "baseline": self.baseline_name, "draft": self.draft_name,
            "horizon_days": self.horizon_days, "judged": self.judged, "metrics": self.metrics,
            "verdict": self.verdict, "real": self.real,
            "migration_latest": _matrix_dict(self.migration_latest),
            "migration_judged": _matrix_dict(self.migration_judged),
            "movers": json.loads(movers.to_json(orient="records")),
            "differences": self.differences, "warnings": self.warnings,
            "verdict_detail": self.verdict_detail,
        }

    def describe(self, max_movers: int = 20) -> str:
        """Plain-text report for the CLI."""
        lines = [f"Baseline: {self.baseline_name}", f"Draft:    {self.draft_name}",
                 self.judged.get("description", ""), "", f"Verdict: {self.verdict}", "",
                 f"{'metric':<32}{'baseline':>12}{'draft':>12}{'change':>12}  "
                 f"{'95% CI':<26}  result"]
        for name, m in self.metrics.items():
            ci = m["ci"]
            ci_text = "n/a" if ci is None else f"{_fmt(ci[0], name, True)} to " \
                f"{_fmt(ci[1], name, True)}"
            lines.append(f"{METRIC_LABELS.get(name, name):<32}{_fmt(m['baseline'], name):>12}"
                         f"{_fmt(m['draft'], name):>12}{_fmt(m['diff'], name, True):>12}  "
                         f"{ci_text:<26}  {m.get('status', '')}")
        lines += ["", "Band migration, latest snapshot (rows baseline, columns draft):",
                  self.migration_latest.to_string(), "",
                  "Band migration, judged rows:", self.migration_judged.to_string()]
        if len(self.movers):
            lines += ["", f"Accounts changing band (latest snapshot, {len(self.movers):,}; "
                      f"top {min(max_movers, len(self.movers))}):",
                      self.movers.head(max_movers).to_string(index=False)]
        lines += ["", "Config differences:"]
        lines += [f"  - {d}" for d in self.differences] or ["  (none)"]
        if self.warnings:
            lines += ["", *(f"WARNING: {w}" for w in self.warnings)]
        return "\n".join(lines)


def _fmt(value: float | None, name: str, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format_value(name, value, signed)


def _matrix_dict(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    return {str(r): {str(c): int(frame.loc[r, c]) for c in frame.columns} for r in frame.index}


# --------------------------------------------------------------------------- metrics
def paired_metrics(score_a: np.ndarray, band_a: np.ndarray, score_b: np.ndarray,
                   band_b: np.ndarray, churned: np.ndarray, arr: np.ndarray | None = None,
                   n_resamples: int = 1000, seed: int = 0, level: float = 0.95
                   ) -> dict[str, dict[str, Any]]:
    """Baseline (a), draft (b), difference b - a, its paired bootstrap CI and a status
    (better / worse / no real change) per metric: see
    :func:`calibration.cs_metrics.paired_cs_metrics`."""
    return paired_cs_metrics(score_a, band_a, score_b, band_b, churned, arr, n_resamples,
                             seed, level)


def migration_matrix(band_a: np.ndarray, band_b: np.ndarray) -> pd.DataFrame:
    """Counts of accounts by baseline band (rows) and draft band (columns); an ``unscored``
    row/column appears only when some account is unscored."""
    a, b = np.asarray(band_a), np.asarray(band_b)
    if a.shape != b.shape:
        raise ValueError("band_a and band_b must have the same length")
    labels = list(BAND_NAMES) + (["unscored"] if (a < 0).any() or (b < 0).any() else [])
    ia, ib = np.where(a < 0, 3, a), np.where(b < 0, 3, b)
    counts = np.zeros((4, 4), dtype=np.int64)
    np.add.at(counts, (ia, ib), 1)
    k = len(labels)
    return pd.DataFrame(counts[:k, :k], index=pd.Index(labels, name="baseline"),
                        columns=pd.Index(labels, name="draft"))


def band_movers(base: ScoreResult, draft: ScoreResult, names: list[str],
                rows: np.ndarray | None = None, ids: np.ndarray | None = None) -> pd.DataFrame:
    """Accounts whose band differs, with the factor that moved them most.

    The mover is the factor (or ``guardrail``) with the largest change in contribution points
    between the two configs (contributions from ``combine(..., explain=True)``); sorted by
    the size of the score change.
    """
    if base.contributions is None or draft.contributions is None:
        raise ValueError("both score results need contributions (score with explain=True)")
    rows = np.arange(base.score.shape[0]) if rows is None else np.asarray(rows)
    changed = base.band[rows] != draft.band[rows]
    sel = rows[changed]
    delta = np.column_stack([
        np.nan_to_num(draft.contributions[sel]) - np.nan_to_num(base.contributions[sel]),
        np.nan_to_num(draft.guardrail_points[sel]) - np.nan_to_num(base.guardrail_points[sel]),
    ])
    labels = np.array([*names, "guardrail"], dtype=object)
    top = np.argmax(np.abs(delta), axis=1) if sel.size else np.zeros(0, dtype=int)
    frame = pd.DataFrame({
        "account_id": sel if ids is None else ids[sel],
        "baseline_score": np.round(base.score[sel], 2),
        "draft_score": np.round(draft.score[sel], 2),
        "baseline_band": _LABELS[np.where(base.band[sel] < 0, 3, base.band[sel])],
        "draft_band": _LABELS[np.where(draft.band[sel] < 0, 3, draft.band[sel])],
        "moved_by": labels[top],
        "moved_by_points": np.round(delta[np.arange(sel.size), top], 2),
    })
    size = np.abs(np.nan_to_num(draft.score[sel] - base.score[sel], nan=100.0))
    return frame.iloc[np.argsort(-size, kind="stable")].reset_index(drop=True)


def compare(table: AccountTable, baseline_config: Config, draft_config: Config,
            horizon_days: int = 90, n_resamples: int = 1000, seed: int = 0,
            objective: str = "ranking") -> Comparison:
    """Score both configs on the same accounts and say whether the draft is really better.

    Metrics (CS outcomes: churned ARR caught red, surprise churn, green churn rate, red
    precision, band sizes; statistics: AUC, point-biserial r, lift) come from the
    point-in-time judged rows, with paired bootstrap 95% CIs of draft - baseline. The verdict
    (:func:`calibration.verdicts.judge`) says "improvement is real" only when the
    ``objective``'s metric improves beyond noise and no outcome got significantly worse;
    otherwise "trade-off" naming what got worse.
    """
    if not isinstance(table, AccountTable):
        raise TypeError("table must be an AccountTable (see calibration.accounts)")
    for label, cfg in (("baseline_config", baseline_config), ("draft_config", draft_config)):
        if not isinstance(cfg, Config):
            raise TypeError(f"{label} must be a Config")
    base = score_frame(table.frame, baseline_config, explain=True).result
    draft = score_frame(table.frame, draft_config, explain=True).result
    return compare_scored(table, baseline_config, draft_config, base, draft,
                          judged_rows(table, horizon_days), n_resamples, seed, objective)


def compare_scored(table: AccountTable, baseline_config: Config, draft_config: Config,
                   base: ScoreResult, draft: ScoreResult, judged: Decisions,
                   n_resamples: int = 1000, seed: int = 0, objective: str = "ranking", *,
                   latest: np.ndarray | None = None,
                   explain_rows: Callable[[np.ndarray], tuple[ScoreResult, ScoreResult]]
                   | None = None) -> Comparison:
    """:func:`compare` on configs already scored on every row of ``table``.

    ``base``/``draft`` need contributions (``explain=True``) unless ``explain_rows`` is
    given: it returns explained (baseline, draft) results for the table rows it is passed,
    row ``i`` for row ``rows[i]``, and is asked only for the accounts that change band.
    ``latest`` (each account's latest row) may be passed when already known.
    ``n_resamples=0`` skips the bootstrap (point estimates, no verdict).
    """
    rows = judged.rows
    c = judged.churned
    warnings: list[str] = []
    has_arr = not np.isnan(judged.arr).all()
    stats = paired_metrics(base.score[rows], base.band[rows], draft.score[rows],
                           draft.band[rows], c, judged.arr if has_arr else None,
                           n_resamples, seed)
    judged_verdict = judge(stats, objective)
    n_churned = int(c.sum())
    note = metrics.too_few_churned_warning(n_churned)
    if note:
        warnings.append(note)
    if judged.cross_sectional:
        warnings.append("single-snapshot data: scores may reflect what happened after the "
                        "renewal decision")
    if latest is None:
        latest = history.latest_rows(table.canonical())
    moved_base, moved_draft, moved_rows, moved_ids = base, draft, latest, table.account_id
    if explain_rows is not None:
        changed = latest[base.band[latest] != draft.band[latest]]
        moved_base, moved_draft = explain_rows(changed)
        moved_rows, moved_ids = None, table.account_id[changed]
    movers = band_movers(moved_base, moved_draft, draft_config.factor_names
                         if draft_config.factor_names == baseline_config.factor_names
                         else _common_names(baseline_config, draft_config, moved_base,
                                            moved_draft),
                         moved_rows, moved_ids)
    return Comparison(
        baseline_name=baseline_config.name, draft_name=draft_config.name,
        horizon_days=judged.horizon_days,
        judged=judged.summary(),
        metrics=stats, verdict=judged_verdict.text, real=judged_verdict.real,
        migration_latest=migration_matrix(base.band[latest], draft.band[latest]),
        migration_judged=migration_matrix(base.band[rows], draft.band[rows]),
        movers=movers, differences=config_diff(baseline_config, draft_config),
        warnings=warnings, verdict_detail=judged_verdict.to_dict(),
    )


def _common_names(a: Config, b: Config, ra: ScoreResult, rb: ScoreResult) -> list[str]:
    """Factor names when the configs' factor lists differ: contributions must align, so the
    draft's are used only if the counts match."""
    if len(a.factors) != len(b.factors):
        raise ValueError("the two configs have different factors: band movers need the same "
                         "factor list (add missing factors at weight 0)")
    return [fa if fa == fb else f"{fa} / {fb}" for fa, fb in zip(a.factor_names, b.factor_names,
                                                                 strict=True)]


# --------------------------------------------------------------------------- config diff
def _pct(x: float) -> str:
    return f"{abs(round(x, 1)) + 0.0:.1f}%".replace(".0%", "%")


def _direction(d: str) -> str:
    return d.replace("_", " ")


def _rule_text(rule: Any) -> str:
    kind = rule.kind
    if kind == "linear":
        return f"linear from {rule.lo:g} to {rule.hi:g}"
    if kind == "steps":
        return (f"steps at {', '.join(f'{v:g}' for v in rule.cutoffs)} giving "
                f"{', '.join(f'{v:g}' for v in rule.points)} points")
    if kind == "mapping":
        text = ", ".join(f"{k} {v:g}" for k, v in rule.points.items())
        return f"mapping ({text}; other {'missing' if rule.default is None else rule.default})"
    if kind == "boolean":
        return f"yes {rule.true_points:g} / no {rule.false_points:g} points"
    return f"percentile rule over {len(rule.values)} reference values"


def _rule_changes(name: str, a: Any, b: Any) -> list[str]:
    if a == b:
        return []
    if isinstance(a, LinearRule) and isinstance(b, LinearRule):
        return [f"{name}: cut-offs {a.lo:g}-{a.hi:g} -> {b.lo:g}-{b.hi:g}"]
    if isinstance(a, MappingRule) and isinstance(b, MappingRule):
        out = []
        pa = {k.strip().casefold(): (k, v) for k, v in a.points.items()}
        pb = {k.strip().casefold(): (k, v) for k, v in b.points.items()}
        for key in dict.fromkeys([*pa, *pb]):
            if key not in pb:
                out.append(f"{name}: category '{pa[key][0]}' removed (was {pa[key][1]:g} points)")
            elif key not in pa:
                out.append(f"{name}: new category '{pb[key][0]}' = {pb[key][1]:g} points")
            elif pa[key][1] != pb[key][1]:
                out.append(f"{name}: '{pb[key][0]}' {pa[key][1]:g} -> {pb[key][1]:g} points")
        if a.default != b.default:
            out.append(f"{name}: unlisted categories {_points_or_missing(a.default)} -> "
                       f"{_points_or_missing(b.default)}")
        return out
    return [f"{name}: rule {_rule_text(a)} -> {_rule_text(b)}"]


def _points_or_missing(value: float | None) -> str:
    return "count as missing" if value is None else f"{value:g} points"


def _guardrail_text(g: Guardrail) -> str:
    value = g.value
    shown = f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) \
        else repr(value)
    cond = "is missing" if g.operator == "is_missing" else f"{g.operator} {shown}"
    state = "" if g.enabled else " (disabled)"
    return f"{g.column} {cond} caps at {g.cap}{state}"


def _segment_changes(a: Segment, b: Segment) -> list[str]:
    out = []
    label = f"segment '{b.name}'"
    if a.match != b.match:
        out.append(f"{label}: now matches {b.match.column} in {b.match.values} (was "
                   f"{a.match.column} in {a.match.values})")
    for key in dict.fromkeys([*a.weights, *b.weights]):
        wa, wb = a.weights.get(key), b.weights.get(key)
        if wa != wb:
            out.append(f"{label}: weight of {key} {_override(wa)} -> {_override(wb)}")
    for key in dict.fromkeys([*a.group_weights, *b.group_weights]):
        wa, wb = a.group_weights.get(key), b.group_weights.get(key)
        if wa != wb:
            out.append(f"{label}: weight of group {key} {_override(wa)} -> {_override(wb)}")
    for key in dict.fromkeys([*a.rules, *b.rules]):
        ra, rb = a.rules.get(key), b.rules.get(key)
        if ra != rb:
            out.append(f"{label}: rule for {key} "
                       f"{'default' if ra is None else _rule_text(ra)} -> "
                       f"{'default' if rb is None else _rule_text(rb)}")
    if a.bands != b.bands:
        out.append(f"{label}: bands {_bands_text(a.bands)} -> {_bands_text(b.bands)}")
    return out


def _override(value: float | None) -> str:
    return "default" if value is None else f"{value:g}"


def _bands_text(bands: Any) -> str:
    return "default" if bands is None else f"red <= {bands.red_max:g}, yellow <= " \
        f"{bands.yellow_max:g}"


def config_diff(a: Config, b: Config) -> list[str]:
    """Plain-words differences from config ``a`` to ``b`` that change scores or bands.

    Covers factors added/removed, effective weights (flat % of the score), group moves,
    columns, directions, missing-value policies, rules and cut-offs, bands, guardrails,
    segments and column roles. Names, notes and evidence are not compared.
    """
    out: list[str] = []
    fa = {f.name: f for f in a.factors}
    fb = {f.name: f for f in b.factors}
    for name in [n for n in fa if n not in fb]:
        out.append(f"factor {name} removed")
    for name in [n for n in fb if n not in fa]:
        out.append(f"new factor {name} ({_rule_text(fb[name].rule)} on column "
                   f"{fb[name].column})")
    wa, wb = flat_weights(a), flat_weights(b)
    for name in dict.fromkeys([*a.factor_names, *b.factor_names]):
        x, y = wa.get(name, 0.0), wb.get(name, 0.0)
        if abs(x - y) >= 0.05 and name in fa and name in fb:
            out.append(f"{name}: weight {_pct(x)} -> {_pct(y)} of the score")
    for name in [n for n in a.factor_names if n in fb]:
        x, y = fa[name], fb[name]
        if x.group != y.group:
            out.append(f"{name}: moved from group {x.group} to {y.group}")
        if x.column != y.column:
            out.append(f"{name}: reads column {y.column} (was {x.column})")
        if x.direction != y.direction:
            out.append(f"{name}: now {_direction(y.direction)} (was {_direction(x.direction)})")
        if (x.missing, x.missing_points) != (y.missing, y.missing_points):
            out.append(f"{name}: missing values {_missing_text(x)} -> {_missing_text(y)}")
        out += _rule_changes(name, x.rule, y.rule)
    if a.bands.red_max != b.bands.red_max:
        out.append(f"red band: score <= {a.bands.red_max:g} -> <= {b.bands.red_max:g}")
    if a.bands.yellow_max != b.bands.yellow_max:
        out.append(f"yellow band: score <= {a.bands.yellow_max:g} -> <= "
                   f"{b.bands.yellow_max:g} (green above)")
    ga = {g.name: g for g in a.guardrails}
    gb = {g.name: g for g in b.guardrails}
    for name in [n for n in ga if n not in gb]:
        out.append(f"guardrail '{name}' removed ({_guardrail_text(ga[name])})")
    for name in [n for n in gb if n not in ga]:
        out.append(f"new guardrail '{name}': {_guardrail_text(gb[name])}")
    for name in [n for n in ga if n in gb and ga[n] != gb[n]]:
        x, y = ga[name], gb[name]
        if x.model_copy(update={"enabled": y.enabled}) == y:
            out.append(f"guardrail '{name}' {'enabled' if y.enabled else 'disabled'}")
        else:
            out.append(f"guardrail '{name}': {_guardrail_text(x)} -> {_guardrail_text(y)}")
    sa = {s.name: s for s in a.segments}
    sb = {s.name: s for s in b.segments}
    for name in [n for n in sa if n not in sb]:
        out.append(f"segment '{name}' removed")
    for name in [n for n in sb if n not in sa]:
        out.append(f"new segment '{name}' for {sb[name].match.column} in "
                   f"{sb[name].match.values}")
    for name in [n for n in sa if n in sb]:
        out += _segment_changes(sa[name], sb[name])
    if [s.name for s in a.segments if s.name in sb] != [s.name for s in b.segments
                                                        if s.name in sa]:
        out.append("segment order changed (the first matching segment wins)")
    if a.columns != b.columns:
        ca, cb = a.columns.model_dump(), b.columns.model_dump()
        changed = [f"{k} {ca[k]!r} -> {cb[k]!r}" for k in ca if ca[k] != cb[k]]
        out.append(f"column roles: {'; '.join(changed)}")
    return out


def _missing_text(f: Any) -> str:
    return "skipped" if f.missing == "skip" else f"scored {f.missing_points:g} points"
