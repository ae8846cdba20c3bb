"""Reference numbers for the AppTests computed without the code under test.

The pages show what ``calibration.validation``, ``compare`` and ``metrics`` compute; these
helpers recompute headline numbers from the scored accounts with a plain pandas selection
(each decided account's latest snapshot at least ``horizon_days`` before its renewal) and
scipy, so a page test also fails when the shared computation is wrong, not only the wiring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.scoring import score_frame


def judged_accounts(table: AccountTable, config: Config, horizon_days: int = 90,
                    columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per decided account as it stood ``horizon_days`` before its renewal, with
    ``score``, ``band`` (0 red, 1 yellow, 2 green), ``churned``, ``arr``, ``segment`` and the
    data ``columns`` asked for."""
    result = score_frame(table.frame, config, explain=False).result
    segment = (table.frame[config.columns.segment].to_numpy()
               if config.columns.segment in table.frame.columns else None)
    frame = pd.DataFrame({
        "account_id": table.account_id, "snapshot": table.snapshot_date,
        "renewal": table.renewal_date, "outcome": table.outcome, "arr": table.arr,
        "score": result.score, "band": result.band, "segment": segment,
        **{name: table.frame[name].to_numpy() for name in columns},
    })
    latest = frame.sort_values("snapshot", kind="stable").groupby("account_id").tail(1)
    final = latest.set_index("account_id")
    frame["final_outcome"] = frame["account_id"].map(final["outcome"])
    frame["final_renewal"] = frame["account_id"].map(final["renewal"])
    decided = frame[frame["final_outcome"].isin(["churned", "renewed"])]
    early = decided[decided["snapshot"]
                    <= decided["final_renewal"] - pd.Timedelta(days=horizon_days)]
    judged = early.sort_values("snapshot", kind="stable").groupby("account_id").tail(1)
    return judged.assign(churned=judged["final_outcome"].eq("churned")).reset_index(drop=True)


def auc(judged: pd.DataFrame) -> float:
    """Renewal AUC by the Mann-Whitney U statistic."""
    churned = judged["churned"].to_numpy()
    score = judged["score"].to_numpy()
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    return float(u / (churned.sum() * (~churned).sum()))


def ks(judged: pd.DataFrame) -> float:
    churned = judged["churned"].to_numpy()
    score = judged["score"].to_numpy()
    return float(stats.ks_2samp(score[churned], score[~churned]).statistic)


def point_biserial(judged: pd.DataFrame) -> float:
    renewed = (~judged["churned"]).astype(int).to_numpy()
    return float(stats.pointbiserialr(renewed, judged["score"].to_numpy()).statistic)


def weighted_auc(judged: pd.DataFrame) -> float:
    """ARR-weighted AUC over accounts with known ARR, pair by pair."""
    known = judged[judged["arr"].notna()]
    churned = known["churned"].to_numpy()
    s, w = known["score"].to_numpy(), known["arr"].to_numpy()
    sr, wr, sc, wc = s[~churned], w[~churned], s[churned], w[churned]
    win = (sr[:, None] > sc[None, :]) + 0.5 * (sr[:, None] == sc[None, :])
    return float((wr[:, None] * wc[None, :] * win).sum() / (wr.sum() * wc.sum()))


def surprise_churn(judged: pd.DataFrame) -> tuple[int, float]:
    """Churned accounts judged green: count and ARR."""
    green_churn = judged[judged["churned"] & judged["band"].eq(2)]
    return len(green_churn), float(np.nansum(green_churn["arr"]))


def cs_outcomes(judged: pd.DataFrame) -> dict[str, float | None]:
    """The CS headline outcomes by a plain pandas selection: share of churned (known) ARR
    that was red, surprise churn (accounts, ARR), green churn rate, red list precision."""
    churned = judged[judged["churned"]]
    lost = churned["arr"].sum(min_count=1)
    red_lost = churned[churned["band"].eq(0)]["arr"].sum()
    green, red = judged[judged["band"].eq(2)], judged[judged["band"].eq(0)]
    count, arr = surprise_churn(judged)
    return {
        "red_arr_share": float(red_lost / lost) if lost and lost > 0 else None,
        "surprise_accounts": float(count),
        "surprise_arr": arr if judged["arr"].notna().any() else None,
        "green_churn_rate": float(green["churned"].mean()) if len(green) else None,
        "red_precision": float(red["churned"].mean()) if len(red) else None,
    }
