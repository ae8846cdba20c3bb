"""Layouts that fit the screen: rows of cards that wrap instead of truncating, side-by-side
panes that stack on narrow screens, and captions dark enough to read (WCAG AA contrast).

Streamlit columns never wrap by themselves (until ~640 px): five metric cards in a 700 px
main area cut "$3,381,300" to "$3,…". Containers keyed ``hsc-wrap-*`` and ``hsc-panes-*``
get CSS that lets their columns wrap; tests/browser/test_pages.py checks nothing is clipped
at 1280, 1440, 1920 and 800 px (where the sidebar folds by itself).
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
/* toggle and checkbox labels too ("Capacity in accou…" in a narrow column) */
[data-testid="stCheckbox"] [data-testid="stMarkdownContainer"] {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
/* the script below renders nothing: no empty row for it */
[data-testid="stElementContainer"]:has(.hsc-fold-sidebar) { display: none; }
</style>
"""

# Streamlit folds the sidebar by itself only up to 768 px; between that and ~1000 px its
# 300 px leave too little for the page. Fold it once per page load on such screens, unless
# the reader has opened or folded it before (Streamlit keeps that choice in localStorage);
# our own fold is not remembered, so a wider window gets the sidebar back. A constant script
# (no user input in it).
FOLD_SIDEBAR_JS = """
<span class="hsc-fold-sidebar"></span>
<script>
(() => {
  if (window.hscSidebarChecked) return;
  window.hscSidebarChecked = true;
  if (window.innerWidth >= 1000) return;
  const prefix = "stSidebarCollapsed-";
  let keys;
  try { keys = Object.keys(window.localStorage); } catch (e) { keys = []; }
  if (keys.some((k) => k.startsWith(prefix))) return;  // the reader's own choice
  let tries = 0;
  const fold = () => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (bar && button && bar.getAttribute("data-collapsed") === "false") {
      button.click();
      setTimeout(() => {
        try {
          Object.keys(window.localStorage).filter((k) => k.startsWith(prefix))
            .forEach((k) => window.localStorage.removeItem(k));
        } catch (e) { /* storage blocked: nothing was remembered */ }
      }, 0);
      return;
    }
    if (++tries < 150) setTimeout(fold, 100);
  };
  fold();
})();
</script>
"""

def apply_styles() -> None:
    """Inject the layout CSS and the narrow-screen sidebar fold (once per run, from the app
    frame)."""
    st.html(CSS)
    st.html(FOLD_SIDEBAR_JS, unsafe_allow_javascript=True)


def card_row(n: int, key: str) -> list:
    """``n`` columns for metric cards that wrap onto more lines when the screen is narrow."""
    with st.container(key=f"hsc-wrap-{key}"):
        return st.columns(n)


def panes(spec: list[float] | int, key: str, gap: str = "large") -> list:
    """Side-by-side panes (``st.columns(spec)``) that stack when the screen is narrow."""
    with st.container(key=f"hsc-panes-{key}"):
        return st.columns(spec, gap=gap)
