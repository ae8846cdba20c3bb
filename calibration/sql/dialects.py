"""SQL dialects: identifier quoting and case, string and number literals, and the few
functions that differ between engines.

Literals never contain raw control or invisible characters: a SQL file that goes through a
text-mode read, an editor or a terminal keeps its meaning (``'5\\r'`` stays ``'5\\r'``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from calibration.values import INFINITY_WORDS, NEG_INFINITY_WORDS, NUMBER_PATTERN, WHITESPACE

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")
IDENTIFIER_CASES = ("exact", "upper", "lower")
"""How source and output identifiers are written: as given, or upper/lower-cased (Snowflake
folds unquoted identifiers to upper case, so ``upper`` matches objects created unquoted)."""
DEFAULT_CASE = {"snowflake": "upper"}


def _half_smallest_subnormal() -> str:
    with localcontext() as ctx:
        ctx.prec = 2000
        return format(Decimal(2) ** -1075, "f")  # exact: 2**-1075 has 752 digits


# PostgreSQL: float8 input raises on overflow/underflow, so numbers go through NUMERIC and are
# clamped first, at the exact bounds where a double rounds to infinity / to zero.
_PG_OVERFLOW = str(2**1024 - 2**970)
_PG_UNDERFLOW = _half_smallest_subnormal()


def _invisible(char: str) -> bool:
    """Control, format and non-space separator characters: written as escapes."""
    return char != " " and unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Cs",
                                                            "Co", "Cn")


@dataclass(frozen=True)
class Dialect:
    """Quoting, literals and the few functions that differ between SQL engines."""

    name: str
    identifier_case: str = "exact"

    @property
    def text_type(self) -> str:
        """Type name for text casts."""
        return {"postgres": "TEXT", "bigquery": "STRING", "spark": "STRING"}.get(
            self.name, "VARCHAR")

    def cased(self, name: str) -> str:
        """An identifier in the chosen :data:`IDENTIFIER_CASES` form."""
        if self.identifier_case == "upper":
            return name.upper()
        if self.identifier_case == "lower":
            return name.lower()
        return name

    def ident(self, name: str) -> str:
        """Quote one identifier (embedded quote characters are escaped)."""
        name = self.cased(name)
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
        """A string literal: quotes and backslashes escaped, control and invisible characters
        written as escapes (``chr(13)`` on DuckDB/PostgreSQL, ``\\u000d`` elsewhere)."""
        if self.name in ("duckdb", "postgres"):
            pieces, plain = [], []
            for char in value:
                if _invisible(char):
                    if plain:
                        pieces.append("'" + "".join(plain).replace("'", "''") + "'")
                        plain = []
                    pieces.append(f"chr({ord(char)})")
                else:
                    plain.append(char)
            if plain or not pieces:
                pieces.append("'" + "".join(plain).replace("'", "''") + "'")
            if len(pieces) == 1 and pieces[0].startswith("'"):
                return pieces[0]
            return "(" + " || ".join(pieces) + ")"
        out = []
        for char in value:
            if char == "\\":
                out.append("\\\\")
            elif char == "'":
                out.append("''" if self.name == "snowflake" else "\\'")
            elif char in "\n\t\r":
                out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
            elif _invisible(char) and ord(char) <= 0xFFFF:
                out.append(f"\\u{ord(char):04x}")
            elif _invisible(char) and self.name == "bigquery":
                out.append(f"\\U{ord(char):08x}")
            else:
                out.append(char)
        return "'" + "".join(out) + "'"

    def strings(self, values: Iterable[str]) -> str:
        """Comma-separated string literals."""
        return ", ".join(self.string(v) for v in values)

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

    def trim(self, expr: str, chars: str = WHITESPACE) -> str:
        """Strip the characters ``chars`` from both ends (default: :data:`WHITESPACE`)."""
        chars_sql = self.string(chars)
        if self.name == "spark":
            return f"TRIM(BOTH {chars_sql} FROM {expr})"
        if self.name == "postgres":
            return f"BTRIM({expr}, {chars_sql})"
        return f"TRIM({expr}, {chars_sql})"

    def full_match(self, expr: str, pattern: str) -> str:
        """True where the whole of ``expr`` matches the regular expression."""
        anchored = self.string(f"^({pattern})$")
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
        """DOUBLE from folded, comma-free text; NULL unless it reads as a number
        (:data:`calibration.values.NUMBER_PATTERN`, or an infinity word)."""
        inf, neg = self.number(math.inf), self.number(-math.inf)
        head = (f"CASE WHEN {expr} IN ({self.strings(sorted(INFINITY_WORDS))}) THEN {inf} "
                f"WHEN {expr} IN ({self.strings(sorted(NEG_INFINITY_WORDS))}) THEN {neg} ")
        if self.name != "postgres":
            cast = (f"SAFE_CAST({expr} AS FLOAT64)" if self.name == "bigquery"
                    else f"TRY_CAST({expr} AS {self.double_type})")
            return head + f"WHEN {self.full_match(expr, NUMBER_PATTERN)} THEN {cast} END"
        # PostgreSQL: NUMERIC holds exponents up to 4 digits; longer ones are 0 or infinite
        short = NUMBER_PATTERN.replace("[0-9]+)?", "0*[0-9]{1,4})?")
        num = f"CAST({expr} AS NUMERIC)"
        cast = (f"CASE WHEN ABS({num}) >= {_PG_OVERFLOW} THEN CASE WHEN {num} > 0 "
                f"THEN {inf} ELSE {neg} END WHEN ABS({num}) <= {_PG_UNDERFLOW} THEN 0::float8 "
                f"ELSE CAST({num} AS float8) END")
        huge = (f"CASE WHEN {self.full_match(expr, '[+-]?[0.]*e.*')} OR "
                f"{self.full_match(expr, '.*e-.*')} THEN 0::float8 "
                f"WHEN {self.full_match(expr, '-.*')} THEN {neg} ELSE {inf} END")
        return (head + f"WHEN {self.full_match(expr, short)} THEN {cast} "
                f"WHEN {self.full_match(expr, NUMBER_PATTERN)} THEN {huge} END")

    def type_class(self, column: str) -> str | None:
        """SQL giving 'bool', 'num' or 'text' for a column's type (None: not available)."""
        if self.name == "duckdb":
            kind = f"typeof({column})"
            ints = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                    "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE")
            return (f"CASE WHEN {kind} = 'BOOLEAN' THEN 'bool' WHEN {kind} IN "
                    f"({self.strings(ints)}) OR {kind} LIKE 'DECIMAL%' THEN 'num' "
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
                    f"({self.strings(nums)}) OR {kind} LIKE 'decimal%' THEN 'num' "
                    "ELSE 'text' END")
        return None

    @property
    def has_types(self) -> bool:
        """Whether :meth:`type_class` can tell booleans and numbers from text per row."""
        return self.name in ("duckdb", "postgres", "spark")

    def label_text(self, text: str) -> str:
        """Output column name as the engine will store it (BigQuery: letters, digits and
        underscores only; upper/lower case per :attr:`identifier_case`)."""
        if self.name == "bigquery":
            text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "col"
            if text[0].isdigit():
                text = "_" + text
        return self.cased(text)

    def label(self, text: str) -> str:
        """Quoted output column name (:meth:`label_text`, then :meth:`ident`)."""
        return self.ident(self.label_text(text))


def get_dialect(name: str, identifier_case: str | None = None) -> Dialect:
    """The :class:`Dialect` called ``name`` (ValueError listing the choices otherwise).

    ``identifier_case`` defaults to ``upper`` on Snowflake, ``exact`` elsewhere.
    """
    if name not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}: expected one of {', '.join(DIALECTS)}")
    case = identifier_case or DEFAULT_CASE.get(name, "exact")
    if case not in IDENTIFIER_CASES:
        raise ValueError(f"unknown identifier case {case!r}: expected one of "
                         f"{', '.join(IDENTIFIER_CASES)}")
    return Dialect(name, case)
