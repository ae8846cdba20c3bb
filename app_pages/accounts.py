"""accounts page (placeholder until built)."""

import streamlit as st

st.title("Accounts")
st.info("Coming soon.")
