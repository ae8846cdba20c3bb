"""Seeded demo dataset for the Health Score Calibrator.

Generates monthly health snapshots (one row per account per month end) for a fictional
B2B SaaS customer base over a 24-month window, together with each account's renewal
outcome. Outcomes follow from hidden drivers (a latent "value realised" per account and a
handful of failure modes) that a naive health score only partly sees:

* **power user** - one person drives most of the activity, breadth is low;
* **polite exit** - stable usage, lukewarm NPS, tickets that never get resolved;
* **sponsor lost** - the executive sponsor leaves 2-8 months before renewal;
* **quiet embedded** - low logins but deep integrations; these accounts renew.

Run ``python data/generate_demo.py`` to (re)write ``data/demo_accounts.parquet``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SEED = 20261123
DEFAULT_N_ACCOUNTS = 3000

WINDOW_START = np.datetime64("2024-11-30", "D")
WINDOW_END = np.datetime64("2026-10-31", "D")
#: The renewal decision is the first contract anniversary strictly after this date.
RENEWAL_CUTOFF = np.datetime64("2025-04-30", "D")
SNAPSHOT_DATES = pd.date_range("2024-11-30", periods=24, freq="ME")
ONBOARDING_DAYS = 90

OUTPUT_FILE = "demo_accounts.parquet"

XSS_NAME = '<script>alert("x")</script> Labs'
CSV_INJECTION_NAME = "=HYPERLINK Holdings"

SEGMENTS = np.array(["Enterprise", "Mid-market", "SMB"])
SEGMENT_SHARES = np.array([0.15, 0.35, 0.50])
ARR_MEDIAN = np.array([150_000.0, 40_000.0, 8_000.0])
ARR_SIGMA = np.array([0.55, 0.50, 0.55])
PRICE_PER_SEAT = np.array([380.0, 480.0, 520.0])

# Hidden account types (not a column: the app has to discover them from the signals).
GENERIC, POWER_USER, POLITE_EXIT, SPONSOR_LOST, QUIET_EMBEDDED = range(5)
TYPE_NAMES = np.array(["generic", "power_user", "polite_exit", "sponsor_lost", "quiet_embedded"])
# Type probabilities by segment (rows: Enterprise, Mid-market, SMB). Power users are a
# small-team phenomenon; deep integrations and formal exec sponsors are more common upmarket.
TYPE_PROBS = np.array(
    [
        [0.0, 0.02, 0.07, 0.12, 0.14],
        [0.0, 0.09, 0.07, 0.11, 0.12],
        [0.0, 0.10, 0.07, 0.08, 0.07],
    ]
)
TYPE_PROBS[:, GENERIC] = 1.0 - TYPE_PROBS.sum(axis=1)

COLUMNS = [
    "account_id",
    "account_name",
    "snapshot_date",
    "segment",
    "lifecycle_stage",
    "arr",
    "contract_start",
    "renewal_date",
    "outcome",
    "licensed_seats",
    "active_users",
    "active_user_pct",
    "logins_30d",
    "top_user_share_pct",
    "feature_adoption_pct",
    "open_tickets",
    "unresolved_tickets_30d",
    "escalations_90d",
    "nps",
    "csat",
    "late_invoices_90d",
    "exec_sponsor",
    "champion_change_90d",
    "csm_assessment",
    "reference_label",
]


def _words(text: str) -> list[str]:
    """Split a whitespace-separated word list."""
    return text.split()


_NAME_FIRST = _words(
    "Acme Apex Arbor Atlas Aurora Beacon Birch Blue Bright Brook Cascade Cedar Cinder Clear "
    "Cobalt Comet Copper Coral Crest Crimson Crystal Delta Drift Echo Ember Evergreen "
    "Falcon Fern Forge Fox Granite Harbor Hawk Helix Horizon Indigo Iron Jade Juniper "
    "Keystone Lark Linden Lumen Maple Marble Meadow Meridian Mesa Nimbus North Oak Onyx "
    "Orbit Pine Pioneer Polar Prairie Quartz Quill Raven Redwood Ridge River Sage Sierra "
    "Silver Slate Solar Sparrow Spruce Stone Summit Tidal Timber True Vector Vista Willow "
    "Zenith"
)
_NAME_SECOND = _words(
    "Analytics Bio Capital Cloud Dynamics Energy Foods Freight Health Insights Labs "
    "Learning Logistics Media Metrics Mobility Networks Partners Pay Retail Robotics "
    "Security Software Solutions Systems Telecom Therapeutics Travel Ventures Works Biotech "
    "Commerce Data Devices Digital Foundry Industries Interactive Manufacturing Materials"
)
_NAME_SUFFIX = np.array(["", "", "", " Inc.", " LLC", " Group", " Co.", " GmbH", " Ltd"])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    """Inverse of the logistic function."""
    return float(np.log(p / (1.0 - p)))


def _zscore(x: np.ndarray) -> np.ndarray:
    """Standardise to mean 0, standard deviation 1."""
    return (x - x.mean()) / x.std()


def _company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Build ``n`` unique, plausible company names plus the two escaping test cases.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of names (at least 2).

    Returns
    -------
    numpy.ndarray
        Array of ``n`` distinct names, exactly one of which is ``XSS_NAME`` and one
        ``CSV_INJECTION_NAME``.
    """
    pairs = np.array([f"{a} {b}" for a in _NAME_FIRST for b in _NAME_SECOND], dtype=object)
    order = rng.permutation(len(pairs))
    picked = pairs[order[np.arange(n) % len(pairs)]]
    # Beyond the number of word pairs (3,160), disambiguate with a running number.
    rounds = np.arange(n) // len(pairs)
    picked = np.where(rounds > 0, picked + " " + (rounds + 1).astype(str), picked)
    names = picked + _NAME_SUFFIX[rng.integers(0, len(_NAME_SUFFIX), n)]
    special = rng.choice(n, size=2, replace=False)
    names[special[0]] = XSS_NAME
    names[special[1]] = CSV_INJECTION_NAME
    return names


