"""segments page (placeholder until built)."""

import streamlit as st

st.title("Segments")
st.info("Coming soon.")
