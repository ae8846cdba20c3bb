"""Health Score Calibrator: the frame. Pages in app_pages/ render; calibration/ computes.

The page folder is app_pages/, not pages/: with an st.navigation entry file AND a folder
named pages/, AppTest fell back to pages-folder mode on the second run and skipped this frame
(tests/apptest_support.assert_clean guards against it).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import layout, server, sidebar, state  # noqa: F401 - server: process settings

# A local image: a ":material/...:" page icon makes the browser fetch the favicon from a font
# CDN, and nothing may leave the machine (tests/browser/test_pages.py checks every request).
FAVICON = Path(__file__).parent / "assets" / "favicon.png"
st.set_page_config(page_title="Health Score Calibrator", page_icon=str(FAVICON), layout="wide")
layout.apply_styles()

PAGES = [
    st.Page("app_pages/data.py", title="Data", icon=":material/database:", url_path="data"),
    st.Page("app_pages/calibrate.py", title="Calibrate", icon=":material/tune:",
            url_path="calibrate", default=True),
    st.Page("app_pages/accounts.py", title="Accounts", icon=":material/groups:",
            url_path="accounts"),
    st.Page("app_pages/renewals.py", title="Renewals", icon=":material/autorenew:",
            url_path="renewals"),
    st.Page("app_pages/segments.py", title="Segments", icon=":material/category:",
            url_path="segments"),
    st.Page("app_pages/suggest.py", title="Suggest", icon=":material/auto_fix_high:",
            url_path="suggest"),
    st.Page("app_pages/scenarios.py", title="Scenarios", icon=":material/compare:",
            url_path="scenarios"),
    st.Page("app_pages/export.py", title="Export", icon=":material/ios_share:",
            url_path="export"),
    st.Page("app_pages/versions.py", title="Versions", icon=":material/history:",
            url_path="versions"),
]

navigation = st.navigation(PAGES)
ws = state.workspace()
sidebar.render(ws)
navigation.run()
