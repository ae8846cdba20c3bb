"""Threshold sliders for one factor's rule: a range slider for a linear rule's 0 and 100 point
ends, one slider per step cut-off. Live like the weight sliders: every move goes through
:meth:`calibration.config.Config.with_rule` and is saved with the draft."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

from calibration.config import Factor, LinearRule, StepsRule
from ui.fragments import AFTER_THRESHOLD, reruns
from ui.state import Workspace
from ui.text import md_escape


@dataclass(frozen=True)
class SliderScale:
    """Bounds, step and display format of a threshold slider."""

    low: float
    high: float
    step: float
    format: str


def slider_scale(values: np.ndarray, current: list[float]) -> SliderScale:
    """A slider scale from the factor's observed values: their 1st to 99th percentile, widened
    to include the rule's current thresholds, on a round step (about 1/200 of the span).

    Parameters
    ----------
    values : numpy.ndarray
        The factor's raw numbers (NaN and inf are ignored).
    current : list of float
        The rule's current thresholds; always inside the returned bounds.
    """
    finite = values[np.isfinite(values)]
    low, high = (np.percentile(finite, [1, 99]) if finite.size else (math.inf, -math.inf))
    low, high = float(min(low, *current)), float(max(high, *current))
    if not high > low:
        pad = max(abs(low) * 0.1, 1.0)
        low, high = low - pad, high + pad
    step = 10.0 ** math.floor(math.log10((high - low) / 200))
    decimals = max(0, -math.floor(math.log10(step)))
    low = round(math.floor(low / step) * step, decimals)
    high = round(math.ceil(high / step) * step, decimals)
    low, high = min(low, *current), max(high, *current)  # rounding never cuts a current value
    return SliderScale(low, high, step, f"%.{decimals}f")


def _set_rule(ws: Workspace, factor: Factor, rule: LinearRule | StepsRule | dict) -> bool:
    try:
        ws.set_draft(ws.draft.with_rule(factor.name, rule))
    except ValueError as error:  # ConfigError and pydantic's ValidationError
        st.session_state["calibrate_error"] = f"Change not applied: {md_escape(error)}"
        return False
    return True


def range_key(factor: Factor) -> str:
    """Session key of a linear rule's range slider."""
    return f"rule::{factor.name}::range"


def cutoff_key(factor: Factor, position: int) -> str:
    """Session key of a steps rule's slider for cut-off ``position`` (0-based)."""
    return f"rule::{factor.name}::cut::{position}"


@reruns(*AFTER_THRESHOLD)
def _on_range(ws: Workspace, index: int) -> None:
    factor = ws.draft.factors[index]
    lo, hi = (float(v) for v in st.session_state[range_key(factor)])
    if hi <= lo:
        st.session_state["calibrate_error"] = (
            f"{md_escape(factor.name)}: the 0-point and 100-point ends need different values: "
            "move the handles apart.")
        st.session_state[range_key(factor)] = (float(factor.rule.lo), float(factor.rule.hi))
        return
    if not _set_rule(ws, factor, LinearRule(lo=lo, hi=hi)):
        st.session_state[range_key(factor)] = (float(factor.rule.lo), float(factor.rule.hi))
        return
    for end in ("lo", "hi"):  # the typed exact values re-read
        st.session_state.pop(f"rule::{factor.name}::{end}", None)


@reruns(*AFTER_THRESHOLD)
def _on_cutoff(ws: Workspace, index: int, position: int) -> None:
    factor = ws.draft.factors[index]
    cutoffs = list(factor.rule.cutoffs)
    cutoffs[position] = float(st.session_state[cutoff_key(factor, position)])
    if any(b <= a for a, b in itertools.pairwise(cutoffs)):
        st.session_state["calibrate_error"] = (
            f"{md_escape(factor.name)}: each cut-off must stay above the one before it "
            f"(cut-off {position + 1} not moved).")
        st.session_state[cutoff_key(factor, position)] = float(factor.rule.cutoffs[position])
        return
    if _set_rule(ws, factor, StepsRule(cutoffs=cutoffs, points=list(factor.rule.points))):
        st.session_state.pop(f"rule::{factor.name}::cutoffs", None)  # the typed list re-reads


def linear(ws: Workspace, index: int, values: np.ndarray) -> None:
    """Range slider over a linear rule's ``lo``/``hi``."""
    factor = ws.draft.factors[index]
    rule = factor.rule
    scale = slider_scale(values, [rule.lo, rule.hi])
    key = range_key(factor)
    if key not in st.session_state:
        st.session_state[key] = (float(rule.lo), float(rule.hi))
    ends = ("0 points at or below the left handle, 100 at or above the right one"
            if factor.direction == "higher_is_better" else
            "100 points at or below the left handle, 0 at or above the right one")
    st.slider(f"{md_escape(factor.name)}: points rise between", scale.low, scale.high,
              step=scale.step, format=scale.format, key=key, on_change=_on_range,
              args=(ws, index), help=f"{ends}; in between, points follow a straight line. "
                                     "The slider spans the 1st-99th percentile of the data.")


def steps(ws: Workspace, index: int, values: np.ndarray) -> None:
    """One slider per cut-off of a steps rule, with the points each step gives."""
    factor = ws.draft.factors[index]
    rule = factor.rule
    scale = slider_scale(values, list(rule.cutoffs))
    for position, cutoff in enumerate(rule.cutoffs):
        key = cutoff_key(factor, position)
        if key not in st.session_state:
            st.session_state[key] = float(cutoff)
        below, above = rule.points[position], rule.points[position + 1]
        st.slider(f"Cut-off {position + 1}: {below:g} points below, {above:g} from here",
                  scale.low, scale.high, step=scale.step, format=scale.format, key=key,
                  on_change=_on_cutoff, args=(ws, index, position))
