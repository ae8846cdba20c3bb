"""Which parts of the page rerun after a control moves (``st.fragment``).

A slider on Calibrate reruns only the fragments that show something it changed: the
headline numbers, the controls it moved, the results pane and the sidebar's draft status
(fingerprint, saved time, Undo). The app frame, the page title and the other controls are
not rerun and not re-sent to the browser. Each fragment has a key (``st.fragment(key=...)``)
and a control's callback names the fragments to rerun with :func:`then_rerun`. Anything
that replaces the whole draft or the workspace (undo, reset, equal weights, another draft)
reruns the whole app instead (:func:`then_rerun_app`).

See docs/architecture.md ("Fragments on Calibrate").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

STATUS = "draft-status"  # sidebar: conflict, autosave error, draft status, Undo / Reset
METRICS = "calibrate-metrics"  # headline cards, reference agreement, alarms, errors
ADVANCED = "calibrate-advanced"  # the advanced statistics' cards (their captions are static)
ADVANCED_OPEN = "calibrate::advanced"  # whether their expander is open (drawn only then)
WEIGHTS = "calibrate-weights"  # weight sliders, locks, group totals
BANDS = "calibrate-bands"  # band slider, guardrails
RULES = "calibrate-rules"  # the selected factor's scoring rule
RULE_SLIDERS = "calibrate-rule-sliders"  # inside RULES: its threshold sliders, exact values
RESULTS = "calibrate-results"  # score chart
BAND_RESULTS = "calibrate-band-results"  # band table, band warnings, accounts moved

# What a change of the draft's weights / bands / one rule shows up in.
AFTER_WEIGHT = (STATUS, METRICS, ADVANCED, WEIGHTS, RESULTS, BAND_RESULTS)
AFTER_BANDS = (STATUS, METRICS, ADVANCED, RESULTS, BAND_RESULTS)
AFTER_GUARDRAIL = (STATUS, METRICS, ADVANCED, BANDS, RESULTS, BAND_RESULTS)
AFTER_RULE = (STATUS, METRICS, ADVANCED, RULES, RESULTS, BAND_RESULTS)
AFTER_THRESHOLD = (STATUS, METRICS, ADVANCED, RULE_SLIDERS, RESULTS,  # a threshold slider
                   BAND_RESULTS)
AFTER_FACTOR = (STATUS, METRICS, ADVANCED, WEIGHTS, RULES, BANDS,  # e.g. a new sub-score
                RESULTS, BAND_RESULTS)


# Fragments drawn only while their expander is open: the last full run did not draw them
# when it is closed, and a rerun naming a fragment that run did not draw raises.
DRAWN_WHILE_OPEN = {ADVANCED: ADVANCED_OPEN}


def drawn(keys: tuple[str, ...]) -> list[str]:
    """``keys`` without the fragments whose expander is closed (:data:`DRAWN_WHILE_OPEN`)."""
    return [k for k in keys if k not in DRAWN_WHILE_OPEN
            or st.session_state.get(DRAWN_WHILE_OPEN[k])]


def then_rerun(callback: Callable[..., Any], *keys: str) -> Callable[..., None]:
    """``callback`` followed by a rerun of the fragments ``keys`` only (instead of the
    fragment the widget sits in), less those not drawn (:func:`drawn`). Use as a widget's
    ``on_change`` / ``on_click``."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> None:
        callback(*args, **kwargs)
        st.rerun(drawn(keys))

    return run


def then_rerun_app(callback: Callable[..., Any]) -> Callable[..., None]:
    """``callback`` followed by a rerun of the whole app (a widget inside a fragment would
    otherwise rerun its fragment only)."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> None:
        callback(*args, **kwargs)
        st.rerun()

    return run


def reruns(*keys: str) -> Callable[[Callable[..., Any]], Callable[..., None]]:
    """Decorator form of :func:`then_rerun` for a widget callback."""
    return lambda callback: then_rerun(callback, *keys)
