"""The scored-accounts table: one row per account snapshot with score, band and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.decisions import Decisions
from calibration.outputs import output_names
from calibration.scoring import ScoreResult, band_names


def scored_table(table: AccountTable, config: Config, result: ScoreResult,
                 decisions: Decisions | None = None, *, rows: np.ndarray | None = None,
                 aligned: bool = False, renewal_column: bool | None = None) -> pd.DataFrame:
    """Account id, snapshot, outcome, score, band, guardrail, segment, config hash, and
    the points each factor adds (``points: <factor>``) and sub-scores (``sub-score: <group>``).

    Without ``decisions``: one row per snapshot row (or per row of ``rows``), outcome and
    renewal date as the row says. With ``decisions``: one row per judged renewal decision,
    scored on its judged snapshot, with the decision's outcome, renewal date, judge date and
    ARR. ``aligned``: ``result`` holds just the selected rows (its row ``i`` is table row
    ``rows[i]``), e.g. one chunk of a large table scored with contributions.
    ``renewal_column``: keep the renewal-date column (True), leave it out (False), or leave
    it out when none of these rows has a renewal date (None; a chunk of a larger file passes
    what the whole file needs, so every chunk has the same columns).

    Column names come from :func:`calibration.outputs.output_names`, like the SQL export's
    (unique even when a factor is called ``guardrail``), and scores carry the one rounding
    rule, so CSV and SQL rows are the same.
    """
    names = output_names(config)
    if decisions is not None:
        rows = decisions.rows
    elif rows is None:
        rows = np.arange(len(table))
    pick = slice(None) if aligned else rows
    segment_names = np.array([s.name for s in config.segments] + ["Default"], dtype=object)
    guard_names = np.array([g.name for g in config.guardrails] + [""], dtype=object)
    columns: dict[str, object] = {
        names["id"]: table.account_id[rows],
        names["snapshot"]: table.snapshot_date[rows],
        names["outcome"]: table.outcome[rows] if decisions is None else decisions.outcome,
        names["renewal_date"]: table.renewal_date[rows] if decisions is None
        else decisions.renewal_date,
    }
    if decisions is not None:
        columns[names["judge_date"]] = decisions.judge_date
        columns[names["arr"]] = decisions.arr
    columns |= {
        names["score"]: result.score[pick],
        names["band"]: band_names(result.band[pick]),
        names["guardrail"]: guard_names[result.guardrail[pick]],
        names["segment_config"]: segment_names[result.segment[pick]],
        names["config_hash"]: config.fingerprint(),
    }
    if table.roles.account_name:
        # the chosen rows' names only: every row's as Python strings first was ~140 MB
        # at 1.8M rows, for one chunk or each account's latest row
        columns[names["account_name"]] = table.frame[table.roles.account_name].take(
            rows).to_numpy()
    if result.contributions is not None:
        for k in range(len(config.factors)):
            columns[names[("factor", k)]] = result.contributions[pick, k]
        columns[names["cap"]] = result.guardrail_points[pick]
    if result.subscores is not None:
        for g in range(len(config.group_names())):
            columns[names[("group", g)]] = result.subscores[pick, g]
    frame = pd.DataFrame(columns)
    if table.cross_sectional:
        frame = frame.drop(columns=[c for c in (names["snapshot"], names["judge_date"])
                                    if c in frame])
    if renewal_column is None:
        renewal_column = not np.isnat(
            frame[names["renewal_date"]].to_numpy(dtype="datetime64[ns]")).all()
    if not renewal_column:
        frame = frame.drop(columns=[names["renewal_date"]])
    return frame
