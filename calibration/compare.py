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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from calibration import history, metrics
from calibration.accounts import AccountTable
from calibration.config import BAND_NAMES, Config
from calibration.configdiff import aligned_contributions, config_diff
from calibration.cs_metrics import METRIC_LABELS, paired_cs_metrics
from calibration.decisions import Decisions
from calibration.scoring import ScoreResult, score_frame
from calibration.validation import judged_rows
from calibration.verdicts import format_value, judge

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
paired_metrics = paired_cs_metrics
"""Baseline (a), draft (b), difference b - a, its paired bootstrap CI and a status (better /
worse / no real change) per metric: :func:`calibration.cs_metrics.paired_cs_metrics` itself
(one place for its defaults)."""


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
    if latest is None:
        latest = history.latest_rows(table.canonical())

    def explain_latest(positions: np.ndarray) -> tuple[ScoreResult, ScoreResult]:
        rows = latest[positions]
        if explain_rows is not None:
            return explain_rows(rows)
        return take_rows(base, rows), take_rows(draft, rows)

    rows = judged.rows
    return compare_rows(baseline_config, draft_config, judged, take_rows(base, rows),
                        take_rows(draft, rows), table.account_id[latest], base.band[latest],
                        draft.band[latest], explain_latest, n_resamples, seed, objective)


def take_rows(result: ScoreResult, rows: np.ndarray) -> ScoreResult:
    """The rows ``rows`` of a score result (row ``i`` of the copy is row ``rows[i]``)."""
    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[rows]

    return ScoreResult(result.score[rows], result.raw_score[rows], result.band[rows],
                       result.guardrail[rows], result.segment[rows],
                       pick(result.contributions), pick(result.subscores))


def compare_rows(baseline_config: Config, draft_config: Config, judged: Decisions,
                 base_judged: ScoreResult, draft_judged: ScoreResult, latest_ids: np.ndarray,
                 base_latest_band: np.ndarray, draft_latest_band: np.ndarray,
                 explain_latest: Callable[[np.ndarray], tuple[ScoreResult, ScoreResult]],
                 n_resamples: int = 1000, seed: int = 0, objective: str = "ranking",
                 progress: Callable[[float], None] | None = None) -> Comparison:
    """:func:`compare` from just the rows it reads: each judged decision's row
    (``*_judged``: row ``i`` is decision ``i``) and each account's latest row (ids and
    bands; ``explain_latest(positions)`` returns explained baseline and draft results for
    those latest rows, asked only for the accounts that change band). The app scores
    these rows only, not every snapshot. ``n_resamples=0``: point estimates, no verdict
    (add it later with :func:`with_bootstrap`).
    """
    c = judged.churned
    warnings: list[str] = []
    stats = _paired(base_judged, draft_judged, judged, n_resamples, seed, progress)
    judged_verdict = judge(stats, objective)
    n_churned = int(c.sum())
    note = metrics.too_few_churned_warning(n_churned)
    if note:
        warnings.append(note)
    if judged.cross_sectional:
        warnings.append("single-snapshot data: scores may reflect what happened after the "
                        "renewal decision")
    changed = np.flatnonzero(np.asarray(base_latest_band) != np.asarray(draft_latest_band))
    moved_base, moved_draft = explain_latest(changed)
    # factors matched by name: a draft that adds or drops a factor compares too
    names = list(dict.fromkeys([*baseline_config.factor_names, *draft_config.factor_names]))
    movers = band_movers(
        replace(moved_base, contributions=aligned_contributions(
            moved_base.contributions, baseline_config.factor_names, names)),
        replace(moved_draft, contributions=aligned_contributions(
            moved_draft.contributions, draft_config.factor_names, names)),
        names, None, np.asarray(latest_ids)[changed])
    return Comparison(
        baseline_name=baseline_config.name, draft_name=draft_config.name,
        horizon_days=judged.horizon_days,
        judged=judged.summary(),
        metrics=stats, verdict=judged_verdict.text, real=judged_verdict.real,
        migration_latest=migration_matrix(base_latest_band, draft_latest_band),
        migration_judged=migration_matrix(base_judged.band, draft_judged.band),
        movers=movers, differences=config_diff(baseline_config, draft_config),
        warnings=warnings, verdict_detail=judged_verdict.to_dict(),
    )


def _paired(base_judged: ScoreResult, draft_judged: ScoreResult, judged: Decisions,
            n_resamples: int, seed: int, progress: Callable[[float], None] | None
            ) -> dict[str, dict[str, Any]]:
    has_arr = not np.isnan(judged.arr).all()
    return paired_cs_metrics(base_judged.score, base_judged.band, draft_judged.score,
                             draft_judged.band, judged.churned,
                             judged.arr if has_arr else None, n_resamples, seed,
                             progress=progress)


def with_bootstrap(comparison: Comparison, base_judged: ScoreResult,
                   draft_judged: ScoreResult, judged: Decisions, n_resamples: int = 1000,
                   seed: int = 0, objective: str = "ranking",
                   progress: Callable[[float], None] | None = None) -> Comparison:
    """A point-estimate comparison (``n_resamples=0``) with its paired bootstrap CIs and
    verdict added: equal to comparing with ``n_resamples`` in the first place.
    ``progress`` is called with the share of resamples done."""
    stats = _paired(base_judged, draft_judged, judged, n_resamples, seed, progress)
    verdict = judge(stats, objective)
    return replace(comparison, metrics=stats, verdict=verdict.text, real=verdict.real,
                   verdict_detail=verdict.to_dict())


__all__ = ["Comparison", "band_movers", "compare", "compare_rows", "compare_scored",
           "config_diff", "migration_matrix", "paired_metrics", "take_rows", "with_bootstrap"]
