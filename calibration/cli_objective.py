"""``suggest --objective``: weights and integer bands for a CS goal, judged out of sample.

Called by :mod:`calibration.cli_fitting` when ``--objective`` is given; prints the CS numbers
of the draft and the suggestion (all judged renewals, then the held-out latest ones) and the
verdict, and writes the suggested config (what the Suggest page's Apply writes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OBJECTIVE_NAMES = {"ranking": "ranking", "catch-churn": "catch_churn",
                   "no-surprises": "no_surprises"}
ROWS = ("red_churned_arr_share", "red_churned_share", "surprise_churn_count",
        "surprise_churn_arr", "green_churn_rate", "red_churn_rate", "red_share",
        "yellow_share", "green_share", "changed_band")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--objective`` options of ``suggest``."""
    parser.add_argument("--objective", choices=tuple(OBJECTIVE_NAMES), default=None,
                        help="choose weights AND integer band cut-offs for a CS goal: ranking "
                             "(AUC), catch-churn (most churned ARR red within capacity) or "
                             "no-surprises (least churned ARR green); judged on a time split")
    parser.add_argument("--red-max-share", type=float, default=None, metavar="SHARE",
                        help="with --objective: red holds at most this share of accounts "
                             "(team capacity, 0.15 = 15%%; default 0.15)")
    parser.add_argument("--capacity", type=int, default=None, metavar="ACCOUNTS",
                        help="with --objective: team capacity in accounts (instead of "
                             "--red-max-share; divided by the accounts in the book)")
    parser.add_argument("--green-min-share", type=float, default=0.40, metavar="SHARE",
                        help="with --objective: green holds at least this share (default 0.40)")
    parser.add_argument("--min-band-share", type=float, default=0.05, metavar="SHARE",
                        help="with --objective: every band holds at least this share "
                             "(default 0.05)")
    parser.add_argument("--count", choices=("arr", "accounts"), default="arr",
                        help="with --objective: count churn in ARR (default) or accounts")


def run(args: argparse.Namespace) -> int:
    """Fit, check and write the objective suggestion."""
    from calibration import objectives
    from calibration.cli_common import load_table, write_suggestion
    from calibration.config import load_config
    from calibration.scoring import score_frame
    from calibration.validation import judged_rows
    from calibration.verdicts import format_value

    if args.out and Path(args.out).exists() and not args.force:
        raise FileExistsError(f"{args.out} already exists (use --force to overwrite)")
    out = sys.stdout if args.out else sys.stderr

    def say(text: str = "") -> None:
        print(text, file=out)

    config = load_config(args.config)
    table = load_table(args, config)
    judged = judged_rows(table, args.horizon_days)
    say(judged.describe())
    decisions = objectives.decision_scores(judged, score_frame(table.frame, config))
    if args.capacity is not None and args.red_max_share is not None:
        raise ValueError("give --capacity or --red-max-share, not both")
    red_share = args.red_max_share if args.red_max_share is not None else 0.15
    if args.capacity is not None:
        if args.capacity < 1:
            raise ValueError(f"--capacity must be at least 1 account, got {args.capacity}")
        red_share = args.capacity / max(judged.n_accounts, 1)
        say(f"Capacity {args.capacity:,} accounts of {judged.n_accounts:,} in the book: red "
            f"at most {red_share:.1%}")
    goal = objectives.Objective(OBJECTIVE_NAMES[args.objective], red_max_share=red_share,
                                green_min_share=args.green_min_share,
                                min_band_share=args.min_band_share,
                                by_arr=args.count == "arr")
    say(f"Goal: {goal.describe()}")
    suggestion = objectives.suggest_for(config, decisions, goal, seed=args.seed)
    if not suggestion.feasible:
        raise ValueError("no band cut-offs meet the rules: " + " ".join(suggestion.flags))
    check = objectives.check_out_of_sample(config, decisions, goal, seed=args.seed)
    arr = judged.arr if decisions.has_arr else None
    from calibration.cs_metrics import METRIC_LABELS
    from calibration.outcomes import cs_numbers

    draft_in = cs_numbers(decisions.score(config).band, judged.churned, arr)
    say(f"\n{'':<38}{'draft':>14}{'suggested':>14}   (all judged renewals)")
    for key in ROWS:
        if key in suggestion.numbers and suggestion.numbers[key] is not None:
            say(f"{METRIC_LABELS.get(key, key):<38}"
                f"{_value(format_value, key, draft_in.get(key)):>14}"
                f"{_value(format_value, key, suggestion.numbers[key]):>14}")
    say(f"\nOut of sample ({check.label}; {check.n_test:,} renewals, "
        f"{check.n_test_churned:,} churned):")
    say(f"{'':<38}{'draft':>14}{'suggested':>14}{'95% CI of change':>34}  result")
    for key, m in check.metrics.items():
        lo, hi = m["ci"] or (None, None)
        say(f"{METRIC_LABELS.get(key, key):<38}{format_value(key, m['baseline']):>14}"
            f"{format_value(key, m['draft']):>14}"
            f"{format_value(key, lo, True) + ' to ' + format_value(key, hi, True):>34}  "
            f"{m['status']}")
    say(f"\nVerdict: {check.verdict.text}")
    for warning in [*check.warnings, *suggestion.flags]:
        say(f"WARNING: {warning}")
    suggested = suggestion.config.model_copy(update={
        "name": f"{config.name} (suggested: {args.objective})",
        "notes": f"Suggested by `suggest --objective {args.objective}` ({goal.describe()}). "
                 f"Out of sample ({check.label}): {check.verdict.text}.",
        "validation": None, "created_at": None})
    write_suggestion(suggested, args, say)
    return 0


def _value(fmt, key: str, value) -> str:
    if key == "changed_band":
        return "n/a" if value is None else f"{value:,}"
    return fmt(key, value)
