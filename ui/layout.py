"""Layouts that fit the screen: rows of cards that wrap instead of truncating, side-by-side
panes that stack on narrow screens, and captions dark enough to read (WCAG AA contrast).

Streamlit columns never wrap by themselves (until ~640 px): five metric cards in a 700 px
main area cut "$3,381,300" to "$3,…". Containers keyed ``hsc-wrap-*`` and ``hsc-panes-*``
get CSS that lets their columns wrap; tests/browser/test_pages.py checks nothing is clipped
at 1440 and 800 px.
"""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
/* captions: Streamlit fades them with opacity 0.6, which fails WCAG AA contrast (4.5:1) on
   white (axe: 3.9:1); a solid grey of 5.9:1 instead */
[data-testid="stCaptionContainer"] { opacity: 1; color: rgba(49, 51, 63, 0.75); }
/* rows of cards: each card at least 11rem wide, wrapping onto the next line */
[class*="st-key-hsc-wrap"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
[class*="st-key-hsc-wrap"] [data-testid="stColumn"] { min-width: min(100%, 11rem); }
/* side-by-side panes: stack below ~1100 px of main width */
[class*="st-key-hsc-panes"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
[class*="st-key-hsc-panes"] [data-testid="stColumn"] { min-width: min(100%, 26rem); }
[class*="st-key-hsc-panes"] [data-testid="stColumn"] [data-testid="stColumn"] {
  min-width: 0; }
[class*="st-key-hsc-panes"] [class*="st-key-hsc-wrap"] [data-testid="stColumn"] {
  min-width: min(100%, 11rem); }
/* metric labels wrap onto a second line instead of ending in "…" */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
[data-testid="stMetricValue"] > div { overflow-wrap: anywhere; }
</style>
"""

def apply_styles() -> None:
    """Inject the layout CSS (once per run, from the app frame)."""
    st.html(CSS)


def card_row(n: int, key: str) -> list:
    """``n`` columns for metric cards that wrap onto more lines when the screen is narrow."""
    with st.container(key=f"hsc-wrap-{key}"):
        return st.columns(n)


def panes(spec: list[float] | int, key: str, gap: str = "large") -> list:
    """Side-by-side panes (``st.columns(spec)``) that stack when the screen is narrow."""
    with st.container(key=f"hsc-panes-{key}"):
        return st.columns(spec, gap=gap)
