"""What the Renewals page's background jobs skip changes nothing: decided renewals without
their ARR are the same decisions."""

from __future__ import annotations

import pandas as pd

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.decisions import decided_renewals
from tests.conftest import DEMO_CONFIG, DEMO_DATA


def test_decided_renewals_without_arr_are_the_same_decisions():
    table = load_accounts(DEMO_DATA, load_config(DEMO_CONFIG))
    frame = table.canonical()
    full = decided_renewals(frame)
    lean = decided_renewals(frame, with_arr=False)
    assert "arr" in full.columns and "arr" not in lean.columns
    pd.testing.assert_frame_equal(lean, full.drop(columns="arr"))
    assert (lean["outcome"] == "churned").any() and (lean["outcome"] == "renewed").any()


def _mixed_history():
    """Two accounts, monthly snapshots; the churned one's look-back rows hold only the
    numbers 1.0 of an object column that also holds text: read as a whole the column is
    text ("1.0": no mapping key, default 100 points, green), read alone those rows are
    numbers ("1": 0 points, red)."""
    import numpy as np

    from tests.conftest import make_config

    months = pd.date_range("2025-01-31", periods=12, freq="ME")
    frame = pd.DataFrame({
        "id": ["a"] * 12 + ["b"] * 12,
        "snapshot_date": list(months) * 2,
        "renewal_date": pd.Timestamp("2026-01-15"),
        "outcome": ["renewed"] * 12 + ["churned"] * 12,
        "arr": 1000.0,
        "tier": pd.Series(["gold"] * 12 + [1.0] * 12, dtype=object),
        "usage": np.linspace(40, 60, 24)})
    config = make_config(
        columns={"account_id": "id", "snapshot_date": "snapshot_date", "segment": None,
                 "arr": "arr", "outcome": "outcome", "renewal_date": "renewal_date",
                 "reference_label": None},
        factors=[{"name": "tier", "column": "tier", "weight": 100,
                  "rule": {"kind": "mapping", "points": {"1": 0, "gold": 60},
                           "default": 100}}])
    return frame, config


def test_lead_time_of_an_object_column_is_every_row_scoring():
    from calibration.accounts import prepare
    from calibration.evidence_words import ALL_ACCOUNTS
    from calibration.scoring import score_frame
    from calibration.validation import validate
    from ui import renewal_evidence, state

    frame, config = _mixed_history()
    table = prepare(frame, config.columns, config)
    assert not state.row_by_row(table.frame, config)
    subset = score_frame(table.frame.iloc[12:], config).result.band
    assert (subset == 0).all()  # alone, the churned account's rows read as red: the trap
    horizon = 30
    view = state._judged_view("mixed-history", config.columns.model_dump_json(), horizon,
                              table)
    evaluation = state._evaluate("mixed-history", config.cache_key(), horizon, "", view,
                                 table, config, {})
    lead = renewal_evidence.lead_time(evaluation, ALL_ACCOUNTS)
    want = validate(table, config, score_frame(table.frame, config), horizon_days=horizon,
                    include_logit=False, include_factors=False)["lead_time_days"]
    assert lead["n_churned"] == 1 and lead["n_never_red"] == 1  # green all along
    assert {k: v for k, v in lead.items() if k != "red_at_judge_date"} == {
        k: v for k, v in want.items() if k != "red_at_judge_date"}


def test_factor_correlations_equal_pair_by_pair():
    """The factor table's correlation matrix with centred columns reused equals _pair_r
    on every pair, bit for bit (columns with and without missing values, a constant one)."""
    import numpy as np

    from calibration.metrics.factors import _pair_r, factor_signal

    rng = np.random.default_rng(3)
    n = 4_001
    base = rng.normal(size=n)
    points = np.column_stack([
        np.clip(base * 15 + 50, 0, 100), np.clip(base * 14 + rng.normal(size=n) + 45, 0, 100),
        rng.uniform(0, 100, n), np.full(n, 70.0), rng.uniform(0, 100, n),
        rng.uniform(0, 100, n)])
    points[rng.random(n) < 0.1, 4] = np.nan  # one column with missing values
    points[:, 5] = np.where(rng.random(n) < 0.5, np.nan, points[:, 5])
    churned = rng.random(n) < 0.2
    names = [f"f{j}" for j in range(points.shape[1])]
    got = factor_signal(points, names, churned)["correlation"]
    k = len(names)
    want = [[_pair_r(points[:, i], points[:, j]) for j in range(k)] for i in range(k)]
    for i in range(k):
        want[i][i] = 1.0 if want[i][i] is not None else None
    assert got == want  # exact floats, None where undefined
    assert got[0][1] > 0.8 and got[3][0] is None and got[4][0] is not None
