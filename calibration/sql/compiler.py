"""Compile a config to one SQL ``SELECT`` that scores accounts inside the warehouse.

The query reproduces :func:`calibration.scoring.score_frame` step by step, with the same
value reading (:mod:`calibration.values`: one text normalisation, one type inference, one
number grammar), the same weight plans (:func:`calibration.scoring.plans`: weights scaled by
the largest, tiny ones 0), the same guarded linear and percentile formulas and the same
rounding rule (:func:`calibration.scoring.round_score`), so a score on a band cut-off lands
in the same band as in Python.

Known differences from the Python reference (all on odd data only):

- snowflake / bigquery have no per-row type test, so every column is read as text: a numeric
  rule or numeric guardrail on a BOOLEAN column reads it as missing (Python: 1 / 0);
- per-factor points are 0, not NaN, for a present factor of a group whose weights are all 0;
- postgres reads a number with a 5+ digit exponent as 0 or infinite from its sign alone
  (exact unless the mantissa itself has thousands of digits).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from calibration.config import (
    BAND_NAMES,
    BooleanRule,
    Config,
    Factor,
    LinearRule,
    MappingRule,
    PercentileRule,
    StepsRule,
)
from calibration.outputs import output_names
from calibration.scoring import SCORE_SCALE, SHARE_FLOOR, plans
from calibration.sql.dialects import Dialect, get_dialect
from calibration.sql.text import fold_sql
from calibration.values import (
    FALSE_WORDS,
    INFINITY_WORDS,
    MISSING_WORDS,
    NEG_INFINITY_WORDS,
    TRUE_WORDS,
    WHITESPACE,
    WHOLE_LIMIT,
    fold,
)

_NUMBER_CHARS = "0123456789.+-e,"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------- value views
@dataclass
class _Column:
    """One data column and the views of it the query needs."""

    index: int
    name: str
    views: set[str] = field(default_factory=set)

    def ref(self, view: str) -> str:
        self.views.add(view)
        return f"hs_c{self.index}_{view}"


class _Columns:
    def __init__(self) -> None:
        self.by_name: dict[str, _Column] = {}
        self.alphabet: set[str] = set()

    def __getitem__(self, name: str) -> _Column:
        if name not in self.by_name:
            self.by_name[name] = _Column(len(self.by_name), name)
        return self.by_name[name]

    def compared(self, *texts: str) -> None:
        """Folded strings the query compares column text with."""
        for text in texts:
            self.alphabet.update(text)


def _view_sql(d: Dialect, col: _Column, view: str) -> str:
    """Expression of one view over the folded text (``l``), type class (``k``) and parsed
    number (``n``) of the column."""
    low, kind, parsed = (f"hs_c{col.index}_{v}" for v in ("l", "k", "n"))
    if view == "blank":
        return f"({low} IS NULL OR {low} IN ({d.strings(sorted(MISSING_WORDS))}))"
    if view == "num":
        if not d.has_types:
            return parsed
        return (f"CASE WHEN {kind} = 'bool' THEN CASE {low} WHEN 'true' THEN 1.0 "
                f"WHEN 'false' THEN 0.0 END ELSE {parsed} END")
    words = (f"CASE WHEN {low} IN ({d.strings(sorted(TRUE_WORDS))}) THEN 1 "
             f"WHEN {low} IN ({d.strings(sorted(FALSE_WORDS))}) THEN 0 END")
    if view == "bool":
        if not d.has_types:
            return words
        return (f"CASE WHEN {kind} = 'num' THEN CASE WHEN {parsed} = 1 THEN 1 "
                f"WHEN {parsed} = 0 THEN 0 END ELSE {words} END")
    if view == "cat":
        text = f"CASE WHEN {low} IN ({d.strings(sorted(MISSING_WORDS))}) THEN NULL ELSE {low} END"
        if not d.has_types:
            return text
        whole = (f"CASE WHEN {parsed} IS NULL THEN NULL "
                 f"WHEN {parsed} = {d.number(math.inf)} THEN 'inf' "
                 f"WHEN {parsed} = {d.number(-math.inf)} THEN '-inf' "
                 f"WHEN {d.full_match(low, '-?[0-9]+')} THEN {low} "
                 f"WHEN ABS({parsed}) < {d.number(WHOLE_LIMIT)} AND {parsed} = FLOOR({parsed}) "
                 f"THEN CAST(CAST({parsed} AS BIGINT) AS {d.text_type}) ELSE {low} END")
        return f"CASE WHEN {kind} = 'num' THEN {whole} ELSE {text} END"
    raise AssertionError(view)  # pragma: no cover


# --------------------------------------------------------------------------- rules
def _linear_sql(d: Dialect, n: str, lo: float, hi: float) -> str:
    """Same steps as :func:`calibration.scoring._linear_points` (no under/overflow)."""
    span = hi - lo
    return (f"CASE WHEN {n} IS NULL THEN NULL WHEN {n} <= {d.number(lo)} THEN 0.0 "
            f"WHEN {n} >= {d.number(hi)} THEN 100.0 "
            f"WHEN {n} - {d.number(lo)} < {d.number(span * SHARE_FLOOR)} THEN 0.0 "
            f"ELSE ({n} - {d.number(lo)}) / {d.number(span)} * {d.number(100)} END")


def _percentile_sql(d: Dialect, n: str, xs: list[float], ys: list[float]) -> str:
    """Same steps as :func:`calibration.scoring._percentile_points`."""
    parts = [f"CASE WHEN {n} IS NULL THEN NULL WHEN {n} <= {d.number(xs[0])} "
             f"THEN {d.number(ys[0])} WHEN {n} >= {d.number(xs[-1])} THEN {d.number(ys[-1])}"]
    for j in range(len(xs) - 1):
        dx, dy = xs[j + 1] - xs[j], ys[j + 1] - ys[j]
        offset = f"({n} - {d.number(xs[j])})"
        parts.append(f"WHEN {n} < {d.number(xs[j + 1])} THEN CASE WHEN {offset} < "
                     f"{d.number(dx * SHARE_FLOOR)} THEN {d.number(ys[j])} ELSE "
                     f"{d.number(ys[j])} + {d.number(dy)} * ({offset} / {d.number(dx)}) END")
    return " ".join(parts) + " END"


def _rule_sql(d: Dialect, factor: Factor, rule, col: _Column, cols: _Columns) -> str:
    """Points 0-100 (NULL where missing) of one rule, before the missing policy."""
    if isinstance(rule, MappingRule):
        cat = col.ref("cat")
        keys = {fold(key): points for key, points in rule.points.items()}
        cols.compared(*keys)
        whens = " ".join(f"WHEN {cat} = {d.string(key)} THEN {d.number(points)}"
                         for key, points in keys.items())
        default = "NULL" if rule.default is None else d.number(rule.default)
        return f"CASE WHEN {cat} IS NULL THEN NULL {whens} ELSE {default} END"
    if isinstance(rule, BooleanRule):
        flag = col.ref("bool")
        return (f"CASE {flag} WHEN 1 THEN {d.number(rule.true_points)} "
                f"WHEN 0 THEN {d.number(rule.false_points)} END")
    n = col.ref("num")
    if isinstance(rule, StepsRule):
        whens = " ".join(f"WHEN {n} < {d.number(c)} THEN {d.number(p)}"
                         for c, p in zip(rule.cutoffs, rule.points, strict=False))
        return f"CASE WHEN {n} IS NULL THEN NULL {whens} ELSE {d.number(rule.points[-1])} END"
    if isinstance(rule, LinearRule):
        points = _linear_sql(d, n, rule.lo, rule.hi)
    elif isinstance(rule, PercentileRule):
        points = _percentile_sql(d, n, rule.values, rule.percentiles)
    else:  # pragma: no cover - the config model admits no other kind
        raise TypeError(f"rule {rule!r} does not score numbers")
    if factor.direction == "lower_is_better":
        return f"{d.number(100)} - ({points})"
    return points


def _guard_sql(d: Dialect, rail, col: _Column, cols: _Columns) -> str:
    """Condition of one guardrail (never NULL)."""
    value, op = rail.value, rail.operator
    if op == "is_missing":
        return col.ref("blank")
    if isinstance(value, bool):
        flag = col.ref("bool")
        sign = "=" if op == "==" else "<>"
        return f"({flag} IS NOT NULL AND {flag} {sign} {int(value)})"
    if isinstance(value, int | float):
        n = col.ref("num")
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"({n} IS NOT NULL AND {n} {sql_op} {d.number(value)})"
    cat = col.ref("cat")
    sign = "=" if op == "==" else "<>"
    cols.compared(fold(str(value)))
    return f"({cat} IS NOT NULL AND {cat} {sign} {d.string(fold(str(value)))})"


def _by_segment(values: list[str], default: str) -> str:
    """``default``, or a CASE on the segment index when segments override it."""
    if all(v == default for v in values):
        return default
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values) if v != default)
    return f"CASE hs_seg {whens} ELSE {default} END"


# --------------------------------------------------------------------------- compiler
@dataclass
class Query:
    """The compiled query as layers of expressions (each layer reads the one before)."""

    dialect: Dialect
    source: str
    layers: list[tuple[str, list[str]]]
    outputs: list[str]
    header: list[str]

    def render(self) -> str:
        """SQL text: CTEs, or on PostgreSQL lateral subqueries that keep filters on the
        account id pushed down to the table scan (``AS MATERIALIZED`` CTEs would not)."""
        lines = list(self.header)
        if self.dialect.name == "postgres":
            first, *rest = self.layers
            lines.append("SELECT\n  " + ",\n  ".join(self.outputs))
            lines.append(f"FROM (\n  SELECT\n    {_join(first[1])}\n  FROM {self.source}\n)"
                         f" AS {first[0]}")
            for name, select in rest:
                # OFFSET 0 keeps each layer a separate step (inlining nested layers would
                # repeat expressions exponentially); the base table is still scanned with
                # the caller's filters
                lines.append(f"CROSS JOIN LATERAL (\n  SELECT\n    {_join(select)}\n"
                             f"  OFFSET 0\n) AS {name}")
            return "\n".join(lines) + "\n"
        lines.append("WITH")
        source = self.source
        for n, (name, select) in enumerate(self.layers):
            body = _join(["*", *select] if n else select)
            sep = "," if n < len(self.layers) - 1 else ""
            lines.append(f"{name} AS (\n  SELECT\n    {body}\n  FROM {source}\n){sep}")
            source = name
        lines.append("SELECT\n  " + ",\n  ".join(self.outputs) + f"\nFROM {source}")
        return "\n".join(lines) + "\n"


def _join(select: list[str]) -> str:
    return ",\n    ".join(select)


def build_query(config: Config, source: str, d: Dialect) -> Query:
    """The scoring query of ``config`` reading the relation ``source`` (already quoted)."""
    cols = _Columns()
    cols.compared(*MISSING_WORDS, *TRUE_WORDS, *FALSE_WORDS, *INFINITY_WORDS,
                  *NEG_INFINITY_WORDS, _NUMBER_CHARS)
    groups = config.group_names()
    nseg = len(config.segments)
    all_plans = plans(config)

    # segment, factor points, guardrail cap
    seg_whens = []
    for i, seg in enumerate(config.segments):
        cat = cols[seg.match.column].ref("cat")
        wanted = list(dict.fromkeys(fold(v) for v in seg.match.values))
        cols.compared(*wanted)
        seg_whens.append(f"WHEN {cat} IN ({d.strings(wanted)}) THEN {i}")
    seg_sql = f"CASE {' '.join(seg_whens)} ELSE -1 END" if seg_whens else "-1"

    points_sql = []
    for k, factor in enumerate(config.factors):
        col = cols[factor.column]
        base = _rule_sql(d, factor, factor.rule, col, cols)
        overrides = [(i, s.rules[factor.name]) for i, s in enumerate(config.segments)
                     if factor.name in s.rules]
        expr = base if not overrides else "CASE hs_seg " + " ".join(
            f"WHEN {i} THEN {_rule_sql(d, factor, rule, col, cols)}" for i, rule in overrides
        ) + f" ELSE {base} END"
        if factor.missing == "points":
            expr = f"COALESCE({expr}, {d.number(factor.missing_points)})"
        points_sql.append(f"{expr} AS hs_p{k}")

    rails = [(BAND_NAMES.index(r.cap), i, r) for i, r in enumerate(config.guardrails)
             if r.enabled]
    rails.sort(key=lambda t: (t[0], t[1]))  # most severe first, then config order
    if rails:
        conds = [(_guard_sql(d, r, cols[r.column], cols), level, i) for level, i, r in rails]
        cap_sql = "CASE " + " ".join(f"WHEN {c} THEN {lv}" for c, lv, _ in conds) + " ELSE 2 END"
        rail_sql = "CASE " + " ".join(f"WHEN {c} THEN {i}" for c, _, i in conds) + " ELSE -1 END"
    else:
        cap_sql, rail_sql = "2", "-1"

    # folded text, type class, parsed number and views of each column
    roles = config.columns
    level0 = [f"{d.ident(roles.account_id)} AS hs_id"]
    if roles.snapshot_date:
        level0.append(f"{d.ident(roles.snapshot_date)} AS hs_snapshot")
    folded, parsed, views = [], [], []
    for col in cols.by_name.values():
        raw = d.ident(col.name)
        text = d.trim(f"CAST({raw} AS {d.text_type})", WHITESPACE)
        level0.append(f"{text} AS hs_c{col.index}_t")
        trimmed = f"hs_c{col.index}_t"
        # printable ASCII (almost every value) folds with one TRANSLATE of A-Z
        folded.append(f"CASE WHEN {d.full_match(trimmed, '[ -~]*')} THEN "
                      f"TRANSLATE({trimmed}, {d.string(_UPPER)}, {d.string(_UPPER.lower())}) "
                      f"ELSE {fold_sql(d, trimmed, cols.alphabet)} END AS hs_c{col.index}_l")
        kind = d.type_class(raw)
        if kind is not None:
            level0.append(f"{kind} AS hs_c{col.index}_k")
        if col.views & {"num", "bool", "cat"}:
            number = d.parse_number(f"REPLACE(hs_c{col.index}_l, ',', '')")
            parsed.append(f"{number} AS hs_c{col.index}_n")
        for view in sorted(col.views):
            views.append(f"{_view_sql(d, col, view)} AS hs_c{col.index}_{view}")

    # weights of present factors for the row's plan (scaled like Python's plans)
    def by_plan(get) -> str:
        return _by_segment([d.number(get(p)) for p in all_plans[1:]], d.number(get(all_plans[0])))

    weights = []
    for k in range(len(config.factors)):
        w = by_plan(lambda p, k=k: p.factor_weight[k])
        weights.append(f"CASE WHEN hs_p{k} IS NULL THEN 0.0 ELSE {w} END AS hs_fw{k}")
    for g in range(len(groups)):
        weights.append(f"{by_plan(lambda p, g=g: p.group_weight[g])} AS hs_gw{g}")
    weights.append(f"{by_plan(lambda p: p.red_max)} AS hs_red_max")
    weights.append(f"{by_plan(lambda p: p.yellow_max)} AS hs_yellow_max")

    members = {g: [k for k, f in enumerate(config.factors) if f.group == name]
               for g, name in enumerate(groups)}
    totals = []
    for g, ks in members.items():
        total = " + ".join(f"hs_fw{k}" for k in ks) or "0.0"
        weighted = " + ".join(f"hs_fw{k} * COALESCE(hs_p{k}, 0.0)" for k in ks) or "0.0"
        totals += [f"{total} AS hs_gt{g}", f"{weighted} AS hs_gn{g}"]
    subs = []
    for g in members:
        subs.append(f"CASE WHEN hs_gt{g} > 0 THEN hs_gn{g} / hs_gt{g} END AS hs_sub{g}")
        subs.append(f"CASE WHEN hs_gt{g} > 0 AND hs_gw{g} > 0 THEN hs_gw{g} ELSE 0.0 END "
                    f"AS hs_on{g}")
    total_on = " + ".join(f"hs_on{g}" for g in members)
    weighted_subs = " + ".join(
        f"CASE WHEN hs_on{g} > 0 THEN hs_sub{g} * hs_gw{g} ELSE 0.0 END" for g in members)
    raw0 = f"CASE WHEN hs_total > 0 THEN ({weighted_subs}) / hs_total END"
    scale = d.number(SCORE_SCALE)
    # calibration.scoring.round_score; no 0-100 clamp, as in Python: the weighted mean of
    # points within 0-100 overshoots by a few ulps at most, which this rounding removes
    rounded = f"FLOOR(hs_raw0 * {scale} + 0.5) / {scale}"
    score = ("CASE WHEN hs_raw IS NULL THEN NULL "
             "WHEN hs_cap = 0 AND hs_raw > hs_red_max THEN hs_red_max "
             "WHEN hs_cap = 1 AND hs_raw > hs_yellow_max THEN hs_yellow_max ELSE hs_raw END")

    # final columns (names shared with the CSV export: calibration.outputs)
    names = output_names(config, d.label_text)
    out = [f"hs_id AS {d.ident(names['id'])}"]
    if roles.snapshot_date:
        out.append(f"hs_snapshot AS {d.ident(names['snapshot'])}")
    seg_names = " ".join(f"WHEN {i} THEN {d.string(s.name)}"
                         for i, s in enumerate(config.segments))
    out.append((f"CASE hs_seg {seg_names} ELSE 'Default' END" if nseg else "'Default'")
               + f" AS {d.ident(names['segment_config'])}")
    out.append(f"hs_score AS {d.ident(names['score'])}")
    out.append("CASE WHEN hs_score IS NULL THEN NULL WHEN hs_score <= hs_red_max THEN 'red' "
               "WHEN hs_score <= hs_yellow_max THEN 'yellow' ELSE 'green' END "
               f"AS {d.ident(names['band'])}")
    out.append(f"hs_raw AS {d.ident(names['raw_score'])}")
    rail_names = " ".join(f"WHEN {i} THEN {d.string(config.guardrails[i].name)}"
                          for _, i, _ in rails)
    out.append((f"CASE WHEN hs_score IS NULL THEN NULL ELSE CASE hs_rail {rail_names} END END"
                if rails else f"CAST(NULL AS {d.text_type})")
               + f" AS {d.ident(names['guardrail'])}")
    for k in range(len(config.factors)):
        g = groups.index(config.factors[k].group)
        contribution = (f"CASE WHEN hs_raw IS NULL THEN NULL WHEN hs_p{k} IS NULL THEN 0.0 "
                        f"WHEN hs_gt{g} > 0 THEN hs_on{g} / hs_total * hs_fw{k} / hs_gt{g} "
                        f"* hs_p{k} ELSE 0.0 END")
        out.append(f"{contribution} AS {d.ident(names[('factor', k)])}")
    out.append(f"COALESCE(hs_score - hs_raw, 0.0) AS {d.ident(names['cap'])}")
    for g in range(len(groups)):
        out.append(f"hs_sub{g} AS {d.ident(names[('group', g)])}")
    out.append(f"{d.string(config.fingerprint())} AS {d.ident(names['config_hash'])}")

    layers = [
        ("hs_src", level0), ("hs_fold", folded or ["1 AS hs_none"]),
        ("hs_num", parsed or ["1 AS hs_none2"]), ("hs_val", views or ["1 AS hs_none3"]),
        ("hs_pts", [f"{seg_sql} AS hs_seg", f"{cap_sql} AS hs_cap", f"{rail_sql} AS hs_rail"]),
        ("hs_pts2", points_sql), ("hs_wts", weights), ("hs_grp", totals), ("hs_sub", subs),
        ("hs_tot", [f"{total_on} AS hs_total"]), ("hs_raw0", [f"{raw0} AS hs_raw0"]),
        ("hs_raw", [f"{rounded} AS hs_raw"]), ("hs_scored", [f"{score} AS hs_score"]),
    ]
    title = re.sub(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]+", " ", config.name)
    header = [f"-- Health score {title!r}, config {config.fingerprint()}, dialect {d.name}.",
              "-- Generated by Health Score Calibrator: scores every row of the table."]
    return Query(d, source, layers, out, header)


def compile_sql(config: Config, table: str | Sequence[str] = "accounts",
                dialect: str = "duckdb", *, identifier_case: str | None = None) -> str:
    """One ``SELECT`` scoring every row of ``table`` exactly like :func:`score_frame`.

    Parameters
    ----------
    config : the health-score config
    table : table name, or a sequence of name parts for a qualified name (schema, table)
    dialect : one of :data:`DIALECTS`
    identifier_case : ``exact``, ``upper`` or ``lower`` (default: ``upper`` on Snowflake,
        where unquoted names are stored upper-case; ``exact`` elsewhere)

    Returns
    -------
    str
        SQL text with the columns of :func:`calibration.outputs.output_names`: account id,
        snapshot date (when the role is set), ``segment_config``, ``score``, ``band``,
        ``raw_score``, ``guardrail``, ``points: <factor>`` (they sum to ``raw_score``),
        ``points: guardrail``, ``sub-score: <group>`` and ``config_hash``.
    """
    d = get_dialect(dialect, identifier_case)
    return build_query(config, d.table(table), d).render()
