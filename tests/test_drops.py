"""The score-drop check from its plan's rows equals a brute-force check of every decision,
and reads only the rows the plan names."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.accounts import load_accounts
from calibration.drops import drop_plan, drop_signal_from_scores
from calibration.scoring import score_frame
from calibration.validation import drop_signal, judged_rows
from tests.conftest import DEMO_DATA


def _brute_force(table, score, judged, min_drop=15, within_days=90) -> np.ndarray:
    """Per decision: the account's scored snapshots up to the judge date, those inside the
    window plus the latest one before it, and any one at least ``min_drop`` below an
    earlier-dated one."""
    keep = ~np.isnan(score) & ~np.isnat(table.snapshot_date)
    ids, snaps, scores = table.account_id[keep], table.snapshot_date[keep], score[keep]
    by_account: dict = {}
    for i, account in enumerate(ids.tolist()):
        by_account.setdefault(account, []).append(i)
    had = np.zeros(judged.n_judged, dtype=bool)
    for d in range(judged.n_judged):
        mine = np.array(by_account.get(judged.account_id[d], []), dtype=np.int64)
        judge = judged.judge_date[d]
        mine = mine[snaps[mine] <= judge]
        start = judge - np.timedelta64(within_days, "D")
        inside, before = mine[snaps[mine] >= start], mine[snaps[mine] < start]
        seen = inside
        if before.size:  # the score as the window opened: the latest earlier snapshot
            seen = np.append(inside, before[np.flatnonzero(snaps[before]
                                                           == snaps[before].max())[-1]])
        for i in seen:
            earlier = scores[seen][snaps[seen] < snaps[i]]
            if earlier.size and earlier.max() - scores[i] >= min_drop - 1e-9:
                had[d] = True
                break
    return had


@pytest.fixture(scope="module")
def demo(demo_config_module):
    table = load_accounts(DEMO_DATA, demo_config_module)
    return table, score_frame(table.frame, demo_config_module).result.score, \
        judged_rows(table, 90)


@pytest.fixture(scope="module")
def demo_config_module():
    from calibration.config import load_config
    from tests.conftest import DEMO_CONFIG

    return load_config(DEMO_CONFIG)


@pytest.mark.parametrize("unscored_share", [0.0, 0.35])
def test_drop_check_equals_brute_force_reading_only_planned_rows(demo, unscored_share):
    table, score, judged = demo
    score = score.copy()
    rng = np.random.default_rng(3)
    score[rng.random(score.size) < unscored_share] = np.nan  # openings move to older rows
    plan = drop_plan(table, judged, 90)
    asked: list[np.ndarray] = []

    def score_of(rows: np.ndarray) -> np.ndarray:
        asked.append(rows)
        return score[rows]

    got = drop_signal_from_scores(plan, score_of)
    had = _brute_force(table, score, judged)
    churned = judged.churned
    assert got["with_drop"] == {"accounts": int(had.sum()),
                                "churned": int((had & churned).sum()),
                                "churn_rate": float((had & churned).sum() / had.sum())}
    assert got["without_drop"]["accounts"] == int((~had).sum()) > 0
    assert got == drop_signal(table, type("R", (), {"score": score})(), judged)
    assert sum(len(a) for a in asked) < 0.4 * len(table)  # far from every snapshot
    assert (len(asked) > 1) == (unscored_share > 0)


def _merge_plan(table, judged, within_days=90) -> dict[str, np.ndarray]:
    """The plan's pairs by an inner merge of the decisions and the rows on the account id
    (drops.py before the integer codes)."""
    import pandas as pd

    frame = pd.DataFrame({"account_id": table.account_id, "snapshot_date": table.snapshot_date,
                          "row": np.arange(len(table.account_id), dtype=np.int64)})
    window = pd.DataFrame({"decision": np.arange(judged.n_judged),
                           "account_id": judged.account_id, "judge": judged.judge_date})
    pairs = window.merge(frame, on="account_id")
    pairs = pairs[pairs["snapshot_date"] <= pairs["judge"]]
    inside = (pairs["snapshot_date"] >= pairs["judge"]
              - within_days * pd.Timedelta(days=1)).to_numpy()
    decision = pairs["decision"].to_numpy(dtype=np.int64)
    row = pairs["row"].to_numpy(dtype=np.int64)
    snap = pairs["snapshot_date"].to_numpy(dtype="datetime64[ns]")
    return {"inside_decision": decision[inside], "inside_row": row[inside],
            "inside_snap": snap[inside], "before": np.sort(row[~inside])}


@pytest.mark.parametrize("within_days", [30, 90, 400])
def test_plan_pairs_equal_a_merge_on_the_account_ids(demo, within_days):
    """Rows shuffled (an account's rows apart and out of date order), some snapshot dates
    missing, decisions of accounts without rows: the same pairs as the merge, in its
    order."""
    import dataclasses

    table, _, judged = demo
    rng = np.random.default_rng(5)
    order = rng.permutation(len(table))
    snaps = table.snapshot_date[order].copy()
    snaps[rng.random(snaps.size) < 0.05] = np.datetime64("NaT")
    shuffled = type("T", (), {"account_id": table.account_id[order], "snapshot_date": snaps})()
    ids = judged.account_id.copy()
    ids[::17] = "no such account"
    decisions = dataclasses.replace(judged, account_id=ids)
    plan = drop_plan(shuffled, decisions, within_days)
    want = _merge_plan(shuffled, decisions, within_days)
    assert plan.inside_row.size > 1000 and plan.before_row.size > 100
    np.testing.assert_array_equal(plan.inside_decision, want["inside_decision"])
    np.testing.assert_array_equal(plan.inside_row, want["inside_row"])
    np.testing.assert_array_equal(plan.inside_snap, want["inside_snap"])
    np.testing.assert_array_equal(np.sort(plan.before_row), want["before"])
    assert plan.inside_decision.dtype == plan.inside_row.dtype == np.int64
