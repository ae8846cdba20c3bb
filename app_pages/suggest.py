"""suggest page (placeholder until built)."""

import streamlit as st

st.title("Suggest")
st.info("Coming soon.")
