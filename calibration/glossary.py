"""Plain-language explanations of every metric, for CS leaders rather than statisticians."""

from __future__ import annotations

HELP = {
    "auc": "Chance that a renewed account scores higher than a churned one. 0.5 = coin flip, "
           "1.0 = perfect separation. Around 0.7 is useful, 0.8+ is strong.",
    "gini": "AUC rescaled to 0-1 (2 x AUC - 1): 0 = no better than chance.",
    "ks": "The biggest gap between the score distributions of churned and renewed accounts "
          "(0 = identical, 1 = completely apart), and the score where the gap is widest.",
    "point_biserial_r": "Correlation of the score with renewal (renewed = 1, churned = 0). "
                        "0 = no relation; higher means higher scores go with renewals.",
    "spearman": "Rank correlation of the score with renewal: like the correlation, but only "
                "the order of accounts matters.",
    "logit": "How churn odds change per 10 extra points (logistic regression). 0.7x means "
             "each 10 points cuts the odds of churn by 30%.",
    "lift": "Red churn rate divided by green churn rate. 3x means red accounts churn three "
            "times as often as green ones.",
    "surprise_churn": "Accounts that churned while green: the churn the score did not see "
                      "coming. Lower is better.",
    "false_alarms": "Accounts that renewed while red: CSM time spent on accounts that were "
                    "fine. Lower is better, but a few are the price of catching churn.",
    "monotone": "Churn should fall from red to yellow to green; if not, the bands are "
                "mis-set.",
    "precision": "Of the accounts flagged red, the share that churned.",
    "recall": "Of the accounts that churned, the share that were flagged red beforehand.",
    "lead_time": "For churned renewals: how many days before the churn date the score first "
                 "turned red (looking at every snapshot in the year before the churn date, "
                 "also those after the judge date). Longer = more time to act. 'Never red' "
                 "churn was missed. 'Red at the judge date' is the stricter point-in-time "
                 "figure: the share already red on the snapshot validation judged.",
    "calibration": "Churn rate in each tenth of accounts by score. It should fall steadily "
                   "as the score rises.",
    "horizon": "Each renewal decision is judged on the account as it stood this many days "
               "before the renewal date (the judge date), so the score is not flattered by "
               "what happened after.",
    "factor_auc": "How well this factor alone separates renewed from churned (0.5 = no "
                  "signal).",
    "double_counting": "Two factors whose points move together (|r| > 0.8) count the same "
                       "signal twice; whose points move opposite ways (r < -0.8) cancel each "
                       "other out (check their directions).",
}

MORE_HELP = {
    "auc_ci": "The range the AUC would plausibly fall in with another sample of accounts "
              "(95% bootstrap interval over 1,000 resamples). A wide range means few accounts "
              "or few churns: do not over-read small differences.",
    "arr_weighted": "AUC where each pair of accounts counts by their ARR: does the score "
                    "separate the accounts that carry the revenue?",
    "reference": "Accounts the team already knows are healthy or struggling: healthy ones "
                 "should be green, struggling ones red. Agreement = share in the expected "
                 "band.",
    "factor_r": "Correlation of this factor's points with renewal (0 = no relation).",
    "factor_missing": "Share of judged accounts with no value for this factor.",
    "factor_monotone": "Whether churn falls steadily as this factor's points rise. 'No' means "
                       "its scoring rule (cut-offs, direction) may need a look.",
    "common_traits": "How the factors of these accounts differ from accounts the score got "
                     "right, largest standardised difference first (0.2 small, 0.5 medium, "
                     "0.8+ large). Includes factors not in the score.",
}


def help_text(key: str) -> str:
    """Plain-language help for a metric: :data:`HELP` first, then :data:`MORE_HELP`."""
    return HELP.get(key) or MORE_HELP[key]
