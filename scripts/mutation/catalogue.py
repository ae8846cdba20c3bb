"""What ``make mutate`` runs: the core modules and their tests, the hand-written mutants (the
bugs of issue #18 that once survived) and the survivors judged harmless, each with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# module -> the tests that exercise it (only these run against its mutants)
MODULES: dict[str, list[str]] = {
    "config": ["tests/test_config.py", "tests/test_mutants_config.py",
               "tests/robustness/test_bad_configs.py", "tests/test_configfile.py"],
    "scoring": ["tests/test_scoring.py", "tests/test_mutants_scoring.py",
                "tests/test_explain.py"],
    "metrics": ["tests/test_metrics.py", "tests/test_mutants_metrics.py",
                "tests/test_metrics_edge_cases.py", "tests/test_metrics_bootstrap.py",
                "tests/test_metrics_exact.py"],
    "history": ["tests/test_mutants_history.py", "tests/test_history.py",
                "tests/test_mutants_validation.py"],
    "validation": ["tests/test_validation.py", "tests/test_mutants_validation.py",
                   "tests/test_validation_cli.py"],
    "decisions": ["tests/test_mutants_decisions.py", "tests/test_decisions.py",
                  "tests/test_decisions_layouts.py", "tests/test_mutants_validation.py",
                  "tests/test_decisions_property.py"],
    "fitting": ["tests/test_mutants_fitting.py", "tests/test_fitting.py"],
    "compare": ["tests/test_mutants_compare.py", "tests/test_compare.py"],
    "sql": ["tests/test_sql.py", "tests/test_mutants_sql.py", "tests/test_dbt.py",
            "tests/test_export_trust.py", "tests/test_sql_equivalence.py"],
}

@dataclass(frozen=True)
class HandMutant:
    """A bug written by hand: replace ``old`` (must occur exactly once) by ``new``."""

    module: str
    name: str
    old: str
    new: str


HAND_WRITTEN: list[HandMutant] = [
    HandMutant("metrics", "bootstrap CI tail doubled (a 90% interval reported as 95%)",
               "tail = (1.0 - level) / 2.0 * 100.0", "tail = (1.0 - level) * 100.0"),
    HandMutant("metrics", "point-biserial p-value with n - 1 degrees of freedom",
               "special.stdtr(n - 2, -t)", "special.stdtr(n - 1, -t)"),
    HandMutant("metrics", "revenue metrics unknown when only some ARR is missing",
               "if arr_unknown and arr_unknown == n_scored:", "if arr_unknown:"),
    HandMutant("decisions", "default horizon 60 days instead of 90",
               "DEFAULT_HORIZON_DAYS = 90", "DEFAULT_HORIZON_DAYS = 60"),
    HandMutant("validation", "per-segment metrics select segment >= code",
               "mask = segment == code", "mask = segment >= code"),
    HandMutant("validation", "falling scores miss a fall of exactly the minimum drop",
               'falling = trend[trend["change"] <= -min_drop]',
               'falling = trend[trend["change"] < -min_drop]'),
    HandMutant("fitting", "verdict calls only improvements real (a loss is not flagged)",
               '"real": bool(lo > 0 or hi < 0)', '"real": bool(lo > 0)'),
    HandMutant("fitting", "overfitting gap doubled", "OVERFIT_GAP = 0.05",
               "OVERFIT_GAP = 0.1"),
    HandMutant("fitting", "green too generous boundary moved (green churn vs overall)",
               "GREEN_SAFETY = 0.5", "GREEN_SAFETY = 0.6"),
    HandMutant("sql", "infinity literal for Spark spelled inf",
               'word = "Infinity" if self.name in ("postgres", "spark") else "inf"',
               'word = "Infinity" if self.name in ("postgres",) else "inf"'),
    HandMutant("sql", "BigQuery labels starting with a digit not prefixed",
               'text = "_" + text', "text = text"),
    HandMutant("config", "red_max == yellow_max accepted",
               "if self.red_max >= self.yellow_max:", "if self.red_max > self.yellow_max:"),
    HandMutant("config", "equal step cut-offs accepted",
               "if any(b <= a for a, b in zip(self.cutoffs, self.cutoffs[1:], strict=False)):",
               "if any(b < a for a, b in zip(self.cutoffs, self.cutoffs[1:], strict=False)):"),
    HandMutant("config", "segment band overrides not validated",
               "    bands: Bands | None = None\n", "    bands: dict | None = None\n"),
    HandMutant("config", "duplicate keys in a mapping not detected",
               "            if norm in seen:", "            if norm in seen and False:"),
    HandMutant("config", "schema version 0 accepted", "if version < 1:", "if version < 0:"),
    HandMutant("config", "a value listed as both churned and renewed accepted",
               "if key in owner and owner[key] != label:", "if key in owner and False:"),
]

# The "0-100 clamp removed" mutants (Python and SQL) are gone with the clamps: they
# never acted (see calibration/scoring.py, combine), which both survivors showed.

# Survivors judged harmless, with the reason (by mutant id): equivalent (no input can tell
# them apart from the original) unless the reason says otherwise.
EQUIVALENT: dict[str, str] = {
    "sql:Dialect.number:number:`0` -> `1`#1":
        "only +inf and -inf reach `\"-\" if value < 0`: value < 1 splits them the same way",
    "metrics:_cells:number:`3` -> `4`#2":
        "only the length of the bincount buffer (minlength): extra empty cells are dropped "
        "by flatnonzero right after",
    "metrics:band_table:number:`0.0` -> `1.0`#2":
        "with no ARR supplied _add_arr ignores the totals it is passed (missing=None)",
    "metrics:_scipy_ks_p_value:call:`clip(...)` dropped (first argument kept)#1":
        "scipy's kstwo.sf is a probability, already within 0-1",
    "validation:segment_config_metrics:bool:`False` -> `True`#2":
        "include_factors=True without factor scores: metrics.evaluate then reports 'no factor "
        "scores supplied' instead of 'not requested', both undefined with value None; no "
        "number changes",
    "history:_window_slope:binop:`-` -> `+`#2":
        "x = (date + anchor) instead of (date - anchor) shifts one account's x values by the "
        "constant 2 x anchor: a least-squares slope does not change under a shift of x",
    "history:_Sorted.last_at_or_before:number:`1` -> `2`#4":
        "-1 marks 'no row at or before' and its one caller (score_trend) only tests "
        "`idx >= 0`: -2 marks it the same way",
    "sql:build_query:call:`sorted(...)` dropped (first argument kept)#1":
        "not equivalent, harmless: only the order of a column's parsed views inside "
        "one CTE's select list changes (each is referred to by name); every output "
        "is the same",
    "scoring:_unit_scale:compare0:`>` -> `>=`#1":
        "unreachable: the largest weight is 0 only when every weight is 0, which config "
        "validation refuses for factors, groups and each segment",
    "scoring:_combine_plan:compare0:`>` -> `>=`#1":
        "weightless factors then count as active: a missing one sends its rows down the "
        "slower path, where a weight of 0 adds 0 (test_fast_and_explain_paths_give_identical_"
        "scores); a speed difference, not a result",
    "scoring:guardrail_condition:bool:`False` -> `True`#1":
        "the missing texts that fillna fills are removed by `known &` on the next line",
    "config:Config.rules_fingerprint:number:`12` -> `13`#1":
        "rules_fingerprint is only a cache key compared with other rules_fingerprint values: "
        "13 hex digits identify a rule set as well as 12",
    "config:Config.group_weight:number:`0.0` -> `1.0`#1":
        "unreachable: once groups are declared, validation refuses a factor in an undeclared "
        "group, so group_weight is only asked about declared names",
    "config:write_json_schema:bool:`True` -> `False`#1":
        "key order of the generated schema file only; its content (what the committed-schema "
        "test compares) is the same",
    "decisions:derive:number:`1` -> `2`#1":
        "-1 marks a decision with no judged row and is only ever tested as `row >= 0`: -2 "
        "marks it the same way",
    "decisions:derive:number:`1` -> `2`#2":
        "the same -1 'no judged row' marker (dated data): only tested as `row >= 0`",
    "compare:migration_matrix:number:`4` -> `5`#1":
        "only the size of the count buffer: band indices are 0-3 and the table is sliced to "
        "[:k, :k] (k <= 4) right after, so a 5th row is never filled nor shown",
    "compare:migration_matrix:number:`4` -> `5`#2":
        "the same count buffer (its columns): never filled, sliced off",
    "compare:band_movers:number:`100.0` -> `200.0`#1":
        "not equivalent, harmless: an account gaining or losing its score is ranked as a "
        "100-point move (the most a 0-100 score can move); 200 only puts it ahead of "
        "accounts that moved the full 0 <-> 100, a tie the stable sort otherwise breaks by "
        "row order",
    "fitting:band_warnings:compare0:`>=` -> `>`#2":
        "differs only when green's Wilson lower bound equals exactly half the overall churn "
        "rate K/N; an exhaustive search (green 1-200 accounts, every green churn count, "
        "N <= 5,000) found no such case in floating point, so no realistic band table is "
        "judged differently",
    "fitting:suggest_bands:number:`1e-12` -> `2e-12`#2":
        "not equivalent, harmless: the float-noise tolerance when comparing the red band's "
        "share of accounts with red_max_accounts; only shares within 2e-12 of the limit "
        "(far below one account in a trillion) are judged differently",
    "fitting:_constraints:number:`1e-09` -> `2e-09`#1":
        "not equivalent, harmless: only the float-noise tolerance for locked weights and "
        "minimums adding up to over 100%; a sum between 100 + 1e-9 and 100 + 2e-9 is then "
        "accepted instead of refused, and the weights are rounded to 0.01% summing to "
        "exactly 100 either way",
}
