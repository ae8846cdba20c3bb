"""Health Score Calibrator: minimal view of the demo data's score distribution."""

from __future__ import annotations

import numpy as np
import streamlit as st

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.demo import DEMO_CONFIG, DEMO_DATA
from calibration.scoring import score_frame

st.set_page_config(page_title="Health Score Calibrator", layout="wide")
st.title("Health Score Calibrator")
config = load_config(DEMO_CONFIG)
table = load_accounts(DEMO_DATA, config)
result = score_frame(table.frame, config, explain=False).result
counts, edges = np.histogram(result.score[~np.isnan(result.score)], bins=20, range=(0, 100))
st.caption(f"{config.name} on the demo data: {len(table):,} account snapshots")
st.bar_chart({"accounts": counts}, x_label="score bin (5 points)", y_label="snapshots")
