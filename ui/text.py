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


# Loader wording -> the words a CS leader reads on the Data page.
ISSUE_PHRASES = {
    "scored as missing (factor left out, weights renormalised)":
        "those rows are scored without it (its weight is shared by the other factors)",
}
FIRST_ROWS = 5


def issue_text(issue) -> str:
    """One data-quality issue in plain words (markdown-escaped): which factor or column, what
    is wrong, what happens, and the first spreadsheet rows concerned."""
    message = str(issue.message)
    for loader, words in ISSUE_PHRASES.items():
        message = message.replace(loader, words)
    where = ""
    factor = re.match(r"factor '([^']+)': ", message)
    if factor:
        message = message[factor.end():]
        where = f"**{md_escape(factor.group(1))}**"
        if issue.column and issue.column != factor.group(1):
            where += f" (column {md_escape(issue.column)})"
        where += ": "
    elif issue.column:
        where = f"Column **{md_escape(issue.column)}**: "
    text = where + md_escape(message)
    if issue.rows:
        shown = ", ".join(f"{r:,}" for r in issue.rows[:FIRST_ROWS])
        total = max(issue.n_rows, len(issue.rows))
        more = f" ({total:,} rows in all)" if total > FIRST_ROWS else ""
        text += f". Spreadsheet rows {shown}{more}."
    elif not text.endswith("."):
        text += "."
    return text
