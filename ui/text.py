"""Safe display of user data (account names, config names) inside Markdown."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: object) -> str:
    """Backslash-escape Markdown punctuation so the text shows literally (no links, HTML,
    colour directives, LaTeX or emphasis)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def judged_when(table, horizon_days: int) -> str:
    """How accounts are judged, in words: "as it stood 90 days before its renewal", or the
    single-snapshot caveat."""
    if table.cross_sectional:
        return "on its only snapshot (single-snapshot data: no horizon)"
    return f"as it stood {horizon_days} days before its renewal"
