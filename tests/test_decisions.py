"""Hand-worked renewal decisions: conflicts, open cycles, renewals-table joins, ARR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.decisions import decided_renewals, derive

T = pd.Timestamp


def _frame(records):
    frame = pd.DataFrame(records, columns=["account_id", "snapshot_date", "renewal_date",
                                           "outcome", "arr"])
    for column in ("snapshot_date", "renewal_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_cycles_conflicts_open_renewals_and_arr_at_stake():
    frame = _frame([
        # A: renewed 2024-03-31 (ARR 100 -> 150 at renewal), churned 2025-03-31
        ("A", "2023-10-31", "2024-03-31", "", 100.0),
        ("A", "2024-03-31", "2024-03-31", "renewed", 100.0),
        ("A", "2024-09-30", "2025-03-31", "open", 150.0),
        ("A", "2025-03-31", "2025-03-31", "churned", 150.0),
        # B: its rows disagree about the same renewal: the latest row (churned) wins
        ("B", "2024-01-31", "2024-06-30", "renewed", 10.0),
        ("B", "2024-02-29", "2024-06-30", "churned", 10.0),
        # C: still open (two rows of one open cycle: one open renewal)
        ("C", "2024-01-31", "2024-12-31", "open", 5.0),
        ("C", "2024-02-29", "2024-12-31", "", 5.0),
    ]).sample(frac=1, random_state=4)
    judged = derive(frame, horizon_days=90)
    assert list(judged.account_id) == ["A", "A", "B"]
    assert list(judged.outcome) == ["renewed", "churned", "churned"]
    assert list(judged.renewal_date.astype("datetime64[D]").astype(str)) == [
        "2024-03-31", "2025-03-31", "2024-06-30"]
    assert list(judged.judge_date.astype("datetime64[D]").astype(str)) == [
        "2024-01-01", "2024-12-31", "2024-04-01"]
    picked = frame.iloc[judged.rows]["snapshot_date"].dt.strftime("%Y-%m-%d").tolist()
    assert picked == ["2023-10-31", "2024-09-30", "2024-02-29"]
    np.testing.assert_array_equal(judged.arr, [100.0, 150.0, 10.0])
    assert (judged.n_accounts, judged.n_open, judged.n_open_renewals,
            judged.n_conflicting) == (3, 1, 1, 1)
    assert "1 renewal had conflicting outcomes" in judged.describe()
    assert "3 renewal decisions of 2 accounts" in judged.describe()


def test_renewals_table_joins_by_account_and_lists_unknown_accounts():
    snapshots = _frame([("A", "2024-01-31", None, None, 1.0),
                        ("A", "2024-06-30", None, None, 2.0),
                        ("B", "2024-01-31", None, None, 3.0)])
    renewals = pd.DataFrame({
        "account_id": ["A", "B", "Z", "B"],
        "renewal_date": pd.to_datetime(["2024-09-30", "2024-05-15", "2024-05-15",
                                        "2025-05-15"]),
        "outcome": ["churned", "renewed", "churned", "open"],
        "arr": [500.0, np.nan, 9.0, 1.0]})
    judged = derive(snapshots, 90, renewals=renewals)
    assert judged.source == "renewals table"
    assert list(judged.account_id) == ["A", "B"]
    np.testing.assert_array_equal(judged.arr, [500.0, 3.0])  # table's ARR, else snapshots'
    assert judged.excluded_no_snapshots == ["Z"]
    assert judged.n_open_renewals == 1 and judged.n_open == 0
    everything = decided_renewals(snapshots, renewals)
    assert list(everything["account_id"]) == ["A", "B", "Z"]


def test_decided_rows_without_a_renewal_date():
    frame = _frame([("A", "2024-01-31", None, "churned", 1.0),
                    ("B", "2024-01-31", None, "churned", 1.0),
                    ("B", "2024-02-29", "2024-09-30", "churned", 1.0)])
    judged = derive(frame, 30)
    assert judged.excluded_no_renewal_date == ["A"]  # B's undated row joins its decision
    assert list(judged.account_id) == ["B"]


@pytest.mark.parametrize("bad", [-1, 3651, 2.5, True, "90"])
def test_bad_horizons_are_refused_with_a_message(bad):
    frame = _frame([("A", "2024-01-31", "2024-09-30", "churned", 1.0)])
    with pytest.raises(ValueError, match="horizon"):
        derive(frame, bad)


@pytest.mark.parametrize("seed", range(4))
def test_cycle_order_is_the_four_key_lexsort(seed):
    """The one-key stable sort orders rows as np.lexsort((position, order, renewal, key)):
    ties on every key, missing dates (the smallest int64), dates before 1970."""
    from calibration.decisions import _cycle_order

    rng = np.random.default_rng(seed)
    n = 5_000
    nat = np.iinfo(np.int64).min
    key = rng.integers(0, 300, n)
    dates = np.array([nat, -86_400 * 10**9, 0, 5 * 10**17, 10**18], dtype=np.int64)
    renewal = rng.choice(dates, n)
    order = rng.choice(dates[::-1], n) if seed % 2 else np.zeros(n, dtype=np.int64)
    expected = np.lexsort((np.arange(n), order, renewal, key))
    np.testing.assert_array_equal(_cycle_order(key, renewal, order), expected)
    # keys too many for one int64 key: the lexsort itself
    wide = rng.integers(0, 2**40, n)
    spread = rng.integers(-2**60, 2**60, n)
    np.testing.assert_array_equal(_cycle_order(wide, spread, spread[::-1].copy()),
                                  np.lexsort((np.arange(n), spread[::-1], spread, wide)))
    assert _cycle_order(key[:0], renewal[:0], order[:0]).size == 0


def test_decided_renewals_with_the_callers_account_codes():
    """Handing over the account codes already found gives the same decisions."""
    from calibration.history import account_codes

    frame = _frame([
        ("B", "2024-01-31", "2024-06-30", "renewed", 10.0),
        ("A", "2023-10-31", "2024-03-31", "", 100.0),
        ("A", "2024-03-31", "2024-03-31", "renewed", 100.0),
        ("B", "2024-05-31", "2024-06-30", "churned", 10.0),
        ("A", "2025-03-31", "2025-03-31", "churned", 150.0),
    ])
    for with_arr in (True, False):
        pd.testing.assert_frame_equal(
            decided_renewals(frame, with_arr=with_arr, codes=account_codes(frame)),
            decided_renewals(frame, with_arr=with_arr))
    assert decided_renewals(frame)["account_id"].tolist() == ["A", "A", "B"]