def _contract_starts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw contract start dates: established customers plus new logos during the window.

    About two thirds of accounts started before the window (2019-2024); the rest are new
    customers signing between December 2024 and September 2026, with sign-ups growing over
    time. Days are drawn from 1-28 so anniversaries always exist.
    """
    is_new = rng.random(n) < 0.34
    # Established: any month from 2019-01 to 2024-10.
    old_month = rng.integers(0, 70, n)
    # New: 2024-12 (offset 71) .. 2026-09 (offset 92), linearly growing weights.
    weights = 1.0 + np.arange(22) / 21.0
    new_month = 71 + rng.choice(22, size=n, p=weights / weights.sum())
    month = np.where(is_new, new_month, old_month)
    first_of_month = np.datetime64("2019-01", "M") + month
    day = rng.integers(0, 28, n)
    return first_of_month.astype("datetime64[D]") + day


def _renewal_dates(start: np.ndarray) -> np.ndarray:
    """First contract anniversary strictly later than ``RENEWAL_CUTOFF``."""
    years = start.astype("datetime64[Y]").astype(int) + 1970
    month_day = start - start.astype("datetime64[M]").astype("datetime64[D]")
    months = start.astype("datetime64[M]").astype(int) % 12
    after_cutoff_in_year = months >= 4  # May or later: anniversary in 2025 is past cutoff
    year = np.maximum(years + 1, np.where(after_cutoff_in_year, 2025, 2026))
    month_start = (np.asarray(year - 1970) * 12 + months).astype("datetime64[M]")
    return month_start.astype("datetime64[D]") + month_day


def generate_demo(n_accounts: int = DEFAULT_N_ACCOUNTS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generate the seeded demo snapshot table.

    Parameters
    ----------
    n_accounts : int, default 3000
        Number of customer accounts.
    seed : int, default 20261123
        Seed for ``numpy.random.default_rng``; the same seed gives an identical frame.

    Returns
    -------
    pandas.DataFrame
        One row per account per month-end snapshot, sorted by ``account_id`` and
        ``snapshot_date``, with the columns listed in ``COLUMNS``.
    """
    return _generate(n_accounts, seed)[0]


