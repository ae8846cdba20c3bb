"""Cached heavy validation (bootstrap, logit, factor signal, lead time) for the pages.

Keyed by config fingerprint + data file + horizon, with bounded caches (``max_entries``).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.scoring import Scored
from calibration.validation import validate
from ui.state import Evaluation, Workspace, data_key

BOOTSTRAP_RESAMPLES = 1000
LOOKBACK_DAYS = 365


@st.cache_data(max_entries=8, show_spinner="Validating (bootstrap, logistic fit, factors)...")
def _full_evidence(config_key: str, data: str, horizon: int, resamples: int,
                   _table: AccountTable, _config: Config, _scored: Scored) -> dict[str, Any]:
    return validate(_table, _config, _scored, horizon_days=horizon,
                    bootstrap_resamples=resamples, by_segment=True,
                    lookback_days=LOOKBACK_DAYS)


def full_evidence(ws: Workspace, table: AccountTable, evaluation: Evaluation,
                  resamples: int = BOOTSTRAP_RESAMPLES) -> dict[str, Any]:
    """:func:`calibration.validation.validate` with bootstrap CIs and per-segment results
    (each segment also gets its own ``lead_time_days``), cached."""
    scored = Scored(evaluation.matrix, evaluation.segments, evaluation.hits, evaluation.result)
    config = evaluation.config
    key = f"{config.fingerprint()}:{config.columns.model_dump_json()}"
    return _full_evidence(key, data_key(ws), ws.horizon_days, resamples, table, config, scored)
