"""Tables drawn as Markdown (ui.components.markdown_table): a GitHub-flavoured table whose
cells read exactly as the frame's text, hostile text included, with Markdown only where
asked (the band cell's colour and shape)."""

from __future__ import annotations

import pandas as pd
from markdown_it import MarkdownIt

from ui.components import band_table, markdown_table

PARSER = MarkdownIt("commonmark").enable("table")


def rendered(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Header texts, row texts and the token types of a Markdown table."""
    tokens = PARSER.parse(text)
    cells, row, rows, header = [], None, [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append("".join(child.content for child in token.children
                               if child.type in ("text", "code_inline")))
        elif token.type == "tr_close":
            if header is None:
                header = row
            else:
                rows.append(row)
            row = None
    cells = [t.type for t in tokens for t in [t, *(t.children or [])]]
    return header, rows, cells


def test_cells_read_as_the_frame_text():
    frame = pd.DataFrame({"Name | pipe": ["a|b", "$1,200 and $3,400", "*x* [l](http://e.x)"],
                          "Rate": ["12.5%", "n/a", "-3"]})
    header, rows, types = rendered(markdown_table(frame))
    assert header == ["Name | pipe", "Rate"]
    shown = [[cell.replace("\u2060", "") for cell in row] for row in rows]  # md_escape's
    assert shown == [["a|b", "12.5%"], ["$1,200 and $3,400", "n/a"],    # autolink stop
                     ["*x* [l](http://e.x)", "-3"]]
    assert not {"link_open", "em_open", "html_inline", "image"} & set(types)


def test_band_cells_keep_their_markdown():
    bands = [{"band": "red", "accounts": 10, "churned": 4, "churn_rate": 0.4,
              "churn_rate_ci": [0.2, 0.6], "arr": 1000.0, "churned_arr": 400.0}]
    frame = band_table(bands)
    frame["Band"] = ["**▼ Red**"]
    header, rows, types = rendered(markdown_table(frame, markdown=("Band",)))
    assert header == list(frame.columns)
    assert rows[0][0] == "▼ Red" and "strong_open" in types  # bold: Markdown kept
    assert rows[0][1:] == [str(v) for v in frame.iloc[0, 1:]]
