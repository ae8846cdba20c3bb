"""Case folding in SQL that equals Python's ``str.casefold`` for every comparison the query
makes, in any database locale (a C-locale PostgreSQL included).

SQL ``LOWER`` depends on the locale and does not fold ``ß``, ``İ``, the Kelvin sign or (under
the C locale) even ``É``. The query only ever compares folded text with known strings (mapping
categories, segment values, guardrail values, yes/no, blank and infinity words, number
characters): their characters form an *alphabet*. :func:`fold_sql` maps every character
whose case fold consists of alphabet characters to that fold, with ``TRANSLATE`` (one
character) and ``REPLACE`` (several, e.g. ``ß`` -> ``ss``). Folded strings are made of
characters that fold to themselves, so ``fold_sql(x) = key`` holds exactly when
``x.casefold() = key``; characters outside the alphabet are left alone and can never match.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable

from calibration.sql.dialects import Dialect


@functools.cache
def _fold_table() -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Characters that change under casefold: single-character folds by target, and the
    characters whose fold is several characters long."""
    singles: dict[str, list[str]] = {}
    multis: list[tuple[str, str]] = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        folded = char.casefold()
        if folded == char:
            continue
        if len(folded) == 1:
            singles.setdefault(folded, []).append(char)
        else:
            multis.append((char, folded))
    return singles, multis


def fold_sql(d: Dialect, expr: str, alphabet: Iterable[str]) -> str:
    """SQL case-folding ``expr`` exactly like ``str.casefold`` for text compared with
    strings made of ``alphabet`` characters."""
    letters = set(alphabet)
    singles, multis = _fold_table()
    for char, folded in multis:
        if set(folded) <= letters:
            expr = f"REPLACE({expr}, {d.string(char)}, {d.string(folded)})"
    sources, targets = [], []
    for folded in sorted(letters):
        for char in singles.get(folded, ()):
            sources.append(char)
            targets.append(folded)
    if sources:
        expr = (f"TRANSLATE({expr}, {d.string(''.join(sources))}, "
                f"{d.string(''.join(targets))})")
    return expr
