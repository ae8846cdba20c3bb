"""``python -m calibration bench --headroom``: held-out AUC of every suggestion and reference.

On each dataset, one split for every model: a time split when decisions are dated (the fewest
latest whole months holding 30% of decisions, see :func:`calibration.objectives.holdout`),
else a stratified random 30% holdout (seed 0). Printed: the draft, the weights-only
suggestion, the fitted-curve suggestion (a points table the app can export), the binned
logistic regression behind it, and gradient boosting. Not a timed test: a benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from calibration.headroom import MODEL_LABELS, MODELS


def run_dataset(data: str | Path, config_path: str | Path, horizon_days: int = 90,
                seed: int = 0) -> dict[str, Any]:
    """Held-out AUC of every model on one dataset (see the module docstring)."""
    from calibration.accounts import load_accounts
    from calibration.config import load_config
    from calibration.curves import factor_values
    from calibration.headroom import compare_on_split
    from calibration.objectives import decision_scores, holdout
    from calibration.scoring import score_frame
    from calibration.validation import judged_rows

    config = load_config(config_path)
    table = load_accounts(data, config)
    scored = score_frame(table.frame, config)
    judged = judged_rows(table, horizon_days)
    decisions = decision_scores(judged, scored)
    rows, churned = judged.rows, judged.churned
    train, test, label = holdout(decisions, seed=seed)
    result = compare_on_split(factor_values(table.frame, config, rows),
                              scored.matrix.points[rows], churned,
                              scored.result.score[rows], config, train, test, seed=seed)
    return {"data": Path(data).name, "config": Path(config_path).name, "split": label,
            "n_train": result.n_train, "n_test": result.n_test,
            "n_test_churned": result.n_test_churned, "auc": result.auc,
            "gap_to_binned_logistic": (result.auc["binned_logistic"]
                                       - result.auc["fitted_curves"])}


def format_results(results: list[dict[str, Any]]) -> str:
    """Plain-text table: one block per dataset."""
    lines = []
    for r in results:
        lines += [f"{r['data']} with {r['config']}: {r['split']}",
                  f"  fitted on {r['n_train']:,} decisions, tested on {r['n_test']:,} "
                  f"({r['n_test_churned']:,} churned)"]
        for model in MODELS:
            value = r["auc"].get(model)
            shown = "n/a" if value is None else f"{value:.3f}"
            lines.append(f"  {MODEL_LABELS[model]:<46} held-out AUC {shown}")
        lines.append(f"  fitted curves vs binned logistic regression: "
                     f"{-r['gap_to_binned_logistic']:+.4f} AUC")
        lines.append("")
    return "\n".join(lines)
