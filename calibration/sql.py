"""Compile a config to one SQL ``SELECT`` that scores accounts inside the warehouse.

The query reproduces :func:`calibration.scoring.score_frame` (see :mod:`calibration.values`
for how raw values are read): numbers from trimmed text (commas removed, ``inf`` allowed),
yes/no words, case-insensitive trimmed categories, blanks, missing policy, segment overrides
(first match wins), hierarchical renormalisation of weights, guardrail caps and bands.

Dialects: ``duckdb``, ``postgres``, ``snowflake``, ``bigquery``, ``spark``.

Known differences from the Python reference (all on odd data only):

- snowflake / bigquery have no per-row type test, so every column is read as text: a numeric
  rule or numeric guardrail on a BOOLEAN column reads it as missing (Python: 1 / 0);
- category matching uses SQL ``LOWER`` (Python ``casefold``: differs for e.g. German ß) and
  trims ASCII whitespace only;
- postgres reads exponents of more than four digits (``1e99999``) as missing;
- per-factor points are 0, not NaN, for a present factor of a group whose weights are all 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

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
from calibration.values import FALSE_WORDS, MISSING_WORDS, TRUE_WORDS

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")
WHITESPACE = " \t\n\r\x0b\x0c"
INFINITY_WORDS = ("inf", "+inf", "infinity", "+infinity")
NEG_INFINITY_WORDS = ("-inf", "-infinity")
_NUMBER = "[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(e[+-]?{exp})?"
# Postgres: float8 input raises on overflow/underflow, so numbers go through numeric and are
# clamped first (largest finite double rounds up to infinity at 2**1024 - 2**970).
_PG_OVERFLOW = "1.7976931348623158e308"
_PG_UNDERFLOW = "2.4703282292062328e-324"


# --------------------------------------------------------------------------- dialects
@dataclass(frozen=True)
class Dialect:
    """Quoting, literals and the few functions that differ between SQL engines."""

    name: str

    @property
    def text_type(self) -> str:
        """Type name for text casts."""
        return {"postgres": "TEXT", "bigquery": "STRING", "spark": "STRING"}.get(
            self.name, "VARCHAR")

    def ident(self, name: str) -> str:
        """Quote one identifier (embedded quote characters are escaped)."""
        if self.name == "spark":
            return "`" + name.replace("`", "``") + "`"
        if self.name == "bigquery":
            return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
        return '"' + name.replace('"', '""') + '"'

    def table(self, table: str | Sequence[str]) -> str:
        """Quote a table name; a sequence gives a qualified name (schema, table)."""
        parts = [table] if isinstance(table, str) else list(table)
        if not parts or not all(isinstance(p, str) and p for p in parts):
            raise ValueError(f"table name must be a non-empty string, got {table!r}")
        return ".".join(self.ident(p) for p in parts)

    def string(self, value: str) -> str:
        """A string literal (quotes, backslashes and control characters escaped)."""
        if self.name in ("duckdb", "postgres"):
            return "'" + value.replace("'", "''") + "'"
        out = []
        for char in value:
            if char == "\\":
                out.append("\\\\")
            elif char == "'":
                out.append("''" if self.name == "snowflake" else "\\'")
            elif char in "\n\t\r":
                out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
            elif ord(char) < 32 or ord(char) == 127:
                out.append(f"\\u{ord(char):04x}" if self.name == "spark" else
                           f"\\x{ord(char):02x}")
            else:
                out.append(char)
        return "'" + "".join(out) + "'"

    def number(self, value: float) -> str:
        """A DOUBLE literal that reads back as exactly ``value``."""
        value = float(value)
        if math.isnan(value):
            raise ValueError("NaN cannot be compiled to SQL")
        if math.isinf(value):
            word = "Infinity" if self.name in ("postgres", "spark") else "inf"
            return self._cast_text(("-" if value < 0 else "") + word)
        if value.is_integer() and abs(value) < 2**53:
            text = str(int(value))
            if self.name == "bigquery":
                return text + ".0"
            if self.name == "spark":
                return f"CAST({text} AS DOUBLE)"
            return f"{text}::{self.double_type}"
        if self.name == "bigquery":
            return repr(value)
        return self._cast_text(repr(value))

    @property
    def double_type(self) -> str:
        """Type name of a 64-bit float."""
        return {"postgres": "float8", "snowflake": "FLOAT", "bigquery": "FLOAT64"}.get(
            self.name, "DOUBLE")

    def _cast_text(self, text: str) -> str:
        if self.name in ("spark", "bigquery"):
            return f"CAST({self.string(text)} AS {self.double_type})"
        return f"{self.string(text)}::{self.double_type}"

    def trim(self, expr: str) -> str:
        """Strip ASCII whitespace from both ends."""
        chars = self.string(WHITESPACE)
        if self.name == "spark":
            return f"TRIM(BOTH {chars} FROM {expr})"
        if self.name == "postgres":
            return f"BTRIM({expr}, {chars})"
        return f"TRIM({expr}, {chars})"

    def full_match(self, expr: str, pattern: str) -> str:
        """True where the whole of ``expr`` matches the regular expression."""
        anchored = self.string(f"^{pattern}$")
        if self.name == "duckdb":
            return f"regexp_full_match({expr}, {anchored})"
        if self.name == "postgres":
            return f"{expr} ~ {anchored}"
        if self.name == "snowflake":
            return f"REGEXP_LIKE({expr}, {anchored})"
        if self.name == "bigquery":
            return f"REGEXP_CONTAINS({expr}, {anchored})"
        return f"{expr} RLIKE {anchored}"

    def parse_number(self, expr: str) -> str:
        """DOUBLE from lower-cased, comma-free text, NULL unless it reads as a number."""
        finite = self.full_match(expr, _NUMBER.format(
            exp="0*[0-9]{1,4}" if self.name == "postgres" else "[0-9]+"))
        if self.name == "postgres":
            num = f"CAST({expr} AS NUMERIC)"
            cast = (f"CASE WHEN ABS({num}) >= {_PG_OVERFLOW} THEN CASE WHEN {num} > 0 "
                    f"THEN {self.number(math.inf)} ELSE {self.number(-math.inf)} END "
                    f"WHEN ABS({num}) <= {_PG_UNDERFLOW} THEN 0::float8 "
                    f"ELSE CAST({num} AS float8) END")
        elif self.name == "bigquery":
            cast = f"SAFE_CAST({expr} AS FLOAT64)"
        else:
            cast = f"TRY_CAST({expr} AS {self.double_type})"
        return (f"CASE WHEN {expr} IN ({self._strings(INFINITY_WORDS)}) THEN "
                f"{self.number(math.inf)} WHEN {expr} IN ({self._strings(NEG_INFINITY_WORDS)})"
                f" THEN {self.number(-math.inf)} WHEN {finite} THEN {cast} END")

    def _strings(self, values) -> str:
        return ", ".join(self.string(v) for v in values)

    def type_class(self, column: str) -> str | None:
        """SQL giving 'bool', 'num' or 'text' for a column's type (None: not available)."""
        if self.name == "duckdb":
            kind = f"typeof({column})"
            ints = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                    "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE")
            return (f"CASE WHEN {kind} = 'BOOLEAN' THEN 'bool' WHEN {kind} IN "
                    f"({self._strings(ints)}) OR {kind} LIKE 'DECIMAL%' THEN 'num' "
                    "ELSE 'text' END")
        if self.name == "postgres":
            kind = f"pg_typeof({column})"
            nums = ", ".join(f"'{t}'::regtype" for t in (
                "smallint", "integer", "bigint", "real", "double precision", "numeric"))
            return (f"CASE WHEN {kind} = 'boolean'::regtype THEN 'bool' WHEN {kind} IN "
                    f"({nums}) THEN 'num' ELSE 'text' END")
        if self.name == "spark":
            kind = f"typeof({column})"
            nums = ("tinyint", "smallint", "int", "bigint", "float", "double")
            return (f"CASE WHEN {kind} = 'boolean' THEN 'bool' WHEN {kind} IN "
                    f"({self._strings(nums)}) OR {kind} LIKE 'decimal%' THEN 'num' "
                    "ELSE 'text' END")
        return None

    @property
    def has_types(self) -> bool:
        """Whether :meth:`type_class` can tell booleans and numbers from text per row."""
        return self.name in ("duckdb", "postgres", "spark")

    def label(self, text: str) -> str:
        """Output column name (BigQuery: letters, digits and underscores only)."""
        if self.name == "bigquery":
            text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "col"
            if text[0].isdigit():
                text = "_" + text
        return self.ident(text)


