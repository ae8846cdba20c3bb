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
