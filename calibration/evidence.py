"""Validation evidence for an export: the draft's metrics, the baseline's, the comparison.

Shared by the CLI (``report``, ``export-config``) and the app's Export page, so a report or
an exported config means the same thing wherever it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration import charts
from calibration.accounts import AccountTable
from calibration.compare import Comparison, compare_scored, take_rows
from calibration.config import Config
from calibration.decisions import Decisions
from calibration.scoring import Scored, ScoreResult, band_names, score_frame
from calibration.validation import judged_rows, validate


@dataclass(frozen=True)
class EvidenceBundle:
    """A config scored and validated on one table, optionally against a baseline.

    ``scored`` holds every row's scores (the CLI); a bundle assembled from the judged rows
    alone (:func:`assemble`, the app) has ``judged_result`` instead. Either gives
    :meth:`judged_scores`, all the report reads."""

    table: AccountTable
    config: Config
    scored: Scored | None
    evidence: dict[str, Any]
    horizon_days: int
    baseline_config: Config | None = None
    baseline_evidence: dict[str, Any] | None = None
    comparison: Comparison | None = None
    judged: Decisions | None = None  # the judged decisions (recomputed when None)
    judged_result: ScoreResult | None = None  # row i: decision i (when ``scored`` is None)

    def decisions(self) -> Decisions:
        """The judged renewal decisions (as passed to :func:`gather`, else recomputed)."""
        if self.judged is not None:
            return self.judged
        return judged_rows(self.table, self.horizon_days)

    def judged_scores(self) -> ScoreResult:
        """Scores and bands of the judged decisions' rows (row ``i``: decision ``i``)."""
        if self.judged_result is not None:
            return self.judged_result
        return take_rows(self.scored.result, self.decisions().rows)


def gather(table: AccountTable, config: Config, baseline: Config | None = None, *,
           horizon_days: int = 90, bootstrap_resamples: int = 1000, seed: int = 0,
           objective: str = "ranking", scored: Scored | None = None,
           baseline_scored: Scored | None = None, comparison: Comparison | None = None,
           judged: Decisions | None = None) -> EvidenceBundle:
    """Score and validate ``config`` (with bootstrap CIs and the data fingerprint); with a
    baseline, also validate it and compare the two on the same accounts.

    Anything not passed (``scored``, ``baseline_scored``, ``comparison`` from
    :func:`calibration.compare.compare_scored`, ``judged``) is computed here. The app
    computes the same evidence from its caches and calls :func:`assemble`.
    """
    if scored is None:
        scored = score_frame(table.frame, config)
    if judged is None:
        judged = judged_rows(table, horizon_days)
    evidence = validate(table, config, scored, horizon_days=horizon_days,
                        bootstrap_resamples=bootstrap_resamples, seed=seed, judged=judged)
    baseline_evidence = None
    if baseline is not None:
        base_scored = (baseline_scored if baseline_scored is not None
                       else score_frame(table.frame, baseline))
        baseline_evidence = validate(table, baseline, base_scored, **BASELINE_OPTIONS,
                                     horizon_days=horizon_days, judged=judged)
        if comparison is None:  # from the scoring above: contributions of every row
            comparison = compare_scored(table, baseline, config, base_scored.result,
                                        scored.result, judged,
                                        max(bootstrap_resamples, 2), seed, objective)
    return assemble(table, config, evidence, horizon_days, judged, scored=scored,
                    baseline=baseline, baseline_evidence=baseline_evidence,
                    comparison=comparison, objective=objective)


BASELINE_OPTIONS = {"bootstrap_resamples": 0, "by_segment": False, "include_factors": False}
"""How the baseline is validated for a bundle (what the report shows of it)."""


def assemble(table: AccountTable, config: Config, evidence: dict[str, Any],
             horizon_days: int, judged: Decisions, *, scored: Scored | None = None,
             judged_result: ScoreResult | None = None, baseline: Config | None = None,
             baseline_evidence: dict[str, Any] | None = None,
             comparison: Comparison | None = None,
             objective: str = "ranking") -> EvidenceBundle:
    """The bundle of :func:`gather` from its parts: ``evidence`` = ``validate``'s for
    ``config`` (the data fingerprint is added here), ``baseline_evidence`` = ``validate``'s
    for the baseline with :data:`BASELINE_OPTIONS` and ``comparison`` the checked
    comparison (both with a baseline); ``scored`` (every row) or ``judged_result`` (the
    judged rows)."""
    evidence["data"] = table.fingerprint()
    if baseline is not None:
        baseline_evidence["name"] = baseline.name
        evidence["baseline"] = {
            "name": baseline.name, "config_hash": baseline.fingerprint(),
            "auc": baseline_evidence["auc"].get("value"),
            "verdict": comparison.verdict, "objective": objective,
            "verdict_detail": comparison.verdict_detail,
            "differences": comparison.differences,
        }
    return EvidenceBundle(table, config, scored, evidence, horizon_days, baseline,
                          baseline_evidence, comparison if baseline is not None else None,
                          judged, judged_result)


def judged_accounts(bundle: EvidenceBundle) -> pd.DataFrame:
    """Per-account details of the judged rows (for surprise-churn lists)."""
    table, config, result = bundle.table, bundle.config, bundle.judged_scores()
    judged = bundle.decisions()
    rows = judged.rows
    frame: dict[str, Any] = {"account_id": judged.account_id}
    if config.columns.account_name and config.columns.account_name in table.frame.columns:
        # the judged rows' names only (not every row's as Python strings first: ~140 MB)
        frame["account"] = table.frame[config.columns.account_name].take(rows).to_numpy()
    if not table.cross_sectional:
        frame["snapshot"] = table.snapshot_date[rows]
    if not np.isnat(judged.renewal_date).all():
        frame["renewal"] = judged.renewal_date
    frame["ARR"] = judged.arr
    frame["score"] = np.round(result.score, 1)
    frame["band"] = band_names(result.band)
    frame["outcome"] = judged.outcome
    return pd.DataFrame(frame)


def report_charts(bundle: EvidenceBundle) -> list:
    """The report's charts (the same builders the app uses)."""
    config, evidence = bundle.config, bundle.evidence
    judged = bundle.decisions()
    churned = judged.churned
    out = []
    hist = charts.score_histogram(bundle.judged_scores().score, churned)
    out.append(charts.score_distribution_chart(hist, config.bands.red_max,
                                               config.bands.yellow_max).properties(
        width=640, title="Scores of renewed vs churned accounts"))
    if isinstance(evidence.get("bands"), list):
        out.append(charts.band_churn_chart(evidence["bands"]).properties(
            width=640, title="Churn rate by band (95% CI)"))
    roc = evidence.get("roc")
    if isinstance(roc, dict) and roc.get("fpr"):
        out.append(charts.roc_chart(roc).properties(width=640, title="ROC curve"))
    return out


def warm_report() -> None:
    """Build the report's chart library once per process now (vega + vega-lite +
    vega-embed bundled by vl_convert: seconds of CPU), so the first report is fast."""
    from calibration.report import _vega_bundle

    _vega_bundle()


def report_html(bundle: EvidenceBundle) -> str:
    """The self-contained HTML calibration report for a bundle."""
    from calibration.report import build_report

    return build_report(bundle.config, bundle.evidence, baseline=bundle.baseline_evidence,
                        comparison=bundle.comparison, charts=report_charts(bundle),
                        accounts=judged_accounts(bundle))
