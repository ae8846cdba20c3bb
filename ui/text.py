"""Safe display of user data (account names, config names) inside Markdown."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: object) -> str:
    """Backslash-escape Markdown punctuation so the text shows literally (no links, HTML,
    colour directives, LaTeX or emphasis)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
