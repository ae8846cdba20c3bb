"""export page (placeholder until built)."""

import streamlit as st

st.title("Export")
st.info("Coming soon.")
