"""The scored-accounts table: one row per account snapshot with score, band and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.decisions import Decisions
from calibration.scoring import ScoreResult, band_names


def scored_table(table: AccountTable, config: Config, result: ScoreResult,
                 decisions: Decisions | None = None, *, rows: np.ndarray | None = None,
                 aligned: bool = False) -> pd.DataFrame:
    """Account id, snapshot, outcome, score, band, guardrail, segment, config hash, and
    the points each factor adds (``points: <factor>``) and sub-scores (``sub-score: <group>``).

    Without ``decisions``: one row per snapshot row (or per row of ``rows``), outcome and
    renewal date as the row says. With ``decisions``: one row per judged renewal decision,
    scored on its judged snapshot, with the decision's outcome, renewal date, judge date and
    ARR. ``aligned``: ``result`` holds just the selected rows (its row ``i`` is table row
    ``rows[i]``), e.g. one chunk of a large table scored with contributions.
    """
    if decisions is not None:
        rows = decisions.rows
    elif rows is None:
        rows = np.arange(len(table))
    pick = slice(None) if aligned else rows
    segment_names = np.array([s.name for s in config.segments] + ["Default"], dtype=object)
    guard_names = np.array([g.name for g in config.guardrails] + [""], dtype=object)
    columns: dict[str, object] = {
        "account_id": table.account_id[rows],
        "snapshot_date": table.snapshot_date[rows],
        "outcome": table.outcome[rows] if decisions is None else decisions.outcome,
        "renewal_date": table.renewal_date[rows] if decisions is None
        else decisions.renewal_date,
    }
    if decisions is not None:
        columns["judge_date"] = decisions.judge_date
        columns["arr"] = decisions.arr
    columns |= {
        "score": result.score[pick],
        "band": band_names(result.band[pick]),
        "guardrail": guard_names[result.guardrail[pick]],
        "segment_config": segment_names[result.segment[pick]],
        "config_hash": config.fingerprint(),
    }
    if table.roles.account_name:
        columns["account_name"] = table.frame[table.roles.account_name].to_numpy()[rows]
    if result.contributions is not None:
        for k, name in enumerate(config.factor_names):
            columns[f"points: {name}"] = result.contributions[pick, k]
        columns["points: guardrail"] = result.guardrail_points[pick]
    if result.subscores is not None:
        for g, name in enumerate(config.group_names()):
            columns[f"sub-score: {name}"] = result.subscores[pick, g]
    frame = pd.DataFrame(columns)
    if table.cross_sectional:
        frame = frame.drop(columns=[c for c in ("snapshot_date", "judge_date") if c in frame])
    if np.isnat(frame["renewal_date"].to_numpy(dtype="datetime64[ns]")).all():
        frame = frame.drop(columns=["renewal_date"])
    return frame