def get_dialect(name: str) -> Dialect:
    """The :class:`Dialect` called ``name`` (ValueError listing the choices otherwise)."""
    if name not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}: expected one of {', '.join(DIALECTS)}")
    return Dialect(name)


# --------------------------------------------------------------------------- value views
@dataclass
class _Column:
    """One data column and the views of it the query needs."""

    index: int
    name: str
    views: set[str]

    def ref(self, view: str) -> str:
        self.views.add(view)
        return f"hs_c{self.index}_{view}"


class _Columns:
    def __init__(self) -> None:
        self.by_name: dict[str, _Column] = {}

    def __getitem__(self, name: str) -> _Column:
        if name not in self.by_name:
            self.by_name[name] = _Column(len(self.by_name), name, set())
        return self.by_name[name]


def _view_sql(d: Dialect, col: _Column, view: str) -> str:
    """Level-1 expression of one view (over the level-0 text columns)."""
    low, num_text, kind = (f"hs_c{col.index}_{v}" for v in ("l", "x", "k"))
    if view == "blank":
        return f"({low} IS NULL OR {low} IN ({d._strings(sorted(MISSING_WORDS))}))"
    parsed = d.parse_number(num_text)
    if view == "num":
        from_bool = f"CASE {low} WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 END"
        if not d.has_types:
            return parsed
        return f"CASE WHEN {kind} = 'bool' THEN {from_bool} ELSE {parsed} END"
    words = (f"CASE WHEN {low} IN ({d._strings(sorted(TRUE_WORDS))}) THEN 1 "
             f"WHEN {low} IN ({d._strings(sorted(FALSE_WORDS))}) THEN 0 END")
    if view == "bool":
        if not d.has_types:
            return words
        return (f"CASE WHEN {kind} = 'num' THEN CASE WHEN {parsed} = 1 THEN 1 "
                f"WHEN {parsed} = 0 THEN 0 END ELSE {words} END")
    if view == "cat":
        if not d.has_types:
            return low
        whole = (f"CASE WHEN {parsed} IS NULL THEN NULL "
                 f"WHEN {parsed} = {d.number(math.inf)} THEN 'inf' "
                 f"WHEN {parsed} = {d.number(-math.inf)} THEN '-inf' "
                 f"WHEN ABS({parsed}) < 9.0e18 AND {parsed} = FLOOR({parsed}) "
                 f"THEN CAST(CAST({parsed} AS BIGINT) AS {d.text_type}) ELSE {low} END")
        return f"CASE WHEN {kind} = 'num' THEN {whole} ELSE {low} END"
    raise AssertionError(view)  # pragma: no cover


