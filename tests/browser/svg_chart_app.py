"""A test page (not part of the app) for tests/browser/test_svg_chart.py: two charts drawn by
:func:`ui.components.svg_chart`, one of them from hostile names, under a line of plain text
in the theme's colour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from calibration import charts, svg_histogram
from ui.components import svg_chart

EVIL = "evil.example"
NAMES = {"renewed": "<script>window.hscPwned = 1</script>",
         "churned": f'<img src="http://{EVIL}/x.png" onerror="window.hscPwned = 2">'}
CUT_LABELS = ['"><svg onload="window.hscPwned = 3">',
              f"</svg><iframe src=http://{EVIL}/frame></iframe>"]
TITLE = f"<a href='http://{EVIL}/phish'>renew now</a>"

st.markdown("Plain text in the theme's colour.")
hist = charts.score_histogram(np.array([10.0, 50.0, 90.0]), np.array([False, True, False]))
hist["outcome"] = hist["outcome"].map(NAMES)
cuts = pd.DataFrame({"score": [20.0, 80.0], "label": CUT_LABELS, "band": ["red", "green"]})
svg_chart(svg_histogram.histogram_svg(hist, cuts, colours={}, cut_colours={}, title=TITLE,
                                      legend_title=NAMES["renewed"]), key="hostile")
svg_chart(svg_histogram.score_distribution_svg(
    charts.score_histogram(np.array([10.0, 50.0, 90.0]), np.array([False, True, False])),
    30, 70), key="plain")
