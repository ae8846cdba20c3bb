"""``validate`` and ``bench`` sub-commands."""

from __future__ import annotations

import argparse
import json
from typing import Any

from calibration.cli import EXTRA_COMMANDS
from calibration.cli_common import RESAMPLES, SEED, whole_number


def _validate(args: argparse.Namespace) -> int:
    from calibration.cli_common import load_table
    from calibration.config import load_config
    from calibration.report_text import validation_text
    from calibration.scoring import score_frame
    from calibration.validation import judged_rows, validate

    config = load_config(args.config)
    table = load_table(args, config)
    # Without the per-factor contributions and sub-scores (explain=False): nothing validate
    # reports reads them, and the scores and bands are the same (tests/test_scoring.py and
    # tests/test_cli_validate_text.py); ~0.06 s of the demo's CPU.
    scored = score_frame(table.frame, config, explain=False)
    if args.format == "json":
        evidence = validate(table, config, scored, horizon_days=args.horizon_days,
                            bootstrap_resamples=args.bootstrap, seed=args.seed)
        evidence["data"] = table.fingerprint()
        print(json.dumps(evidence, indent=2, allow_nan=False, default=str))
        return 0
    # The text shows per segment only its counts and AUC, no per-factor signal and no
    # p-value: skip the rest (segment bootstraps, logits, lead times; ~0.5 s on the demo;
    # the p-values need scipy.special's import and the exact KS sum, ~0.3 s). Same text as
    # from the full evidence (tests/test_cli_validate_text.py).
    judged = judged_rows(table, args.horizon_days)
    evidence = validate(table, config, scored, horizon_days=args.horizon_days,
                        bootstrap_resamples=args.bootstrap, seed=args.seed, by_segment=False,
                        include_factors=False, p_values=False, judged=judged)
    evidence["segments"] = segment_summaries(table, scored, judged)
    print(validation_text(evidence, config))
    return 0


def segment_summaries(table: Any, scored: Any, judged: Any) -> dict[str, dict[str, Any]]:
    """Per segment label (sorted), what the text report shows of it: ``n_scored``,
    ``n_churned`` and ``auc``, equal to those of :func:`calibration.validation.validate`'s
    ``segments`` ({} when the data has no segment column)."""
    import numpy as np

    from calibration import metrics
    from calibration.validation import segment_labels

    labels = segment_labels(table)
    if labels is None:
        return {}
    rows = judged.rows
    labels, score = labels[rows], scored.result.score[rows]
    out = {}
    for name in sorted(set(labels)):
        mask = labels == name
        s, churned = score[mask], judged.churned[mask]
        known = ~np.isnan(s)
        out[str(name)] = {"n_scored": int(known.sum()), "n_churned": int(churned[known].sum()),
                          "auc": metrics.auc(s, churned)}
    return out


def _bench(args: argparse.Namespace) -> int:
    if args.headroom:
        return _bench_headroom(args)
    from calibration.bench import format_table, run_bench

    sizes = [args.accounts] if args.accounts else [10_000, 100_000, 1_000_000]
    results = run_bench(sizes, repeats=args.repeats, bootstrap_resamples=args.bootstrap)
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        print(format_table(results))
    return 0


def _bench_headroom(args: argparse.Namespace) -> int:
    from calibration.bench_headroom import format_results, run_dataset
    from calibration.demo import DEMO_CONFIG, DEMO_DATA

    pairs = [] if args.dataset else [(DEMO_DATA, DEMO_CONFIG)]
    if args.telco:
        from pathlib import Path

        example = Path(__file__).resolve().parents[1] / "examples" / "telco_config.json"
        pairs.append((args.telco, example))
    pairs += [tuple(p) for p in args.dataset or []]
    results = [run_dataset(data, config, seed=args.seed) for data, config in pairs]
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        print(format_results(results))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate`` and ``bench``."""
    from calibration.cli_common import DEFINITIONS, add_data_arguments, add_tag_arguments

    validate = sub.add_parser("validate", help="how well a config separates churned from "
                              "renewed accounts (point in time)", description=DEFINITIONS)
    add_data_arguments(validate)
    validate.add_argument("--config", required=True, help="config JSON/YAML file")
    add_tag_arguments(validate)
    validate.add_argument("--bootstrap", type=RESAMPLES, default=1000,
                          help="bootstrap resamples for confidence intervals (0 = none)")
    validate.add_argument("--seed", type=SEED, default=0)
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.set_defaults(run=_validate)

    bench = sub.add_parser("bench", help="time load, scoring, a weight change and bootstrap")
    bench.add_argument("--accounts", type=whole_number(1, 10_000_000, "accounts"), default=None,
                       help="one size instead of 10k, 100k and 1M")
    bench.add_argument("--repeats", type=whole_number(1, 1_000, "repeats"), default=5)
    bench.add_argument("--bootstrap", type=RESAMPLES, default=1000)
    bench.add_argument("--format", choices=["text", "json"], default="text")
    bench.add_argument("--headroom", action="store_true",
                       help="instead of timings: held-out AUC of the draft, the weights-only "
                            "and fitted-curve suggestions, binned logistic regression and "
                            "gradient boosting on the demo (and --telco / --dataset) data")
    bench.add_argument("--telco", metavar="CSV", default=None,
                       help="with --headroom: also the public Telco churn CSV (read in place) "
                            "with examples/telco_config.json")
    bench.add_argument("--dataset", nargs=2, action="append", metavar=("DATA", "CONFIG"),
                       help="with --headroom: a data file and config instead of the demo "
                            "(repeatable)")
    bench.add_argument("--seed", type=SEED, default=0)
    bench.set_defaults(run=_bench)


EXTRA_COMMANDS.append(register)
