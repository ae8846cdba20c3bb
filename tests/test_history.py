"""Tests for calibration.history (trends, drops, band history), the point-in-time selection of
calibration.decisions on single-cycle frames, and calibration.early_warning (lead time)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.decisions import Decisions
from calibration.decisions import derive as point_in_time
from calibration.early_warning import lead_time
from calibration.history import (
    band_history,
    latest_rows,
    score_drops,
    score_trend,
)

T = pd.Timestamp
NAT = pd.NaT


def _frame(records: list[tuple]) -> pd.DataFrame:
    """Build a canonical frame from (account, snapshot, renewal, outcome, score) tuples."""
    frame = pd.DataFrame(
        records, columns=["account_id", "snapshot_date", "renewal_date", "outcome", "score"]
    )
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    frame["renewal_date"] = pd.to_datetime(frame["renewal_date"])
    frame["band"] = np.select(
        [frame["score"].isna(), frame["score"] < 40, frame["score"] < 70], [-1, 0, 1], 2
    ).astype("int8")
    return frame


def _monthly(account: str, months: range, renewal, outcome: str, score=80.0) -> list[tuple]:
    """Snapshots on the 1st of each month of 2024 in ``months``."""
    return [(account, T(2024, m, 1), renewal, outcome, score) for m in months]


@pytest.fixture
def portfolio() -> pd.DataFrame:
    """Six accounts over monthly 2024 snapshots; shuffled with a non-default index."""
    records = (
        # A renewed 2024-07-01: -90d = 2024-04-02 -> Apr 1; -30d = 2024-06-01 (boundary).
        _monthly("A", range(1, 7), T(2024, 7, 1), "renewed")
        # B churned 2024-06-15: -90d = 03-17 -> Mar 1; -30d = 05-16 -> May 1.
        # Its post-churn snapshots look terrible and must never be selected.
        + _monthly("B", range(1, 7), T(2024, 6, 15), "churned", 75.0)
        + _monthly("B", range(7, 13), T(2024, 6, 15), "churned", 5.0)
        # C churned 2024-02-15: -90d = 2023-11-17 -> nothing; -30d = 01-16 -> Jan 1.
        + _monthly("C", range(1, 3), T(2024, 2, 15), "churned")
        # D is open: counted, never judged.
        + _monthly("D", range(1, 7), T(2024, 12, 1), "open")
        # E renewed 2024-05-30: -90d = 2024-03-01 exactly (boundary); -30d = 04-30 -> Apr 1.
        + _monthly("E", range(1, 6), T(2024, 5, 30), "renewed")
        # F churned without a renewal date.
        + _monthly("F", range(1, 4), NAT, "churned")
    )
    frame = _frame(records).sample(frac=1, random_state=7)
    frame.index = frame.index * 10 + 3
    return frame


def _judged(frame: pd.DataFrame, pit: Decisions) -> dict[str, pd.Timestamp]:
    """Map account -> judged snapshot date."""
    picked = frame.iloc[pit.rows]
    return dict(zip(picked["account_id"], picked["snapshot_date"], strict=True))


def test_point_in_time_horizon_90(portfolio: pd.DataFrame) -> None:
    pit = point_in_time(portfolio, horizon_days=90)
    assert _judged(portfolio, pit) == {"A": T(2024, 4, 1), "B": T(2024, 3, 1), "E": T(2024, 3, 1)}
    assert pit.n_accounts == 6
    assert pit.n_decided == 5
    assert pit.n_open == 1
    assert pit.n_judged == 3
    assert pit.excluded_no_early_snapshot == ["C"]
    assert pit.excluded_no_renewal_date == ["F"]
    assert pit.horizon_days == 90
    assert not pit.cross_sectional
    assert list(pit.account_id) == ["A", "B", "E"]  # decisions sorted by account id


def test_point_in_time_horizon_30(portfolio: pd.DataFrame) -> None:
    pit = point_in_time(portfolio, horizon_days=30)
    assert _judged(portfolio, pit) == {
        "A": T(2024, 6, 1),  # exactly renewal - 30 days: allowed
        "B": T(2024, 5, 1),
        "C": T(2024, 1, 1),
        "E": T(2024, 4, 1),
    }
    assert pit.excluded_no_early_snapshot == []
    assert pit.excluded_no_renewal_date == ["F"]


@pytest.mark.parametrize("horizon", [0, 30, 90, 180])
def test_post_churn_snapshots_never_selected(portfolio: pd.DataFrame, horizon: int) -> None:
    picked = portfolio.iloc[point_in_time(portfolio, horizon).rows]
    assert (picked["snapshot_date"] <= picked["renewal_date"]).all()
    assert (picked.loc[picked["account_id"] == "B", "score"] == 75.0).all()


def test_describe_and_summary(portfolio: pd.DataFrame) -> None:
    pit = point_in_time(portfolio, 90)
    assert pit.describe() == (
        "Judged 3 renewal decisions as each account stood 90 days before its renewal; "
        "1 open account not validated; "
        "1 decision had no snapshot that early and was excluded; "
        "1 decision had no renewal date and was excluded."
    )
    summary = pit.summary()
    json.dumps(summary, allow_nan=False)
    assert summary["n_judged"] == 3
    assert summary["excluded_no_early_snapshot"] == ["C"]
    assert summary["description"] == pit.describe()


def test_describe_thousands_separator() -> None:
    empty = np.empty(0)
    pit = Decisions(np.array([f"a{i}" for i in range(2400)], dtype=object), empty, empty,
                    empty, empty, np.arange(2400), 90, False, "snapshots", 2847, 410, 0, 0,
                    [f"x{i}" for i in range(37)], [], [])
    assert pit.describe() == (
        "Judged 2,400 renewal decisions as each account stood 90 days before its renewal; "
        "410 open accounts not validated; "
        "37 decisions had no snapshot that early and were excluded."
    )


def test_point_in_time_ties_go_to_later_row() -> None:
    frame = _frame(
        [
            ("A", T(2024, 1, 1), T(2024, 6, 1), "renewed", 10.0),
            ("A", T(2024, 1, 1), T(2024, 6, 1), "renewed", 20.0),
        ]
    )
    assert list(point_in_time(frame).rows) == [1]


def test_account_facts_come_from_latest_row() -> None:
    frame = _frame(
        [
            ("A", T(2024, 3, 1), T(2024, 9, 1), "churned", 20.0),
            ("A", T(2024, 1, 1), NAT, "open", 50.0),
        ]
    )
    pit = point_in_time(frame)
    assert pit.n_decided == 1
    assert list(pit.rows) == [0]


def test_point_in_time_argument_checks(portfolio: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="horizon must be between 0 and 3,650 days"):
        point_in_time(portfolio, -1)
    with pytest.raises(ValueError, match="horizon must be a whole number of days"):
        point_in_time(portfolio, 1.5)
    with pytest.raises(ValueError, match="got 100,000"):
        point_in_time(portfolio, 100_000)
    with pytest.raises(ValueError, match="'renewal_date'"):
        point_in_time(portfolio.drop(columns="renewal_date"))
    bad = portfolio.assign(outcome=portfolio["outcome"].replace("churned", "lost"))
    with pytest.raises(ValueError, match=r"'outcome'.*lost"):
        point_in_time(bad)
    strings = portfolio.assign(snapshot_date=portfolio["snapshot_date"].astype(str))
    with pytest.raises(ValueError, match="'snapshot_date'"):
        point_in_time(strings)


def test_empty_frame() -> None:
    frame = _frame([])
    pit = point_in_time(frame)
    assert pit.n_judged == 0 and pit.n_accounts == 0
    assert len(latest_rows(frame)) == 0


# --- property test against a brute-force loop -------------------------------------------------

DAY = pd.Timedelta(days=1)
BASE = T(2024, 1, 1)


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """Random frames: per account 0-8 snapshots (duplicate dates allowed), shuffled rows."""
    records = []
    for i in range(draw(st.integers(1, 6))):
        outcome = draw(st.sampled_from(["churned", "renewed", "open"]))
        renewal_day = draw(st.one_of(st.none(), st.integers(0, 400)))
        renewal = NAT if renewal_day is None else BASE + renewal_day * DAY
        days = draw(st.lists(st.integers(0, 400), min_size=1, max_size=8))
        records += [(f"acct{i}", BASE + d * DAY, renewal, outcome, 50.0) for d in days]
    order = draw(st.permutations(range(len(records))))
    return _frame([records[k] for k in order]), draw(st.integers(0, 200))


def _brute_force(frame: pd.DataFrame, horizon: int) -> tuple[set[int], list, list]:
    """Per-account Python loop: latest (date, position) with date <= renewal - horizon."""
    rows, no_early, no_renewal = set(), [], []
    for account, group in frame.reset_index(drop=True).groupby("account_id"):
        outcome, renewal = group["outcome"].iloc[0], group["renewal_date"].iloc[0]
        if outcome == "open":
            continue
        if pd.isna(renewal):
            no_renewal.append(account)
            continue
        best = None
        for pos, snap in zip(group.index, group["snapshot_date"], strict=True):
            if snap <= renewal - horizon * DAY and (best is None or (snap, pos) > best):
                best = (snap, pos)
        if best is None:
            no_early.append(account)
        else:
            rows.add(best[1])
    return rows, sorted(no_early), sorted(no_renewal)


@settings(max_examples=200, deadline=None)
@given(frames())
def test_point_in_time_matches_brute_force(case: tuple[pd.DataFrame, int]) -> None:
    frame, horizon = case
    pit = point_in_time(frame, horizon)
    picked = frame.iloc[pit.rows]
    assert (picked["snapshot_date"] <= picked["renewal_date"] - horizon * DAY).all()
    assert picked["account_id"].is_unique
    for account, snap, renewal in zip(
        picked["account_id"], picked["snapshot_date"], picked["renewal_date"], strict=True
    ):
        own = frame.loc[frame["account_id"] == account, "snapshot_date"]
        later = own[(own > snap) & (own <= renewal - horizon * DAY)]
        assert later.empty
    rows, no_early, no_renewal = _brute_force(frame, horizon)
    assert set(pit.rows.tolist()) == rows
    assert pit.excluded_no_early_snapshot == no_early
    assert pit.excluded_no_renewal_date == no_renewal
    assert pit.n_judged + len(no_early) + len(no_renewal) == pit.n_decided


# --- cross-sectional mode ----------------------------------------------------------------------


def _cross_sectional() -> pd.DataFrame:
    return _frame(
        [
            ("A", NAT, T(2024, 3, 1), "churned", 20.0),
            ("B", NAT, NAT, "renewed", 90.0),
            ("C", NAT, T(2024, 9, 1), "open", 60.0),
        ]
    )


def test_cross_sectional_judges_each_decided_row() -> None:
    frame = _cross_sectional()
    pit = point_in_time(frame, 90)
    assert pit.cross_sectional
    assert pit.horizon_days is None
    assert list(pit.rows) == [0, 1]
    assert (pit.n_accounts, pit.n_decided, pit.n_open) == (3, 2, 1)
    assert pit.excluded_no_renewal_date == []
    assert "no horizon was applied" in pit.describe()
    json.dumps(pit.summary(), allow_nan=False)
    assert list(latest_rows(frame)) == [0, 1, 2]


def test_cross_sectional_without_snapshot_column() -> None:
    frame = _cross_sectional().drop(columns=["snapshot_date", "renewal_date"])
    pit = point_in_time(frame)
    assert pit.cross_sectional and list(pit.rows) == [0, 1]


def test_cross_sectional_duplicate_account_raises() -> None:
    frame = pd.concat([_cross_sectional(), _cross_sectional().iloc[[1]]], ignore_index=True)
    with pytest.raises(ValueError, match="'B' has 2 rows"):
        point_in_time(frame)


# --- latest_rows ---------------------------------------------------------------------------------


def test_latest_rows(portfolio: pd.DataFrame) -> None:
    latest = portfolio.iloc[latest_rows(portfolio)]
    assert dict(zip(latest["account_id"], latest["snapshot_date"], strict=True)) == {
        "A": T(2024, 6, 1),
        "B": T(2024, 12, 1),
        "C": T(2024, 2, 1),
        "D": T(2024, 6, 1),
        "E": T(2024, 5, 1),
        "F": T(2024, 3, 1),
    }


# --- score_trend ---------------------------------------------------------------------------------


def test_score_trend_hand_worked() -> None:
    records = [("A", BASE + 30 * k * DAY, NAT, "open", 80.0 - 5 * k) for k in range(5)]
    records += [("B", BASE, NAT, "open", 55.0)]
    records += [("C", BASE, NAT, "open", 40.0), ("C", BASE + 100 * DAY, NAT, "open", np.nan)]
    trend = score_trend(_frame(records), window_days=90).set_index("account_id")
    a = trend.loc["A"]
    # latest day 120 (60); earlier = latest at or before day 30 (75); slope over days 30..120.
    assert (a["latest_date"], a["latest_score"]) == (BASE + 120 * DAY, 60.0)
    assert (a["earlier_date"], a["earlier_score"]) == (BASE + 30 * DAY, 75.0)
    assert a["change"] == -15.0
    assert a["slope_per_30d"] == pytest.approx(-5.0)
    assert a["n_points"] == 4
    b = trend.loc["B"]
    assert b["latest_score"] == 55.0
    assert np.isnan(b["earlier_score"]) and np.isnan(b["change"]) and np.isnan(b["slope_per_30d"])
    c = trend.loc["C"]  # latest snapshot is unscored: latest_score NaN, earlier still found
    assert np.isnan(c["latest_score"]) and c["earlier_score"] == 40.0
    assert np.isnan(c["change"])


def test_score_trend_cross_sectional() -> None:
    trend = score_trend(_cross_sectional())
    assert trend["latest_score"].tolist() == [20.0, 90.0, 60.0]
    assert trend["slope_per_30d"].isna().all()


# --- score_drops ---------------------------------------------------------------------------------


def _series(account: str, points: list[tuple[int, float]]) -> list[tuple]:
    return [(account, BASE + d * DAY, NAT, "open", s) for d, s in points]


def test_score_drops_hand_worked() -> None:
    records = (
        # X: day 60 vs max(90@0, 85@30) -> 20; day 150 vs window [60, 150) -> 70@60 -> 30.
        _series("X", [(0, 90.0), (30, 85.0), (60, 70.0), (150, 40.0)])
        + _series("Y", [(0, 80.0), (90, 65.0)])  # distance exactly 90, drop exactly 15: kept
        + _series("Z", [(0, 80.0), (91, 60.0)])  # 91 days apart: outside the window
        + _series("W", [(0, 80.0), (30, 70.0)])  # drop 10 < 15
        + _series("V", [(0, 80.0), (10, np.nan), (20, 50.0)])  # NaN ignored
    )
    drops = score_drops(_frame(records), min_drop=15, within_days=90)
    assert drops.columns.tolist() == [
        "account_id",
        "from_date",
        "from_score",
        "to_date",
        "to_score",
        "drop",
    ]
    assert drops["account_id"].tolist() == ["V", "X", "Y"]
    x = drops.set_index("account_id").loc["X"]
    assert (x["from_date"], x["from_score"]) == (BASE + 60 * DAY, 70.0)
    assert (x["to_date"], x["to_score"], x["drop"]) == (BASE + 150 * DAY, 40.0, 30.0)
    y = drops.set_index("account_id").loc["Y"]
    assert (y["from_date"], y["to_date"], y["drop"]) == (BASE, BASE + 90 * DAY, 15.0)


def test_score_drops_same_day_not_compared_and_empty() -> None:
    frame = _frame(_series("S", [(0, 90.0), (0, 10.0)]))
    assert score_drops(frame).empty
    assert score_drops(_cross_sectional()).empty
    with pytest.raises(ValueError, match="min_drop"):
        score_drops(frame, min_drop=0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.integers(0, 300), st.integers(0, 100)), max_size=30
    ),
    st.integers(1, 120),
)
def test_score_drops_matches_brute_force(points: list, within: int) -> None:
    frame = _frame([(a, BASE + d * DAY, NAT, "open", float(s)) for a, d, s in points])
    drops = score_drops(frame, min_drop=15, within_days=within).set_index("account_id")
    expected = {}
    for a, d, s in points:
        prior = [s0 for a0, d0, s0 in points if a0 == a and d - within <= d0 < d]
        if prior and max(prior) - s >= 15:
            expected[a] = max(expected.get(a, 0), max(prior) - s)
    assert drops["drop"].to_dict() == expected


# --- lead_time -----------------------------------------------------------------------------------

CHURN = T(2024, 12, 31)


def _before(account: str, outcome: str, points: list[tuple[int, float]]) -> list[tuple]:
    """Snapshots ``days`` before CHURN (negative = after)."""
    return [(account, CHURN - d * DAY, CHURN, outcome, s) for d, s in points]


def _lead_frame() -> pd.DataFrame:
    red, yellow, green = 20.0, 50.0, 90.0
    return _frame(
        _before("L1", "churned", [(150, green), (120, red), (90, yellow), (60, red)])  # 120
        + _before("L2", "churned", [(100, green), (50, yellow)])  # never red
        + _before("L3", "churned", [(400, red), (200, green), (30, red)])  # 30 (400 outside)
        + _before("L4", "churned", [(20, green), (0, red), (-10, red)])  # red only at/after churn
        + _before("L5", "churned", [(365, red), (10, red)])  # exactly lookback: 365
        + _before("L6", "churned", [(-30, red)])  # no history before churn
        + _before("R1", "renewed", [(100, red)])  # not churned: ignored
        + [("L7", CHURN - 50 * DAY, NAT, "churned", red)]  # churned, no renewal date
    )


def test_lead_time_hand_worked() -> None:
    result = lead_time(_lead_frame(), lookback_days=365)
    json.dumps(result, allow_nan=False)
    assert result["n_churned"] == 7
    assert result["n_no_renewal_date"] == 1
    assert result["n_with_history"] == 5
    assert result["n_ever_red"] == 3
    assert result["n_never_red"] == 2
    assert result["median_days"] == 120.0
    assert result["p25_days"] == 75.0  # numpy linear: 30 + 0.5 * (120 - 30)
    assert result["p75_days"] == 242.5
    assert result["reason"] is None
    leads = {row["account_id"]: row["lead_days"] for row in result["per_account"]}
    assert leads == {
        "L1": 120,
        "L2": None,
        "L3": 30,
        "L4": None,
        "L5": 365,
        "L6": None,
        "L7": None,
    }
    dist = result["distribution"]
    assert dist[0] == {"from_days": 0, "to_days": 30, "accounts": 0}
    assert dist[-1] == {"from_days": 360, "to_days": 365, "accounts": 1}
    counts = {(b["from_days"], b["to_days"]): b["accounts"] for b in dist}
    assert counts[(30, 60)] == 1 and counts[(120, 150)] == 1
    assert sum(counts.values()) == 3


def test_lead_time_undefined_cases() -> None:
    none_churned = _lead_frame().query("outcome != 'churned'")
    result = lead_time(none_churned)
    assert result["n_churned"] == 0 and result["median_days"] is None and result["reason"]
    cross = lead_time(_cross_sectional())
    assert cross["n_churned"] == 1 and cross["median_days"] is None
    assert "Snapshot dates" in cross["reason"]
    never = lead_time(_lead_frame().query("account_id == 'L2'"))
    assert never["n_ever_red"] == 0 and never["median_days"] is None and never["reason"]
    for res in (result, cross, never):
        json.dumps(res, allow_nan=False)


# --- band_history --------------------------------------------------------------------------------


def test_band_history(portfolio: pd.DataFrame) -> None:
    hist = band_history(portfolio, "B")
    assert hist["snapshot_date"].is_monotonic_increasing
    assert len(hist) == 12
    assert hist["band_changed"].tolist() == [False] * 6 + [True] + [False] * 5
    assert {"score", "band", "outcome"} <= set(hist.columns)
    with pytest.raises(ValueError, match="'nope'"):
        band_history(portfolio, "nope")