def _generate(n_accounts: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Generate the demo frame and each account's hidden type (for diagnostics only).

    Parameters
    ----------
    n_accounts : int, default 3000
        Number of customer accounts.
    seed : int, default 20261123
        Seed for ``numpy.random.default_rng``; the same seed gives an identical frame.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        The snapshot frame (see :func:`generate_demo`) and the hidden account type
        indexed by ``account_id``.
    """
    if n_accounts < 2:
        raise ValueError("n_accounts must be at least 2")
    rng = np.random.default_rng(seed)
    n = n_accounts

    # ------------------------------------------------------------------ accounts
    names = _company_names(rng, n)
    seg = rng.choice(3, size=n, p=SEGMENT_SHARES)
    arr0 = np.round(ARR_MEDIAN[seg] * np.exp(rng.normal(0.0, ARR_SIGMA[seg])), -2)
    seats0 = np.maximum(
        5, np.round(arr0 / PRICE_PER_SEAT[seg] * np.exp(rng.normal(0, 0.25, n)))
    ).astype(np.int64)
    start = _contract_starts(rng, n)
    renewal = _renewal_dates(start)
    is_new = start >= WINDOW_START
    decided = renewal <= WINDOW_END

    # Hidden type; a lost sponsor must be visible inside the window, otherwise generic.
    cum = np.cumsum(TYPE_PROBS[seg], axis=1)
    acc_type = np.minimum((rng.random(n)[:, None] >= cum).sum(axis=1), QUIET_EMBEDDED)
    flip_months = rng.integers(2, 9, n)
    flip_date = (renewal.astype("datetime64[M]") - flip_months).astype("datetime64[D]") + (
        renewal - renewal.astype("datetime64[M]").astype("datetime64[D]")
    )
    flip_visible = (
        (flip_date <= WINDOW_END - 31) & (flip_date > WINDOW_START) & (flip_date >= start + 120)
    )
    acc_type[(acc_type == SPONSOR_LOST) & ~flip_visible] = GENERIC
    is_pu = acc_type == POWER_USER
    is_pe = acc_type == POLITE_EXIT
    is_sl = acc_type == SPONSOR_LOST
    is_qe = acc_type == QUIET_EMBEDDED

    # Latent value realised drives (noisily) most account-level baselines.
    value = rng.normal(0.0, 1.0, n)
    onboard_fail = is_new & (rng.random(n) < _sigmoid(-1.4 - 0.8 * value))
    ap_base = -0.25 + 0.65 * value + rng.normal(0, 0.45, n)  # logit of active-user share
    fa_base = -0.35 + 0.75 * value + rng.normal(0, 0.45, n)  # logit of feature adoption
    ap_base[onboard_fail] -= 1.0
    fa_base[onboard_fail] -= 1.0
    ap_base[is_pu] = np.maximum(ap_base[is_pu], 0.0) + rng.normal(0.2, 0.3, is_pu.sum())
    fa_base[is_pu] = rng.normal(-1.3, 0.35, is_pu.sum())
    ap_base[is_qe] = rng.normal(-2.0, 0.35, is_qe.sum())
    fa_base[is_qe] = rng.normal(1.3, 0.35, is_qe.sum())
    ap_base[is_pe | is_sl] = 0.5 * ap_base[is_pe | is_sl] + 0.3
    login_rate = 11.0 * np.exp(0.25 * value + rng.normal(0, 0.25, n))
    login_rate[is_qe] = rng.uniform(3.0, 5.5, is_qe.sum())
    top_share_base = np.clip(
        np.array([14.0, 20.0, 27.0])[seg] + rng.normal(0, 4.0, n) - 2.0 * value, 9.0, 36.0
    )
    top_share_base[is_pu] = rng.uniform(63.0, 86.0, is_pu.sum())
    power_logins = rng.uniform(250.0, 600.0, n)

    nps_base = np.clip(7.2 + 1.2 * value + rng.normal(0, 0.8, n), 0.5, 9.8)
    nps_base[is_pe] = rng.uniform(6.4, 7.6, is_pe.sum())
    nps_base[is_qe] = np.maximum(nps_base[is_qe], 7.0)
    nps_resp = np.clip(rng.beta(5.5, 4.5, n) + 0.05 * value, 0.05, 0.95)
    nps_resp[is_pe] *= 0.75
    csat_base = np.clip(4.0 + 0.4 * value + rng.normal(0, 0.3, n), 1.5, 5.0)

    sponsor = rng.random(n) < _sigmoid(0.35 + 0.7 * value + np.array([0.8, 0.2, -0.5])[seg])
    sponsor[is_qe | is_sl] = True
    late_log = np.log(np.array([0.08, 0.12, 0.18])[seg]) - 0.55 * value + rng.normal(0, 0.6, n)
    esc_log = np.log(np.array([0.45, 0.25, 0.10])[seg]) - 0.45 * value + rng.normal(0, 0.5, n)
    esc_log[is_pe] -= 1.0  # polite: they don't escalate, they just leave
    ticket_log = np.log(np.array([2.6, 1.5, 0.8])[seg]) - 0.35 * value + rng.normal(0, 0.4, n)
    unresolved_p = np.clip(rng.beta(2, 12, n) - 0.03 * value, 0.01, 0.4)
    unresolved_base = rng.integers(2, 6, n)  # polite exits only

    # Churn: logistic in hidden drivers.
    drivers = (
        -0.85 * _zscore(fa_base)
        - 0.45 * _zscore(nps_base)
        - 0.30 * _zscore(csat_base)
        - 0.70 * sponsor
        - 0.45 * _zscore(ap_base)
        + 0.40 * _zscore(late_log)
        + 0.25 * _zscore(esc_log)
        + 1.30 * onboard_fail
    )
    logit = -3.9 + drivers + rng.normal(0, 0.4, n)
    for mask, rate, weight in (
        (is_pu, 0.40, 0.35),
        (is_pe, 0.43, 0.35),
        (is_sl, 0.50, 0.35),
        (is_qe, 0.04, 0.25),
    ):
        if mask.any():
            logit[mask] = _logit(rate) + weight * (drivers[mask] - drivers[mask].mean())
    churned = decided & (rng.random(n) < _sigmoid(logit))
    outcome = np.where(~decided, "open", np.where(churned, "churned", "renewed"))

    # Most churners deteriorate over the last 3-6 months before the renewal decision.
    det_prob = np.array([0.85, 0.75, 0.40, 0.30, 0.60])[acc_type]
    deteriorates = churned & (rng.random(n) < det_prob)
    det_days = rng.integers(3, 7, n) * 30.4

    # ------------------------------------------------------------------ snapshots
    month_end = SNAPSHOT_DATES.values.astype("datetime64[D]")
    first_idx = np.searchsorted(month_end, start, side="right")
    last_idx = np.where(churned, np.searchsorted(month_end, renewal, side="right") - 1, 23)
    n_snap = last_idx - first_idx + 1
    offsets = np.concatenate([[0], np.cumsum(n_snap)[:-1]])
    total = int(n_snap.sum())
    a = np.repeat(np.arange(n), n_snap)  # account index of each row
    pos = np.arange(total) - offsets[a]  # position within the account's history
    snap = month_end[first_idx[a] + pos]
    tenure = (snap - start[a]).astype(np.int64)
    to_renewal = (renewal[a] - snap).astype(np.int64)

    d = np.where(deteriorates[a], np.clip(1.0 - to_renewal / det_days[a], 0.0, 1.0), 0.0)
    ramp = np.clip(0.35 + tenure / 150.0, 0.0, 1.0)
    renewed_row = (outcome[a] == "renewed") & (snap > renewal[a])

    def walk(scale: float) -> np.ndarray:
        """Per-account random walk (resets at each account's first snapshot)."""
        steps = rng.normal(0.0, scale, total)
        cs = np.cumsum(steps)
        return cs - (cs[offsets] - steps[offsets])[a]

    # Contract size; renewed accounts expand a little at renewal.
    uplift = rng.uniform(1.0, 1.15, n)
    arr = np.where(renewed_row, np.round(arr0[a] * uplift[a], -2), arr0[a])
    seats = np.where(
        renewed_row, np.round(seats0[a] * np.sqrt(uplift[a])).astype(np.int64), seats0[a]
    )

    ap_logit = ap_base[a] + walk(0.08) + rng.normal(0, 0.15, total) - 1.3 * d
    ap_logit += np.log(ramp)
    active = np.clip(np.round(seats * _sigmoid(ap_logit)), 3, seats).astype(np.int64)
    active_pct = active / seats * 100.0

    share_floor = np.maximum(100.0 / active + 3.0, 6.0)
    top_share = np.where(
        is_pu[a],
        np.clip(top_share_base[a] + rng.normal(0, 3.0, total), 60.0, 90.0),
        np.clip(top_share_base[a] + rng.normal(0, 2.0, total), share_floor, 40.0),
    )
    top_share = np.round(top_share, 1)
    # Logins: everyone's sessions, plus the power user's very heavy personal usage.
    login_rate[is_pu] *= 0.7
    logins = rng.poisson(active * login_rate[a] * (1.0 - 0.45 * d) * np.sqrt(ramp))
    logins += np.where(is_pu[a], rng.poisson(power_logins[a]), 0)
    logins = logins.astype(np.int64)

    fa_logit = fa_base[a] + walk(0.07) + rng.normal(0, 0.12, total) - 1.1 * d
    fa_logit += 1.3 * np.log(ramp)
    feature_pct = np.round(100.0 * _sigmoid(fa_logit), 1)

    open_t = rng.poisson(np.exp(ticket_log[a]) * (1.0 + 1.3 * d))
    unresolved = rng.binomial(open_t, np.clip(unresolved_p[a] + 0.3 * d, 0.0, 0.9))
    pe_unres = np.clip(unresolved_base[a] + rng.integers(-1, 2, total), 2, 6)
    pe_row = is_pe[a] & (tenure >= 60)
    unresolved = np.where(pe_row, pe_unres, unresolved)
    open_t = np.where(pe_row, pe_unres + rng.poisson(1.2, total), open_t)
    unresolved = np.where(tenure < 30, 0, unresolved).astype(np.int64)
    open_t = open_t.astype(np.int64)
    escalations = rng.poisson(np.exp(esc_log[a]) * (1.0 + 2.0 * d)).astype(np.int64)
    late = rng.poisson(np.exp(late_log[a]) * (1.0 + 1.5 * d))
    late = np.where(tenure < 30, 0, late).astype(np.int64)

    nps_val = np.clip(np.round(nps_base[a] + rng.normal(0, 0.8, total) - 2.5 * d), 0, 10) + 0.0
    nps_val = np.where(is_pe[a], np.clip(nps_val, 6, 8), nps_val)
    nps_answered = rng.random(total) < nps_resp[a] * (1.0 - 0.4 * d)
    nps = np.where(nps_answered, nps_val, np.nan)
    csat_val = np.clip(np.round(csat_base[a] + rng.normal(0, 0.35, total) - 0.9 * d, 1), 1, 5)
    csat = np.where(rng.random(total) < 0.75, csat_val, np.nan)

    sponsor_row = sponsor[a] & ~(is_sl[a] & (snap >= flip_date[a]))
    since_flip = (snap - flip_date[a]).astype(np.int64)
    champ_event = rng.random(total) < np.where(d > 0, 0.07, 0.02)
    champ = champ_event.copy()
    for lag in (1, 2):
        prev = np.concatenate([np.zeros(lag, dtype=bool), champ_event[:-lag]])
        champ |= prev & (pos >= lag)
    champ |= is_sl[a] & (since_flip >= -20) & (since_flip < 90)

    # CSM assessment: a lagging, optimistic read of what the CSM can see.
    perceived = (
        0.45 * _zscore(ap_logit)
        + 0.35 * _zscore(fa_logit)
        + 0.25 * (nps_base[a] - 7.0)
        - 0.35 * escalations
        - 0.10 * open_t
        + 0.30 * sponsor_row
        - 0.80 * _zscore(drivers)[a]
        + rng.normal(0, 0.45, n)[a]
        + rng.normal(0, 0.3, total)
    )
    perceived += np.array([0.0, 0.3, 0.6, 0.5, -0.4])[acc_type][a]
    lagged = perceived[np.maximum(np.arange(total) - 1, offsets[a])]
    csm = np.where(lagged > 0.15, "green", np.where(lagged < -1.1, "red", "yellow"))

    # Reference accounts: hand-picked by the CS team, mostly (not perfectly) right.
    ref_score = logit + 1.0 * churned - 0.3 * (decided & ~churned) + rng.normal(0, 1.4, n)
    order = np.argsort(ref_score, kind="stable")
    reference = np.full(n, "", dtype=object)
    reference[order[: round(0.045 * n)]] = "known_healthy"
    reference[order[n - round(0.035 * n) :]] = "known_struggling"
    # ...and some picks are simply anecdotal: swap ~12% of them for arbitrary accounts.
    labelled = np.flatnonzero(reference != "")
    swap = labelled[rng.random(labelled.size) < 0.12]
    pool = np.flatnonzero(reference == "")
    targets = rng.choice(pool, size=swap.size, replace=False)
    reference[targets] = reference[swap]
    reference[swap] = ""

    account_ids = np.array([f"ACC-{i + 1:05d}" for i in range(n)], dtype=object)
    frame = pd.DataFrame(
        {
            "account_id": account_ids[a],
            "account_name": names[a],
            "snapshot_date": snap.astype("datetime64[ns]"),
            "segment": SEGMENTS[seg][a].astype(object),
            "lifecycle_stage": np.where(tenure < ONBOARDING_DAYS, "Onboarding", "Adopted").astype(
                object
            ),
            "arr": arr.astype(np.float64),
            "contract_start": start[a].astype("datetime64[ns]"),
            "renewal_date": renewal[a].astype("datetime64[ns]"),
            "outcome": outcome[a].astype(object),
            "licensed_seats": seats.astype(np.int64),
            "active_users": active,
            "active_user_pct": active_pct.astype(np.float64),
            "logins_30d": logins,
            "top_user_share_pct": top_share.astype(np.float64),
            "feature_adoption_pct": feature_pct.astype(np.float64),
            "open_tickets": open_t,
            "unresolved_tickets_30d": unresolved,
            "escalations_90d": escalations,
            "nps": nps.astype(np.float64),
            "csat": csat.astype(np.float64),
            "late_invoices_90d": late,
            "exec_sponsor": sponsor_row.astype(bool),
            "champion_change_90d": champ.astype(bool),
            "csm_assessment": csm.astype(object),
            "reference_label": reference[a],
        },
        columns=COLUMNS,
    )
    hidden = pd.Series(TYPE_NAMES[acc_type], index=account_ids, name="hidden_type")
    return frame.reset_index(drop=True), hidden


def main() -> None:
    """Write ``demo_accounts.parquet`` next to this script."""
    t0 = time.perf_counter()
    frame = generate_demo()
    out = Path(__file__).resolve().parent / OUTPUT_FILE
    frame.to_parquet(out, engine="pyarrow", compression="zstd", index=False)
    elapsed = time.perf_counter() - t0
    print(f"wrote {out} ({len(frame):,} rows, {out.stat().st_size / 1e6:.2f} MB, {elapsed:.2f}s)")


if __name__ == "__main__":
    main()
