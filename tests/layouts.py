"""One generated renewal history, written out in every data layout the app must read.

``history(seed)`` draws accounts with monthly snapshots and one or two renewal cycles (renewed
then churned or renewed again; some cycles still open), and returns the snapshot rows with
each row's cycle plus the true decisions. The ``layout_*`` functions render the same history
the ways real exports look. Tests check that every layout is judged identically, against an
independent pandas selection (:func:`expected_decisions`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2023-01-31")
END = pd.Timestamp("2025-06-30")
ROLES = {"account_id": "account", "snapshot_date": "as_of", "segment": None, "arr": "arr",
         "outcome": "status", "renewal_date": "renews_on", "reference_label": None,
         "open_values": ["open", "", "pending"]}


def config_dict() -> dict:
    """A two-factor config on the generated columns."""
    return {
        "schema_version": 1, "name": "layouts", "columns": ROLES,
        "factors": [
            {"name": "usage", "column": "usage", "weight": 70,
             "rule": {"kind": "linear", "lo": 0, "hi": 100}},
            {"name": "tickets", "column": "tickets", "weight": 30,
             "direction": "lower_is_better", "rule": {"kind": "linear", "lo": 0, "hi": 10}},
        ],
    }


def history(seed: int = 0, n_accounts: int = 160) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Snapshot rows (account, as_of, usage, tickets, arr, cycle renewal date and outcome,
    ``last_of_cycle``) and the true decisions (account, renewal_date, outcome, arr)."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(START, END, freq="ME")
    rows, decisions = [], []
    for i in range(n_accounts):
        account = f"ACC-{i:04d}"
        first = int(rng.integers(0, 10))
        renewal = months[first] + pd.Timedelta(days=int(rng.integers(200, 420)))
        arr = float(rng.integers(5, 200) * 1000)
        health = rng.normal()
        cycles = []
        while renewal <= END + pd.Timedelta(days=200):
            decided = renewal <= END - pd.Timedelta(days=15)
            churn = decided and rng.random() < 1 / (1 + np.exp(1.2 * health + 0.8))
            outcome = ("churned" if churn else "renewed") if decided else "open"
            cycles.append((renewal, outcome, arr))
            if outcome != "renewed":
                break
            renewal = renewal + pd.Timedelta(days=365)
            arr = round(arr * float(rng.uniform(0.9, 1.3)), -2)
        for renewal_date, outcome, cycle_arr in cycles:
            if outcome != "open":
                decisions.append((account, renewal_date, outcome, cycle_arr))
        gone = cycles[-1][0] if cycles[-1][1] == "churned" else None
        for month in months[first:]:
            if gone is not None and month > gone + pd.Timedelta(days=45):
                break
            k = next((j for j, c in enumerate(cycles) if month <= c[0]), len(cycles) - 1)
            renewal_date, outcome, cycle_arr = cycles[k]
            trend = -0.4 if outcome == "churned" else 0.1
            to_renewal = (renewal_date - month).days / 30
            usage = 55 + 15 * health + trend * (12 - to_renewal) * 3 + rng.normal(0, 8)
            tickets = max(0.0, 3 - health + rng.normal(0, 1.5))
            if gone is not None and month > gone:
                usage, tickets = 0.0, 9.0  # after churn the data looks terrible
            rows.append((account, month, round(float(np.clip(usage, 0, 100)), 1),
                         round(tickets, 1), cycle_arr, renewal_date, outcome))
    frame = pd.DataFrame(rows, columns=["account", "as_of", "usage", "tickets", "arr",
                                        "renews_on", "status"])
    key = frame.groupby(["account", "renews_on"])["as_of"].transform("max")
    frame["last_of_cycle"] = frame["as_of"] == key
    truth = pd.DataFrame(decisions, columns=["account_id", "renewal_date", "outcome", "arr"])
    return frame, truth


def _snapshots(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["last_of_cycle"]).reset_index(drop=True)


def layout_repeated(frame: pd.DataFrame) -> pd.DataFrame:
    """Outcome and renewal date of the row's cycle on every row."""
    return _snapshots(frame)


def layout_last_row_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Outcome only on the last row of each cycle; earlier rows blank."""
    out = frame.copy()
    out.loc[~out["last_of_cycle"], "status"] = ""
    return _snapshots(out)


def layout_pending(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows say 'pending' until the decision, which the cycle's last row carries."""
    out = frame.copy()
    out.loc[~out["last_of_cycle"], "status"] = "pending"
    return _snapshots(out)


def layout_renewals_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Snapshots without outcome columns, and a renewals table (one row per cycle, open
    cycles included, in a scrambled order, under the CRM's own column names)."""
    snapshots = _snapshots(frame).drop(columns=["status", "renews_on"])
    cycles = frame.groupby(["account", "renews_on"], as_index=False).agg(
        status=("status", "last"), arr=("arr", "last"))
    cycles = cycles.sample(frac=1, random_state=3).reset_index(drop=True)
    return snapshots, cycles


def shuffled(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """The same rows in a random order."""
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def with_mixed_offsets(frame: pd.DataFrame) -> pd.DataFrame:
    """Snapshot dates as text: the same UTC midnight written as '...Z', '+02:00', '-05:00'
    and plain dates, mixed within the column."""
    out = frame.copy()
    stamps = pd.to_datetime(out["as_of"])
    forms = np.arange(len(out)) % 4
    text = np.where(forms == 0, stamps.dt.strftime("%Y-%m-%dT00:00:00Z"), "")
    plus2 = (stamps + pd.Timedelta(hours=2)).dt.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    minus5 = (stamps - pd.Timedelta(hours=5)).dt.strftime("%Y-%m-%dT%H:%M:%S-05:00")
    text = np.where(forms == 1, plus2, text)
    text = np.where(forms == 2, minus5, text)
    text = np.where(forms == 3, stamps.dt.strftime("%Y-%m-%d"), text)
    out["as_of"] = text
    return out


def with_local_time_zone(frame: pd.DataFrame, zone: str = "America/New_York") -> pd.DataFrame:
    """Snapshot dates as timezone-aware values in a local zone (same UTC instants), the way a
    Parquet export from a warehouse keeps them."""
    out = frame.copy()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.tz_localize("UTC").dt.tz_convert(zone)
    return out


def expected_decisions(snapshots: pd.DataFrame, truth: pd.DataFrame, horizon: int
                       ) -> pd.DataFrame:
    """Independent selection: per true decision, the account's latest snapshot dated on or
    before renewal date - horizon (decisions without one dropped)."""
    snaps = snapshots[["account", "as_of"]].rename(columns={"account": "account_id"})
    snaps = snaps.assign(as_of=pd.to_datetime(snaps["as_of"]))
    merged = truth.assign(judge_date=truth["renewal_date"] - pd.Timedelta(days=horizon)).merge(
        snaps, on="account_id")
    merged = merged[merged["as_of"] <= merged["judge_date"]]
    picked = merged.sort_values("as_of").groupby(["account_id", "renewal_date"]).tail(1)
    return picked.sort_values(["account_id", "renewal_date"]).reset_index(drop=True)
