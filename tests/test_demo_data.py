"""Tests for the seeded demo dataset (``data/generate_demo.py`` and the shipped parquet)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
PARQUET = DATA_DIR / "demo_accounts.parquet"
WINDOW_START = pd.Timestamp("2024-11-30")
WINDOW_END = pd.Timestamp("2026-10-31")
RENEWAL_CUTOFF = pd.Timestamp("2025-04-30")

EXPECTED_DTYPES = {
    "account_id": "str",
    "account_name": "str",
    "snapshot_date": "datetime64[ns]",
    "segment": "str",
    "lifecycle_stage": "str",
    "arr": "float64",
    "contract_start": "datetime64[ns]",
    "renewal_date": "datetime64[ns]",
    "outcome": "str",
    "licensed_seats": "int64",
    "active_users": "int64",
    "active_user_pct": "float64",
    "logins_30d": "int64",
    "top_user_share_pct": "float64",
    "feature_adoption_pct": "float64",
    "open_tickets": "int64",
    "unresolved_tickets_30d": "int64",
    "escalations_90d": "int64",
    "nps": "float64",
    "csat": "float64",
    "late_invoices_90d": "int64",
    "exec_sponsor": "bool",
    "champion_change_90d": "bool",
    "csm_assessment": "str",
    "reference_label": "str",
}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_demo", DATA_DIR / "generate_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_parquet(PARQUET)


@pytest.fixture(scope="module")
def accounts(demo: pd.DataFrame) -> pd.DataFrame:
    """Per-account summary used to recognise the failure modes from the columns alone."""
    adopted = demo[demo["lifecycle_stage"] == "Adopted"].groupby("account_id")
    by_acc = demo.groupby("account_id")

    def sponsor_lost(s: pd.Series) -> bool:
        v = s.to_numpy()
        return bool(v.any() and (~v[int(np.argmax(v)) :]).any())

    out = pd.DataFrame(
        {
            "outcome": by_acc["outcome"].first(),
            "renewal_date": by_acc["renewal_date"].first(),
            "top_share_median": adopted["top_user_share_pct"].median(),
            "unresolved_min": adopted["unresolved_tickets_30d"].min(),
            "active_pct_median": adopted["active_user_pct"].median(),
            "adoption_median": adopted["feature_adoption_pct"].median(),
            "sponsor_always": adopted["exec_sponsor"].all(),
            "sponsor_lost": by_acc["exec_sponsor"].agg(sponsor_lost),
        }
    )
    out["power_user"] = out["top_share_median"] >= 55
    out["polite_exit"] = out["unresolved_min"] >= 2
    out["quiet_embedded"] = (
        (out["active_pct_median"] < 30)
        & (out["adoption_median"] >= 60)
        & out["sponsor_always"].fillna(False).astype(bool)
    )
    return out


def _churn_rate(frame: pd.DataFrame) -> float:
    decided = frame[frame["outcome"] != "open"]
    return float((decided["outcome"] == "churned").mean())


def _auc_low_score_churns(score: np.ndarray, churned: np.ndarray) -> float:
    """ROC AUC of 'lower score means churn' (rank formula via Mann-Whitney U)."""
    keep = ~np.isnan(score)
    score, churned = score[keep], churned[keep]
    u = mannwhitneyu(score[~churned], score[churned]).statistic
    return float(u / ((~churned).sum() * churned.sum()))


def _linear(x: pd.Series, lo: float, hi: float) -> np.ndarray:
    return np.clip((x.to_numpy(dtype=float) - lo) / (hi - lo), 0.0, 1.0) * 100.0


# ---------------------------------------------------------------- generator


def test_generator_is_deterministic() -> None:
    first = gen.generate_demo(n_accounts=300)
    second = gen.generate_demo(n_accounts=300)
    pd.testing.assert_frame_equal(first, second)
    other = gen.generate_demo(n_accounts=300, seed=1)
    assert not first.equals(other)


def test_small_frame_keeps_escaping_test_names() -> None:
    small = gen.generate_demo(n_accounts=300)
    assert small["account_id"].nunique() == 300
    names = small.drop_duplicates("account_id")["account_name"]
    assert (names == '<script>alert("x")</script> Labs').sum() == 1
    assert names.str.startswith("=").sum() == 1


def test_shipped_parquet_matches_generator(demo: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(demo, gen.generate_demo())


# ---------------------------------------------------------------- schema


def test_schema_and_dtypes(demo: pd.DataFrame) -> None:
    assert list(demo.columns) == list(EXPECTED_DTYPES)
    for column, expected in EXPECTED_DTYPES.items():
        if expected == "str":
            assert pd.api.types.is_string_dtype(demo[column]), column
            assert demo[column].map(type).eq(str).all(), column
        else:
            assert str(demo[column].dtype) == expected, column
    assert not demo.drop(columns=["nps", "csat"]).isna().any().any()
    assert not demo.duplicated(["account_id", "snapshot_date"]).any()


def test_dates_and_lifecycle(demo: pd.DataFrame) -> None:
    snaps = demo["snapshot_date"]
    assert snaps.min() == WINDOW_START and snaps.max() == WINDOW_END
    assert snaps.dt.is_month_end.all()
    assert snaps.nunique() == 24
    assert (snaps > demo["contract_start"]).all()
    tenure = (snaps - demo["contract_start"]).dt.days
    expected = np.where(tenure < 90, "Onboarding", "Adopted")
    assert (demo["lifecycle_stage"].to_numpy() == expected).all()
    # New customers exist: some accounts start inside the window.
    starts = demo.groupby("account_id")["contract_start"].first()
    assert 0.2 < (starts > WINDOW_START).mean() < 0.5


def test_renewal_date_is_first_anniversary_after_cutoff(demo: pd.DataFrame) -> None:
    acc = demo.drop_duplicates("account_id")
    start, renewal = acc["contract_start"], acc["renewal_date"]
    assert (renewal > RENEWAL_CUTOFF).all()
    assert (renewal.dt.month == start.dt.month).all()
    assert (renewal.dt.day == start.dt.day).all()
    assert (renewal.dt.year > start.dt.year).all()
    previous = renewal - pd.DateOffset(years=1)
    assert ((previous <= RENEWAL_CUTOFF) | (previous == start)).all()


def test_value_ranges(demo: pd.DataFrame) -> None:
    assert demo["account_id"].str.fullmatch(r"ACC-\d{5}").all()
    assert set(demo["segment"]) == {"Enterprise", "Mid-market", "SMB"}
    assert set(demo["outcome"]) == {"renewed", "churned", "open"}
    assert set(demo["csm_assessment"]) == {"red", "yellow", "green"}
    assert set(demo["reference_label"]) == {"", "known_healthy", "known_struggling"}
    assert (demo["arr"] > 0).all()
    assert (demo["licensed_seats"] > 0).all()
    assert (demo["active_users"] >= 0).all()
    assert (demo["active_users"] <= demo["licensed_seats"]).all()
    pct = demo["active_users"] / demo["licensed_seats"] * 100
    np.testing.assert_allclose(demo["active_user_pct"], pct, atol=0.01)
    for column in ["active_user_pct", "top_user_share_pct", "feature_adoption_pct"]:
        assert demo[column].between(0, 100).all(), column
    for column in [
        "logins_30d",
        "open_tickets",
        "unresolved_tickets_30d",
        "escalations_90d",
        "late_invoices_90d",
    ]:
        assert (demo[column] >= 0).all(), column
    assert (demo["unresolved_tickets_30d"] <= demo["open_tickets"]).all()
    assert demo["nps"].dropna().between(0, 10).all()
    assert demo["csat"].dropna().between(1, 5).all()
    assert 0.38 < demo["nps"].isna().mean() < 0.52
    assert 0.20 < demo["csat"].isna().mean() < 0.30


def test_account_attributes_and_test_names(demo: pd.DataFrame) -> None:
    constant = ["account_name", "segment", "contract_start", "renewal_date", "outcome"]
    assert (demo.groupby("account_id")[constant].nunique() == 1).all().all()
    assert (demo.groupby("account_id")["reference_label"].nunique() == 1).all()
    acc = demo.drop_duplicates("account_id")
    assert acc["account_name"].is_unique
    assert (acc["account_name"] == '<script>alert("x")</script> Labs').sum() == 1
    assert acc["account_name"].str.startswith("=").sum() == 1
    shares = acc["segment"].value_counts(normalize=True)
    assert shares["Enterprise"] == pytest.approx(0.15, abs=0.03)
    assert shares["Mid-market"] == pytest.approx(0.35, abs=0.04)
    assert shares["SMB"] == pytest.approx(0.50, abs=0.04)
    first = demo.groupby("account_id").first()
    medians = first.groupby("segment")["arr"].median()
    assert medians["Enterprise"] == pytest.approx(150_000, rel=0.25)
    assert medians["Mid-market"] == pytest.approx(40_000, rel=0.25)
    assert medians["SMB"] == pytest.approx(8_000, rel=0.25)
    labelled = (acc["reference_label"] != "").mean()
    assert 0.05 < labelled < 0.11


def test_reference_labels_mostly_but_not_perfectly_right(demo: pd.DataFrame) -> None:
    acc = demo.drop_duplicates("account_id")
    acc = acc[acc["outcome"] != "open"]
    healthy = acc[acc["reference_label"] == "known_healthy"]
    struggling = acc[acc["reference_label"] == "known_struggling"]
    assert _churn_rate(healthy) < _churn_rate(acc) < _churn_rate(struggling)
    assert _churn_rate(struggling) > 0.5
    # Not perfect: at least one label contradicts the outcome.
    wrong = (healthy["outcome"] == "churned").sum() + (struggling["outcome"] == "renewed").sum()
    assert wrong > 0


# ---------------------------------------------------------------- outcomes


def test_outcomes(demo: pd.DataFrame) -> None:
    acc = demo.groupby("account_id").agg(
        outcome=("outcome", "first"),
        renewal=("renewal_date", "first"),
        last=("snapshot_date", "max"),
    )
    assert ((acc["outcome"] == "open") == (acc["renewal"] > WINDOW_END)).all()
    assert 0.15 < (acc["outcome"] == "open").mean() < 0.25
    assert 0.13 <= _churn_rate(acc) <= 0.18
    churned = acc[acc["outcome"] == "churned"]
    assert (churned["last"] <= churned["renewal"]).all()
    assert ((churned["renewal"] - churned["last"]).dt.days < 31).all()
    kept = acc[acc["outcome"] != "churned"]
    assert (kept["last"] == WINDOW_END).all()


def test_no_snapshot_after_churn(demo: pd.DataFrame) -> None:
    churned = demo[demo["outcome"] == "churned"]
    assert (churned["snapshot_date"] <= churned["renewal_date"]).all()


def test_churners_deteriorate_before_renewal(demo: pd.DataFrame) -> None:
    decided = demo[demo["outcome"] != "open"]
    months_left = (decided["renewal_date"] - decided["snapshot_date"]).dt.days / 30.4
    late = decided[months_left < 3].groupby("account_id")["feature_adoption_pct"].mean()
    early = decided[months_left.between(7, 12)].groupby("account_id")["feature_adoption_pct"]
    change = (late - early.mean()).dropna()
    outcome = decided.groupby("account_id")["outcome"].first().reindex(change.index)
    assert change[outcome == "churned"].median() < change[outcome == "renewed"].median() - 5


# ---------------------------------------------------------------- failure modes


def test_failure_modes_exist(accounts: pd.DataFrame) -> None:
    n = len(accounts)
    for mode, share in [
        ("power_user", 0.08),
        ("polite_exit", 0.07),
        ("sponsor_lost", 0.08),
        ("quiet_embedded", 0.10),
    ]:
        assert accounts[mode].sum() == pytest.approx(share * n, rel=0.35), mode


def test_failure_mode_churn_ordering(accounts: pd.DataFrame) -> None:
    modes = ["power_user", "polite_exit", "sponsor_lost", "quiet_embedded"]
    rest = accounts[~accounts[modes].any(axis=1)]
    rest_rate = _churn_rate(rest)
    rates = {mode: _churn_rate(accounts[accounts[mode]]) for mode in modes}
    for mode in ["power_user", "polite_exit", "sponsor_lost"]:
        assert rates[mode] > 0.3, (mode, rates)
        assert rates[mode] > 2 * rest_rate, (mode, rates, rest_rate)
    assert rates["sponsor_lost"] > rates["power_user"]
    assert rates["quiet_embedded"] < 0.10
    assert rates["quiet_embedded"] < rest_rate < _churn_rate(accounts)


def test_failure_mode_signatures(demo: pd.DataFrame, accounts: pd.DataFrame) -> None:
    power = demo[demo["account_id"].isin(accounts.index[accounts["power_user"]])]
    assert power["top_user_share_pct"].between(60, 90).all()
    others = demo[demo["account_id"].isin(accounts.index[~accounts["power_user"]])]
    adopted = others[others["lifecycle_stage"] == "Adopted"]
    assert adopted["top_user_share_pct"].median() < 35
    assert (power["logins_30d"] / power["active_users"]).median() > 2 * (
        others["logins_30d"] / others["active_users"]
    ).median()

    polite = demo[demo["account_id"].isin(accounts.index[accounts["polite_exit"]])]
    polite_adopted = polite[polite["lifecycle_stage"] == "Adopted"]
    # Identified from the columns, so allow the odd look-alike generic account.
    assert polite_adopted["unresolved_tickets_30d"].between(2, 6).mean() > 0.95
    assert polite["nps"].dropna().between(6, 8).mean() > 0.95
    assert polite["csm_assessment"].isin(["green", "yellow"]).mean() > 0.7

    lost_ids = accounts.index[accounts["sponsor_lost"] & (accounts["outcome"] != "open")]
    lost = demo[demo["account_id"].isin(lost_ids)]
    first_false = lost[~lost["exec_sponsor"]].groupby("account_id")["snapshot_date"].min()
    renewal = lost.groupby("account_id")["renewal_date"].first()
    months_before = (renewal - first_false).dt.days / 30.4
    assert months_before.between(0.5, 9).all()
    flip_rows = lost.merge(first_false.rename("flip"), left_on="account_id", right_index=True)
    assert flip_rows.loc[
        flip_rows["snapshot_date"] == flip_rows["flip"], "champion_change_90d"
    ].all()
    assert lost["csm_assessment"].isin(["green", "yellow"]).mean() > 0.7

    quiet = accounts[accounts["quiet_embedded"]]
    assert quiet["active_pct_median"].median() < 25
    assert quiet["adoption_median"].median() > 70


# ---------------------------------------------------------------- design target


def test_naive_score_sees_less_than_a_better_one(demo: pd.DataFrame) -> None:
    decided = demo[demo["outcome"] != "open"]
    cutoff = decided["renewal_date"] - pd.Timedelta(days=90)
    judged = decided[decided["snapshot_date"] <= cutoff].groupby("account_id").last()
    assert len(judged) == decided["account_id"].nunique()
    churned = (judged["outcome"] == "churned").to_numpy()

    csm = judged["csm_assessment"].map({"red": 0.0, "yellow": 50.0, "green": 100.0})
    gut = (
        0.4 * _linear(judged["active_user_pct"], 20, 80)
        + 0.3 * (100 - _linear(judged["open_tickets"], 0, 8))
        + 0.3 * csm.to_numpy()
    )
    parts = [
        (0.35, _linear(judged["feature_adoption_pct"], 10, 80)),
        (0.20, judged["exec_sponsor"].to_numpy(dtype=float) * 100),
        (0.15, 100 - _linear(judged["top_user_share_pct"], 35, 75)),
        (0.15, 100 - _linear(judged["unresolved_tickets_30d"], 0, 3)),
        (0.10, _linear(judged["nps"], 4, 9)),  # NaN when unanswered: skipped below
        (0.05, 100 - _linear(judged["late_invoices_90d"], 0, 2)),
    ]
    num = sum(w * np.nan_to_num(v, nan=0.0) for w, v in parts)
    den = sum(w * ~np.isnan(v) for w, v in parts)
    better = num / den

    gut_auc = _auc_low_score_churns(gut, churned)
    better_auc = _auc_low_score_churns(better, churned)
    assert 0.60 <= gut_auc <= 0.72, gut_auc
    assert 0.76 <= better_auc <= 0.87, better_auc
    assert better_auc - gut_auc > 0.08
