"""Safe display of user data (account names, config names) inside Markdown."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
# C0/C1 control characters (tab and newline kept) and bidirectional overrides/isolates,
# which can make "exe.pdf" read as "fdp.exe"
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_INDENT = re.compile(r"\n[ \t]+")
# what GitHub-flavoured Markdown turns into a link even when every punctuation mark is
# escaped (its autolink pass runs on the unescaped text): "http://", "www." and e-mail "@"
_AUTOLINK = re.compile(r"(:)(?=//)|(www)(?=\.)|(@)", re.IGNORECASE)
WORD_JOINER = "\u2060"  # invisible, and no URL or e-mail pattern runs across it


def md_escape(text: object) -> str:
    """Show ``text`` literally inside Markdown: punctuation is backslash-escaped (no links,
    images, HTML, colour directives, LaTeX, emphasis or headings), control and bidi
    characters become U+FFFD, indentation after a line break (a code block) is dropped, and
    a word joiner after "http:", "www" and "@" keeps bare URLs and e-mails from autolinking."""
    visible = _INDENT.sub("\n", _INVISIBLE.sub("\ufffd", str(text)))
    visible = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, visible)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", visible)


def judged_when(table, horizon_days: int) -> str:
    """How accounts are judged, in words: "as it stood 90 days before its renewal", or the
    single-snapshot caveat."""
    if table.cross_sectional:
        return "on its only snapshot (single-snapshot data: no horizon)"
    return f"as it stood {horizon_days} days before its renewal"
