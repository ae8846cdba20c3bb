"""data page (placeholder until built)."""

import streamlit as st

st.title("Data")
st.info("Coming soon.")
