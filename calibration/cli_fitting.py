"""CLI sub-commands for weight suggestions and config comparison (registered in
:mod:`calibration.cli` through ``EXTRA_COMMANDS``).

``suggest``: fit weights on the point-in-time judged rows and write a suggested config.
``compare``: baseline vs draft on the same accounts, with paired bootstrap CIs.
``diff``: plain-words differences between two config files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calibration.cli import EXTRA_COMMANDS

# Copy of fitting.DEFAULT_TEST_MONTHS, so building the parser imports neither scipy nor pandas
# (tests/test_cli_imports.py checks that they agree).
from calibration.cli_common import (
    DEFAULT_HORIZON_DAYS,  # noqa: F401  (same check)
    RESAMPLES,
    SEED,
    whole_number,
)

DEFAULT_TEST_MONTHS = 6


def _suggest(args: argparse.Namespace) -> int:
    if args.objective:
        from calibration import cli_objective

        return cli_objective.run(args)
    from calibration import fitting, metrics
    from calibration.cli_common import load_table, write_suggestion
    from calibration.config import load_config
    from calibration.scoring import assign_bands, score_frame
    from calibration.validation import judged_rows
    from calibration.weights import apply_flat_weights

    if args.out and Path(args.out).exists() and not args.force:  # before minutes of fitting
        raise FileExistsError(f"{args.out} already exists (use --force to overwrite)")
    out = sys.stdout if args.out else sys.stderr  # without --out, stdout is the config only

    def say(text: str = "") -> None:
        print(text, file=out)

    config = load_config(args.config)
    table = load_table(args, config)
    scored = score_frame(table.frame, config)
    judged = judged_rows(table, args.horizon_days)
    rows = judged.rows
    say(judged.describe())
    points = scored.matrix.points[rows]
    churned = judged.churned
    from calibration.alarms import config_alarms

    for alarm in config_alarms(table, config, judged):
        say(f"WARNING: {alarm['message']}")
    names = config.factor_names
    baseline = scored.result.score[rows]
    options = {"l2": args.l2} if args.method == "logit" else {}
    fit = fitting.suggest(points, churned, names, args.method, groups=config, **options)
    cv = fitting.cross_validate(points, churned, args.method, k=args.folds, seed=args.seed,
                                names=names, baseline=baseline, groups=config, **options)
    current_auc = metrics.auc(baseline, churned)["value"]
    say(f"\nIn-sample AUC: current {current_auc:.3f}, suggested {fit.auc:.3f}")
    say(f"{cv['k']}-fold CV AUC of the suggestion: in-sample {cv['in_sample_auc']:.3f}, "
          f"out-of-sample {cv['out_of_sample_auc']:.3f} (current config on the same folds "
          f"{cv['baseline_auc']:.3f})")
    notes = [f"Suggested by `suggest --method {args.method}` from {table.report.source} "
             f"({int(churned.sum())} churned / {int((~churned).sum())} renewed judged "
             f"{args.horizon_days} days before renewal).",
             f"In-sample AUC {fit.auc:.3f} (current {current_auc:.3f}); {cv['k']}-fold CV AUC "
             f"{cv['out_of_sample_auc']:.3f} (in-sample {cv['in_sample_auc']:.3f})."]
    warnings = list(cv["warnings"])
    try:
        split = fitting.time_split(points, churned, judged.renewal_date,
                                   args.test_from, args.method, names=names, baseline=baseline,
                                   groups=config, seed=args.seed, judge_dates=judged.judge_date,
                                   test_months=args.test_months, **options)
    except ValueError as error:
        say(f"Time split: not possible ({error})")
    else:
        say(f"Time split: test on {split['n_test']} renewals from {split['test_from']} "
            f"({split['n_test_churned']} churned); fit on {split['n_train']} renewals before "
            f"{split['train_before']}, the first test judge date, so no fitting renewal "
            f"happened after a test account was judged ({split['n_purged']} renewals in the "
            f"gap left out). Suggested {split['test_auc']:.3f} vs current "
            f"{split['baseline_test_auc']:.3f}; {split['verdict']}")
        notes.append(f"Time split from {split['test_from']}: {split['verdict']}.")
        warnings += split["warnings"]
    say()
    say(fit.describe())
    suggested = apply_flat_weights(config, fit.weights, digits=2)  # readable weights
    new_scores = fitting.score_points(points, fit.weights, config, names)
    targets = {k: v for k, v in (("red_risk", args.red_risk), ("yellow_risk", args.yellow_risk),
                                 ("green_max_churn", args.green_max_churn)) if v is not None}
    if targets:
        cut = fitting.suggest_bands(new_scores, churned, judged.arr,
                                    current=(config.bands.red_max, config.bands.yellow_max),
                                    **targets)
        for message in cut.messages:
            say(f"Bands: {message}")
        if cut.red_max is not None and cut.yellow_max is not None and (
                cut.red_max < cut.yellow_max):
            raw = suggested.model_dump()
            raw["bands"] = {"red_max": round(cut.red_max, 1),
                            "yellow_max": round(cut.yellow_max, 1)}
            suggested = type(suggested).model_validate(raw)
            shares = ", ".join(
                f"{b} {cut.achieved[b]['share_of_accounts']:.0%} of accounts at "
                f"{cut.achieved[b]['churn_rate']:.1%} churn" for b in ("red", "yellow", "green"))
            say(f"Bands: red <= {raw['bands']['red_max']:g}, green > "
                f"{raw['bands']['yellow_max']:g} ({shares})")
            notes.append(f"Bands from targets {targets}.")
    bands = fitting.band_warnings(
        assign_bands(new_scores, suggested.bands.red_max, suggested.bands.yellow_max), churned)
    if bands:
        warnings += [f"with bands {suggested.bands.red_max:g}/{suggested.bands.yellow_max:g}: "
                     f"{b}"
                     for b in bands]
    for warning in dict.fromkeys(warnings):
        say(f"WARNING: {warning}")
    suggested = suggested.model_copy(update={
        "name": f"{config.name} (suggested: {args.method})",
        "notes": " ".join(notes), "validation": None, "created_at": None})
    write_suggestion(suggested, args, say)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from calibration.cli_common import load_table
    from calibration.compare import compare
    from calibration.config import load_config

    baseline = load_config(args.baseline)
    draft = load_config(args.config)
    table = load_table(args, draft)
    result = compare(table, baseline, draft, args.horizon_days, args.resamples, args.seed,
                     objective=args.objective.replace("-", "_"))
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.describe())
    return 0


def _diff(args: argparse.Namespace) -> int:
    from calibration.config import load_config
    from calibration.configdiff import config_diff

    a, b = load_config(args.a), load_config(args.b)
    lines = config_diff(a, b)
    print("\n".join(f"- {line}" for line in lines) if lines else "no scoring differences")
    if args.data:
        from calibration.accounts import load_accounts
        from calibration.config import ConfigError, check_columns
        from calibration.configdiff import score_diff

        table = load_accounts(args.data, b)
        problems = check_columns(a, table.frame.columns)
        if problems:
            raise ConfigError(problems, f"{args.a} vs {args.data}")
        result = score_diff(table.frame, a, b, ids=table.account_id, top=args.top)
        print(f"\nScores on {args.data}:")
        print("\n".join(result.describe(args.top)))
    return 0


def _guarded(run):
    """Turn a ValueError from the computation into a clean error message (exit 1)."""

    def wrapper(args: argparse.Namespace) -> int:
        from calibration.config import ConfigError
        from calibration.data_quality import DataError

        try:
            return run(args)
        except (ConfigError, DataError):
            raise
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return wrapper


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``suggest``, ``compare`` and ``diff`` sub-commands."""
    from calibration.cli_common import add_data_arguments

    suggest = sub.add_parser("suggest", help="suggest weights from renewal outcomes")
    add_data_arguments(suggest)
    suggest.add_argument("--config", required=True, help="config JSON/YAML to start from")
    suggest.add_argument("--method", choices=("logit", "auc"), default="auc",
                         help="logit: logistic regression; auc: maximise AUC (default: auc)")
    suggest.add_argument("--out", help="write the suggested config here (default: print it)")
    suggest.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    suggest.add_argument("--folds", type=whole_number(2, 50, "folds"), default=5,
                         help="cross-validation folds")
    suggest.add_argument("--test-from", default=None,
                         help="time split: test on renewals from this date (YYYY-MM-DD; "
                              f"default: the latest {DEFAULT_TEST_MONTHS} months of renewals)")
    suggest.add_argument("--test-months", type=int, default=DEFAULT_TEST_MONTHS,
                         help="time split: test on renewals of the last N months (default "
                              f"{DEFAULT_TEST_MONTHS}); fitting uses only renewals before the "
                              "first test judge date")
    suggest.add_argument("--red-risk", type=float, default=None,
                         help="also suggest bands: red = churn risk at least this (0.4 = 40%%)")
    suggest.add_argument("--yellow-risk", type=float, default=None,
                         help="with --red-risk: yellow = churn risk at least this")
    suggest.add_argument("--green-max-churn", type=float, default=None,
                         help="with --red-risk: green churn rate at most this")
    suggest.add_argument("--l2", type=float, default=0.0, help="ridge penalty (logit only)")
    suggest.add_argument("--seed", type=SEED, default=0)
    from calibration.cli_objective import add_arguments

    add_arguments(suggest)
    suggest.set_defaults(run=_guarded(_suggest))

    comp = sub.add_parser("compare", help="compare a draft config with the baseline")
    add_data_arguments(comp)
    comp.add_argument("--baseline", required=True, help="current config file")
    comp.add_argument("--config", required=True, help="draft config file")
    comp.add_argument("--format", choices=("text", "json"), default="text")
    comp.add_argument("--resamples", type=RESAMPLES, default=1000,
                      help="bootstrap resamples")
    comp.add_argument("--seed", type=SEED, default=0)
    comp.add_argument("--objective", choices=("ranking", "catch-churn", "no-surprises"),
                      default="ranking", help="the goal the verdict judges: 'improvement is "
                      "real' needs it to improve and no outcome to get significantly worse")
    comp.set_defaults(run=_guarded(_compare))

    diff = sub.add_parser("diff", help="plain-words differences between two configs (with "
                          "--data: which accounts change score and band)")
    diff.add_argument("a", help="first config file")
    diff.add_argument("b", help="second config file")
    diff.add_argument("--data", default=None,
                      help="CSV or Parquet account file: also count accounts whose score or "
                           "band changes and list the largest moves")
    diff.add_argument("--top", type=int, default=10, help="largest moves to list (default 10)")
    diff.set_defaults(run=_guarded(_diff))


EXTRA_COMMANDS.append(register)
