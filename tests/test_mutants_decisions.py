"""Renewal decisions against an independent slow reference on small random histories, plus
hand-worked edge cases: cross-sectional data, horizon limits, the sentences (mutation-testing
kills)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import decisions
from calibration.decisions import check_horizon, decided_renewals, derive
from tests.decisions_reference import random_history, reference
from tests.test_decisions import _frame as dated_frame

HORIZONS = (0, 29, 31)


def _ns(dates) -> list[int | None]:
    return [None if pd.isna(d) else pd.Timestamp(d).value for d in dates]


def _same(got: decisions.Decisions, want: dict, case: str) -> None:
    expected = want["decisions"]
    assert got.account_id.tolist() == [d[0] for d in expected], case
    assert _ns(got.renewal_date) == _ns([d[1] for d in expected]), case
    assert _ns(got.judge_date) == _ns([d[2] for d in expected]), case
    assert got.outcome.tolist() == [d[3] for d in expected], case
    np.testing.assert_array_equal(got.arr, [d[4] for d in expected], err_msg=case)
    assert got.rows.tolist() == [d[5] for d in expected], case
    for name in ("n_accounts", "n_open", "n_open_renewals", "n_conflicting",
                 "excluded_no_early_snapshot", "excluded_no_renewal_date",
                 "excluded_no_snapshots", "cross_sectional"):
        assert getattr(got, name) == want[name], (case, name)
    assert got.churned.tolist() == [d[3] == "churned" for d in expected], case
    assert got.n_decided == len(want["every"]), case


def _same_every(got: pd.DataFrame, want: list, case: str) -> None:
    assert got["account_id"].tolist() == [d[0] for d in want], case
    assert _ns(got["renewal_date"]) == _ns([d[1] for d in want]), case
    assert got["outcome"].tolist() == [d[2] for d in want], case
    np.testing.assert_array_equal(got["arr"], [d[3] for d in want], err_msg=case)


@pytest.mark.parametrize("kind", ["snapshots", "renewals table", "cross-sectional",
                                  "cross-sectional renewals table"])
def test_random_histories_match_the_reference(kind):
    rng = np.random.default_rng(sum(map(ord, kind)))
    cross = kind.startswith("cross")
    for case in range(30):
        snapshots, renewals = random_history(rng, renewals_table="renewals" in kind,
                                             cross_sectional=cross)
        for horizon in (31,) if cross else HORIZONS:
            label = f"{kind} case {case} horizon {horizon}"
            got = derive(snapshots, horizon, renewals=renewals)
            want = reference(snapshots, horizon, renewals)
            _same(got, want, label)
            assert got.horizon_days == (None if want["cross_sectional"] else horizon), label
            assert got.source == ("snapshots" if renewals is None else "renewals table")
        _same_every(decided_renewals(snapshots, renewals), want["every"], label)


def test_cross_sectional_data_judges_each_row_and_takes_its_arr():
    frame = pd.DataFrame({"account_id": ["a", "b", "c"],
                          "outcome": ["churned", "renewed", "open"],
                          "arr": [10.0, 20.0, 30.0]})
    judged = derive(frame)
    assert list(judged.rows) == [0, 1]  # row 0 is a real row, not "none"
    np.testing.assert_array_equal(judged.arr, [10.0, 20.0])
    assert judged.horizon_days is None and judged.n_open == 1
    assert np.isnat(judged.judge_date).all()
    assert "on each account's only snapshot" in judged.describe()
    summary = judged.summary()
    assert summary["first_judge_date"] is None and summary["n_judged_accounts"] == 2


@pytest.mark.parametrize("n_rows", [2, 3])
def test_undated_data_with_several_rows_for_an_account_is_refused(n_rows):
    frame = pd.DataFrame({"account_id": ["a"] + ["b"] * n_rows,
                          "outcome": ["churned"] + ["renewed"] * n_rows})
    with pytest.raises(ValueError, match=rf"account_id 'b' has {n_rows} rows"):
        derive(frame)


@pytest.mark.parametrize("horizon", [0, 1, 3649, 3650])
def test_horizon_limits_are_inclusive(horizon):
    assert check_horizon(horizon) == horizon
    assert check_horizon(np.int64(horizon)) == horizon


@pytest.mark.parametrize("bad", [-1, 3651, 2.0, True, False, None, "30"])
def test_horizons_outside_the_limits_are_refused(bad):
    with pytest.raises(ValueError, match="horizon"):
        check_horizon(bad)


def test_the_default_horizon_is_ninety_days():
    frame = pd.DataFrame({
        "account_id": ["a", "a", "a"],
        "snapshot_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        "renewal_date": pd.to_datetime(["2024-04-01"] * 3), "outcome": ["renewed"] * 3})
    # 2024-04-01 - 90 days = 2024-01-02 (2024 is a leap year)
    assert list(derive(frame).rows) == [1]
    assert str(derive(frame).judge_date[0])[:10] == "2024-01-02"


def test_arr_at_stake_is_the_last_known_on_or_before_the_renewal():
    frame = dated_frame([("a", "2024-01-01", "2024-03-01", "churned", 100.0),
                    ("a", "2024-03-01", "2024-03-01", "churned", 120.0),
                    ("a", "2024-04-01", "2024-03-01", "churned", 0.0)])  # after the churn
    judged = derive(frame, 31)
    assert list(judged.rows) == [0] and list(judged.arr) == [120.0]
    assert decided_renewals(frame)["arr"].tolist() == [120.0]


def test_the_sentences_say_what_was_judged_and_left_out():
    frame = dated_frame([("a", "2024-01-01", "2024-03-01", "churned", 1.0),
                    ("b", "2024-02-15", "2024-03-01", "renewed", 1.0),
                    ("c", "2024-01-01", None, "renewed", 1.0),
                    ("d", "2024-02-15", "2024-03-01", "renewed", 1.0)])
    one_day = derive(frame, 1).describe()
    assert one_day.startswith("Judged 3 renewal decisions as each account stood 1 day before")
    text = derive(frame, 29).describe()
    assert text.startswith("Judged 1 renewal decision as each account stood 29 days before "
                           "its renewal;")
    assert "2 decisions had no snapshot that early and were excluded" in text
    assert "1 decision had no renewal date and was excluded" in text
    assert " of " not in text.split(";")[0]  # one decision of one account
    assert derive(frame, 0).describe().startswith(
        "Judged 3 renewal decisions as each account stood on its renewal date")
    renewals = pd.DataFrame({"account_id": ["a", "a", "z"],
                             "renewal_date": pd.to_datetime(["2024-03-01", "2024-05-01",
                                                             "2024-03-01"]),
                             "outcome": ["renewed", "churned", "churned"]})
    table_text = derive(frame.drop(columns=["outcome", "renewal_date"]), 0,
                        renewals=renewals).describe()
    assert table_text.startswith("Judged 2 renewal decisions of 1 account (from the renewals "
                                 "table) as each account stood on its renewal date")
    assert "1 decision had no snapshot at all (renewals table only) and was excluded" in (
        table_text)
    summary = derive(frame, 29).summary()
    assert summary["first_judge_date"] == "2024-02-01"
    assert summary["last_renewal_date"] == "2024-03-01"


def test_judged_rows_are_read_only():
    frame = dated_frame([("a", "2024-01-01", "2024-03-01", "churned", 1.0)])
    with pytest.raises(ValueError, match="read-only"):
        derive(frame, 0).rows[0] = 5


def test_an_empty_renewals_table_leaves_every_account_open():
    snapshots = dated_frame([("a", "2024-01-01", None, None, 1.0),
                        ("b", "2024-02-01", None, None, 2.0)]).drop(
        columns=["renewal_date", "outcome"])
    empty = pd.DataFrame({"account_id": pd.Series([], dtype=object),
                          "renewal_date": pd.Series([], dtype="datetime64[ns]"),
                          "outcome": pd.Series([], dtype=object),
                          "arr": pd.Series([], dtype=float)})
    judged = derive(snapshots, 30, renewals=empty)
    assert (judged.n_judged, judged.n_open, judged.n_open_renewals, judged.n_conflicting,
            judged.n_decided) == (0, 2, 0, 0, 0)
    assert judged.describe().startswith("Judged 0 renewal decisions (from the renewals table)")
    assert len(decided_renewals(snapshots, empty)) == 0


def test_one_dated_snapshot_judges_only_the_renewals_it_precedes():
    frame = dated_frame([("a", "2024-03-01", "2024-04-01", "renewed", 5.0),
                    ("b", None, "2024-04-01", "churned", 6.0)])
    judged = derive(frame, 31)  # judge date 2024-03-01: a's snapshot is just in time
    assert list(judged.account_id) == ["a"] and list(judged.rows) == [0]
    assert judged.excluded_no_early_snapshot == ["b"]
    assert derive(frame, 32).excluded_no_early_snapshot == ["a", "b"]
