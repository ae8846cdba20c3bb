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
