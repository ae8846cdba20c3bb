"""An independent, deliberately slow reference for :mod:`calibration.decisions`.

Plain Python over pandas rows, written from the documented rules (module docstring of
``calibration.decisions``), sharing no code with it: a decided renewal cycle is one account's
decided rows with one renewal date; the row with the latest snapshot (then the later row
position) gives the outcome; the decision is judged on the account's latest dated snapshot on
or before renewal date - horizon; its ARR is the renewals table's, else the last known ARR on
a dated snapshot on or before the renewal date, else the judged row's. Used by
tests/test_mutants_decisions.py on small random histories full of ties and gaps.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DECIDED = ("churned", "renewed")
DATES = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
# renewal dates one or two months after a snapshot date: horizons 0, 29 (2024 is a leap
# year) and 31 land exactly on snapshot dates, so "on or before" is tested at the boundary
RENEWALS = pd.to_datetime(["2024-03-01", "2024-04-01", "2024-05-01", "2024-06-15"])
IDS = ["A", "B", "C10", "C2", "D", "E"]  # "C10" sorts before "C2" as text
OUTCOMES = ["churned", "renewed", "open", "", None]


def _status(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "open"
    text = str(value).strip()
    return "open" if text == "" else text


def _is_nat(value) -> bool:
    return value is None or pd.isna(value)


def _key(date) -> int:
    """Sort key of a date with NaT first."""
    return -(2**63) if _is_nat(date) else pd.Timestamp(date).value


def reference(snapshots: pd.DataFrame, horizon: int, renewals: pd.DataFrame | None = None
              ) -> dict:
    """What ``derive(snapshots, horizon, renewals)`` must return, field by field, and under
    ``every`` what ``decided_renewals(snapshots, renewals)`` must return."""
    snaps = [dict(pos=i, **row) for i, row in enumerate(snapshots.to_dict("records"))]
    for row in snaps:
        row.setdefault("snapshot_date", pd.NaT)
        row.setdefault("arr", np.nan)
    cross = all(_is_nat(r["snapshot_date"]) for r in snaps)
    accounts = list(dict.fromkeys(r["account_id"] for r in snaps))
    table = snaps if renewals is None else [
        dict(pos=i, **row) for i, row in enumerate(renewals.to_dict("records"))]
    for row in table:
        row["status"] = _status(row["outcome"])
        row.setdefault("renewal_date", pd.NaT)
    decided = [r for r in table if r["status"] in DECIDED]
    has_dated = {r["account_id"] for r in decided if not _is_nat(r["renewal_date"])}
    used = [r for r in decided if cross or not _is_nat(r["renewal_date"])
            or r["account_id"] not in has_dated]
    cycles: dict[tuple, list] = {}
    for r in used:
        cycles.setdefault((r["account_id"], _key(r["renewal_date"])), []).append(r)
    conflicting = sum(len({r["status"] for r in rows}) > 1 for rows in cycles.values())

    def order(r):
        return (r["pos"],) if renewals is not None else (_key(r["snapshot_date"]), r["pos"])

    out, every = [], []
    excluded = {"early": [], "no_date": [], "no_snaps": []}
    for (account, _), rows in sorted(cycles.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        last = max(rows, key=order)
        renewal = last["renewal_date"]
        mine = [s for s in snaps if s["account_id"] == account]
        arr = last.get("arr", np.nan) if renewals is not None else np.nan
        arr = np.nan if arr is None or pd.isna(arr) else float(arr)
        if math.isnan(arr) and mine and not cross and not _is_nat(renewal):
            known = [s for s in mine if not _is_nat(s["snapshot_date"])
                     and s["snapshot_date"] <= renewal and not pd.isna(s["arr"])]
            if known:
                arr = float(max(known, key=lambda s: (s["snapshot_date"], s["pos"]))["arr"])
        every.append((account, renewal, last["status"], arr))
        if not mine:
            excluded["no_snaps"].append(account)
            continue
        if _is_nat(renewal) and not cross:
            excluded["no_date"].append(account)
            continue
        if cross:
            judge, judged = pd.NaT, mine[-1]
        else:
            judge = pd.Timestamp(renewal) - pd.Timedelta(days=horizon)
            early = [s for s in mine if not _is_nat(s["snapshot_date"])
                     and s["snapshot_date"] <= judge]
            if not early:
                excluded["early"].append(account)
                continue
            judged = max(early, key=lambda s: (s["snapshot_date"], s["pos"]))
        if math.isnan(arr) and not pd.isna(judged["arr"]):
            arr = float(judged["arr"])
        out.append((account, renewal, judge, last["status"], arr, judged["pos"]))
    open_pairs = {(r["account_id"], _key(r["renewal_date"])) for r in table
                  if r["status"] not in DECIDED and not _is_nat(r["renewal_date"])}
    judged_accounts = {r["account_id"] for r in used}
    return {
        "decisions": out,  # (account, renewal, judge date, outcome, arr, judged row)
        "every": every,  # every decided cycle: (account, renewal, outcome, arr at stake)
        "n_accounts": len(accounts),
        "n_open": sum(a not in judged_accounts for a in accounts),
        "n_open_renewals": len(open_pairs - set(cycles)),
        "n_conflicting": conflicting,
        "excluded_no_early_snapshot": sorted(excluded["early"], key=str),
        "excluded_no_renewal_date": sorted(excluded["no_date"], key=str),
        "excluded_no_snapshots": sorted(excluded["no_snaps"], key=str),
        "cross_sectional": cross,
    }


def random_history(rng: np.random.Generator, renewals_table: bool = False,
                   cross_sectional: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A small random snapshot table (and renewals table) with ties, gaps and blanks."""
    ids = list(rng.choice(IDS, int(rng.integers(1, len(IDS) + 1)), replace=False))
    records = []
    for account in ids:
        n_rows = 1 if cross_sectional else int(rng.integers(1, 6))
        for _ in range(n_rows):
            records.append({
                "account_id": account,
                "snapshot_date": pd.NaT if cross_sectional or rng.random() < 0.08
                else DATES[rng.integers(len(DATES))],
                "renewal_date": pd.NaT if rng.random() < 0.2
                else RENEWALS[rng.integers(len(RENEWALS))],
                "outcome": OUTCOMES[rng.integers(len(OUTCOMES))],
                "arr": np.nan if rng.random() < 0.3 else float(rng.integers(1, 100)),
            })
    order = rng.permutation(len(records))
    snapshots = pd.DataFrame([records[i] for i in order])
    snapshots["snapshot_date"] = pd.to_datetime(snapshots["snapshot_date"])
    snapshots["renewal_date"] = pd.to_datetime(snapshots["renewal_date"])
    if not renewals_table:
        return snapshots, None
    snapshots = snapshots.drop(columns=["renewal_date", "outcome"])
    table = []
    for account in [*ids, "Z"]:  # Z has no snapshot at all
        for _ in range(int(rng.integers(0, 4))):
            table.append({
                "account_id": account,
                "renewal_date": pd.NaT if rng.random() < 0.15
                else RENEWALS[rng.integers(len(RENEWALS))],
                "outcome": OUTCOMES[rng.integers(len(OUTCOMES))],
                "arr": np.nan if rng.random() < 0.4 else float(rng.integers(100, 200)),
            })
    renewals = pd.DataFrame(table, columns=["account_id", "renewal_date", "outcome", "arr"])
    renewals["renewal_date"] = pd.to_datetime(renewals["renewal_date"])
    return snapshots, renewals