# --------------------------------------------------------------------------- rules
def _rule_sql(d: Dialect, factor: Factor, rule, col: _Column) -> str:
    """Points 0-100 (NULL where missing) of one rule, before the missing policy."""
    if isinstance(rule, MappingRule):
        cat = col.ref("cat")
        whens = " ".join(
            f"WHEN {cat} = {d.string(key.strip().casefold())} THEN {d.number(points)}"
            for key, points in rule.points.items())
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
        share = f"({n} - {d.number(rule.lo)}) / {d.number(rule.hi - rule.lo)}"
        points = (f"CASE WHEN {n} IS NULL THEN NULL WHEN {share} <= 0 THEN 0.0 "
                  f"WHEN {share} >= 1 THEN 100.0 ELSE {share} * 100.0 END")
    elif isinstance(rule, PercentileRule):
        xs, ys = rule.values, rule.percentiles
        parts = [f"CASE WHEN {n} IS NULL THEN NULL WHEN {n} <= {d.number(xs[0])} "
                 f"THEN {d.number(ys[0])} WHEN {n} >= {d.number(xs[-1])} THEN {d.number(ys[-1])}"]
        for j in range(len(xs) - 1):
            slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
            parts.append(f"WHEN {n} < {d.number(xs[j + 1])} THEN {d.number(slope)} * "
                         f"({n} - {d.number(xs[j])}) + {d.number(ys[j])}")
        points = " ".join(parts) + " END"
    else:  # pragma: no cover - the config model admits no other kind
        raise TypeError(f"rule {rule!r} does not score numbers")
    if factor.direction == "lower_is_better":
        return f"100.0 - ({points})"
    return points


def _guard_sql(d: Dialect, rail, col: _Column) -> str:
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
    return f"({cat} IS NOT NULL AND {cat} {sign} {d.string(str(value).strip().casefold())})"


def _by_segment(values: list[str], default: str) -> str:
    """``default``, or a CASE on the segment index when segments override it."""
    if all(v == default for v in values):
        return default
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values) if v != default)
    return f"CASE hs_seg {whens} ELSE {default} END"


