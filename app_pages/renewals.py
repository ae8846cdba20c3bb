"""renewals page (placeholder until built)."""

import streamlit as st

st.title("Renewals")
st.info("Coming soon.")
