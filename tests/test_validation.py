"""Score drops and falling accounts, point in time, against hand-worked examples."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration.accounts import prepare
from calibration.config import ColumnRoles
from calibration.scoring import score_frame
from calibration.validation import drop_signal, falling_accounts, judged_rows
from tests.conftest import make_config

ROLES = ColumnRoles(account_id="id", snapshot_date="date", segment=None, arr="arr",
                    outcome="outcome", renewal_date="renewal", reference_label=None)


def table_with(usage: dict[str, list[float]], outcome: dict[str, str]):
    dates = pd.date_range("2025-01-31", periods=6, freq="ME")
    rows = [{"id": acc, "date": d, "usage": u, "tickets": 0, "outcome": outcome[acc],
             "renewal": pd.Timestamp("2025-09-30"), "arr": 1.0}
            for acc, values in usage.items() for d, u in zip(dates, values, strict=True)]
    config = make_config(columns=ROLES.model_dump())
    table = prepare(pd.DataFrame(rows), ROLES, config)
    return table, config


def test_drop_before_the_judge_date_counts_after_does_not():
    # judged 90 days before 2025-09-30 -> snapshot 2025-06-30 (the 6th, last one here)
    table, config = table_with({
        "early": [100, 100, 100, 40, 40, 40],   # 60-point fall in March->April: counts
        "flat": [80, 80, 80, 80, 80, 80],
        "late": [100, 100, 100, 100, 100, 100],
    }, {"early": "churned", "flat": "renewed", "late": "renewed"})
    result = score_frame(table.frame, config).result
    signal = drop_signal(table, result, judged_rows(table, 90), min_drop=15, within_days=90)
    # score = 0.6 * usage + 0.4 * 100 (no tickets): early falls 36 points
    assert signal["with_drop"] == {"accounts": 1, "churned": 1, "churn_rate": 1.0}
    assert signal["without_drop"] == {"accounts": 2, "churned": 0, "churn_rate": 0.0}
    # judged 180 days before renewal (the 2025-03-31 snapshot) the April fall is in the
    # future: it must not count
    early = drop_signal(table, result, judged_rows(table, 180), 15, 90)
    assert early["with_drop"]["accounts"] == 0


def test_falling_accounts_lists_open_accounts_only():
    table, config = table_with({
        "falling": [100, 100, 100, 90, 70, 50],
        "churner": [100, 100, 100, 90, 70, 50],
        "steady": [60, 60, 60, 60, 60, 60],
    }, {"falling": "open", "churner": "churned", "steady": "open"})
    result = score_frame(table.frame, config).result
    falling = falling_accounts(table, result, min_drop=10, window_days=90)
    assert list(falling["account_id"]) == ["falling"]
    # 90 days before 2025-06-30 -> the 2025-03-31 snapshot: usage 100 -> 50 = 30 points
    assert falling.loc[0, "change"] == pytest.approx(-30)


def test_lead_time_plan_scores_only_window_rows_and_equals_validate():
    """The Renewals page scores only the rows of a lead-time plan: overall and per segment it
    must report exactly what validate() does on every row, and the plan must leave rows out."""
    import numpy as np

    from calibration.accounts import load_accounts
    from calibration.config import load_config
    from calibration.early_warning import lead_time_from_bands
    from calibration.validation import lead_time_plan, validate
    from tests.conftest import DEMO_CONFIG, DEMO_DATA

    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    scored = score_frame(table.frame, config)
    evidence = validate(table, config, scored, include_logit=False, include_factors=False)
    band = scored.result.band
    plan, rows = lead_time_plan(table, 365)
    assert 0 < len(rows) < len(table) // 2  # only the churned accounts' windows
    overall = {k: v for k, v in evidence["lead_time_days"].items() if k != "red_at_judge_date"}
    assert lead_time_from_bands(plan, band[rows]) == overall
    assert evidence["segments"]
    for name, segment in evidence["segments"].items():
        plan, rows = lead_time_plan(table, 365, name)
        assert lead_time_from_bands(plan, band[rows]) == segment["lead_time_days"]
    # a different band on the window rows changes the answer (the rows are the ones used)
    plan, rows = lead_time_plan(table, 365)
    all_red = lead_time_from_bands(plan, np.zeros(len(rows), dtype=np.int64))
    assert all_red["n_never_red"] == 0 != overall["n_never_red"]