# --------------------------------------------------------------------------- compiler
def compile_sql(config: Config, table: str | Sequence[str] = "accounts",
                dialect: str = "duckdb") -> str:
    """One ``SELECT`` scoring every row of ``table`` exactly like :func:`score_frame`.

    Parameters
    ----------
    config : the health-score config
    table : table name, or a sequence of name parts for a qualified name (schema, table)
    dialect : one of :data:`DIALECTS`

    Returns
    -------
    str
        SQL text with columns: account id, snapshot date (when the role is set),
        ``segment_config``, ``score``, ``band``, ``raw_score``, ``guardrail``,
        ``points: <factor>`` (points each factor adds; they sum to ``raw_score``),
        ``points: guardrail``, ``sub-score: <group>`` and ``config_hash``.
    """
    d = get_dialect(dialect)
    cols = _Columns()
    groups = config.group_names()
    nseg = len(config.segments)

    # level 2: segment, factor points, guardrail cap
    seg_whens = []
    for i, seg in enumerate(config.segments):
        cat = cols[seg.match.column].ref("cat")
        wanted = d._strings(dict.fromkeys(v.strip().casefold() for v in seg.match.values))
        seg_whens.append(f"WHEN {cat} IN ({wanted}) THEN {i}")
    seg_sql = f"CASE {' '.join(seg_whens)} ELSE -1 END" if seg_whens else "-1"

    points_sql = []
    for k, factor in enumerate(config.factors):
        col = cols[factor.column]
        base = _rule_sql(d, factor, factor.rule, col)
        overrides = [(i, s.rules[factor.name]) for i, s in enumerate(config.segments)
                     if factor.name in s.rules]
        expr = base if not overrides else "CASE hs_seg " + " ".join(
            f"WHEN {i} THEN {_rule_sql(d, factor, rule, col)}" for i, rule in overrides
        ) + f" ELSE {base} END"
        if factor.missing == "points":
            expr = f"COALESCE({expr}, {d.number(factor.missing_points)})"
        points_sql.append(f"{expr} AS hs_p{k}")

    rails = [(BAND_NAMES.index(r.cap), i, r) for i, r in enumerate(config.guardrails)
             if r.enabled]
    rails.sort(key=lambda t: (t[0], t[1]))  # most severe first, then config order
    if rails:
        conds = [(_guard_sql(d, r, cols[r.column]), level, i) for level, i, r in rails]
        cap_sql = "CASE " + " ".join(f"WHEN {c} THEN {lv}" for c, lv, _ in conds) + " ELSE 2 END"
        rail_sql = "CASE " + " ".join(f"WHEN {c} THEN {i}" for c, _, i in conds) + " ELSE -1 END"
    else:
        cap_sql, rail_sql = "2", "-1"

    # level 0 and 1: text, type class and views of each column
    roles = config.columns
    keys = [f"{d.ident(roles.account_id)} AS hs_id"]
    if roles.snapshot_date:
        keys.append(f"{d.ident(roles.snapshot_date)} AS hs_snapshot")
    level0, level1 = list(keys), ["*"]
    for col in cols.by_name.values():
        raw = d.ident(col.name)
        low = f"LOWER({d.trim(f'CAST({raw} AS {d.text_type})')})"
        level0.append(f"{low} AS hs_c{col.index}_l")
        if col.views & {"num", "bool", "cat"}:
            level0.append(f"REPLACE({low}, ',', '') AS hs_c{col.index}_x")
        kind = d.type_class(raw)
        if kind is not None:
            level0.append(f"{kind} AS hs_c{col.index}_k")
        for view in sorted(col.views):
            level1.append(f"{_view_sql(d, col, view)} AS hs_c{col.index}_{view}")

    # level 3: weights of present factors for the row's plan
    def seg_values(get) -> list[str]:
        return [d.number(get(s)) for s in config.segments]

    weights = []
    for k, factor in enumerate(config.factors):
        w = _by_segment(seg_values(lambda s, f=factor: s.weights.get(f.name, f.weight)),
                        d.number(factor.weight))
        weights.append(f"CASE WHEN hs_p{k} IS NULL THEN 0.0 ELSE {w} END AS hs_fw{k}")
    for g, name in enumerate(groups):
        base = config.group_weight(name)
        w = _by_segment(seg_values(lambda s, n=name, b=base: s.group_weights.get(n, b)),
                        d.number(base))
        weights.append(f"{w} AS hs_gw{g}")
    for band in ("red_max", "yellow_max"):
        value = _by_segment(
            seg_values(lambda s, b=band: getattr(s.bands or config.bands, b)),
            d.number(getattr(config.bands, band)))
        weights.append(f"{value} AS hs_{band}")

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
    clip = ("CASE WHEN hs_raw0 IS NULL THEN NULL WHEN hs_raw0 < 0 THEN 0.0 "
            "WHEN hs_raw0 > 100 THEN 100.0 ELSE hs_raw0 END")
    score = ("CASE WHEN hs_raw IS NULL THEN NULL "
             "WHEN hs_cap = 0 AND hs_raw > hs_red_max THEN hs_red_max "
             "WHEN hs_cap = 1 AND hs_raw > hs_yellow_max THEN hs_yellow_max ELSE hs_raw END")

    # final columns
    def label(text: str) -> str:
        return d.label(text)

    out = [f"hs_id AS {d.ident(roles.account_id)}"]
    if roles.snapshot_date:
        out.append(f"hs_snapshot AS {d.ident(roles.snapshot_date)}")
    seg_names = " ".join(f"WHEN {i} THEN {d.string(s.name)}"
                         for i, s in enumerate(config.segments))
    out.append((f"CASE hs_seg {seg_names} ELSE 'Default' END" if nseg else "'Default'")
               + f" AS {label('segment_config')}")
    out.append(f"hs_score AS {label('score')}")
    out.append("CASE WHEN hs_score IS NULL THEN NULL WHEN hs_score <= hs_red_max THEN 'red' "
               "WHEN hs_score <= hs_yellow_max THEN 'yellow' ELSE 'green' END "
               f"AS {label('band')}")
    out.append(f"hs_raw AS {label('raw_score')}")
    rail_names = " ".join(f"WHEN {i} THEN {d.string(config.guardrails[i].name)}"
                          for _, i, _ in rails)
    out.append((f"CASE WHEN hs_score IS NULL THEN NULL ELSE CASE hs_rail {rail_names} END END"
                if rails else f"CAST(NULL AS {d.text_type})") + f" AS {label('guardrail')}")
    for k, factor in enumerate(config.factors):
        g = groups.index(factor.group)
        contribution = (f"CASE WHEN hs_raw IS NULL THEN NULL WHEN hs_p{k} IS NULL THEN 0.0 "
                        f"WHEN hs_gt{g} > 0 THEN hs_on{g} / hs_total * hs_fw{k} / hs_gt{g} "
                        f"* hs_p{k} ELSE 0.0 END")
        out.append(f"{contribution} AS {label('points: ' + factor.name)}")
    out.append(f"COALESCE(hs_score - hs_raw, 0.0) AS {label('points: guardrail')}")
    for g, name in enumerate(groups):
        out.append(f"hs_sub{g} AS {label('sub-score: ' + name)}")
    out.append(f"{d.string(config.fingerprint())} AS {label('config_hash')}")

    ctes = [
        ("hs_src", level0, d.table(table)),
        ("hs_val", level1, "hs_src"),
        ("hs_pts", ["*", f"{seg_sql} AS hs_seg", f"{cap_sql} AS hs_cap",
                    f"{rail_sql} AS hs_rail"], "hs_val"),
        ("hs_pts2", ["*", *points_sql], "hs_pts"),
        ("hs_wts", ["*", *weights], "hs_pts2"),
        ("hs_grp", ["*", *totals], "hs_wts"),
        ("hs_sub", ["*", *subs], "hs_grp"),
        ("hs_tot", ["*", f"{total_on} AS hs_total"], "hs_sub"),
        ("hs_raw0", ["*", f"{raw0} AS hs_raw0"], "hs_tot"),
        ("hs_raw", ["*", f"{clip} AS hs_raw"], "hs_raw0"),
        ("hs_scored", ["*", f"{score} AS hs_score"], "hs_raw"),
    ]
    title = re.sub(r"[\x00-\x1f\x7f]+", " ", config.name)
    lines = [f"-- Health score {title!r}, config {config.fingerprint()}, dialect {d.name}.",
             "-- Generated by Health Score Calibrator: scores every row of the table.",
             "WITH"]
    for n, (name, select, source) in enumerate(ctes):
        body = ",\n    ".join(select)
        sep = "," if n < len(ctes) - 1 else ""
        # postgres inlines CTEs: nesting each layer's expressions would blow up exponentially
        keyword = "AS MATERIALIZED" if d.name == "postgres" and n else "AS"
        lines.append(f"{name} {keyword} (\n  SELECT\n    {body}\n  FROM {source}\n){sep}")
    lines.append("SELECT\n  " + ",\n  ".join(out) + "\nFROM hs_scored")
    return "\n".join(lines) + "\n"


__all__ = ["DIALECTS", "Dialect", "compile_sql", "get_dialect"]
