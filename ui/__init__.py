"""Streamlit glue shared by the pages (state, widgets). Computation lives in calibration/."""
