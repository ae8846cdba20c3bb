"""Editing one factor's scoring rule (thresholds, points, direction, missing policy)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from calibration import fitting
from calibration.accounts import AccountTable
from calibration.config import ConfigError, config_from_dict
from calibration.scoring import percentile_rule
from calibration.values import as_number, normalise_text
from calibration.weights import move_to_group
from ui import rule_sliders
from ui.fragments import AFTER_FACTOR, AFTER_RULE, RULE_SLIDERS, reruns
from ui.state import Evaluation, Workspace
from ui.text import md_escape


def parse_value(text: str, operator: str) -> float | bool | str | None:
    """A guardrail value typed by a user: number, true/false, or text."""
    text = text.strip()
    if operator == "is_missing":
        return None
    if text.casefold() in ("true", "yes"):
        return True
    if text.casefold() in ("false", "no"):
        return False
    try:
        return float(text)
    except ValueError:
        if operator in ("<", "<=", ">", ">="):
            raise ValueError(f"{operator} needs a number, got {text!r}") from None
        return text


def _apply(ws: Workspace, index: int, changes: dict[str, Any]) -> None:
    raw = ws.draft.model_dump()
    raw["factors"][index] = {**raw["factors"][index], **changes}
    try:
        ws.set_draft(config_from_dict(raw))
    except ConfigError as error:
        st.session_state["calibrate_error"] = "Change not applied: " + "; ".join(error.problems)


def _set_rule(ws: Workspace, index: int, rule: dict[str, Any]) -> None:
    """Replace the factor's rule through the config model (Config.with_rule)."""
    factor = ws.draft.factors[index]
    try:
        ws.set_draft(ws.draft.with_rule(factor.name, rule))
    except ValueError as error:  # ConfigError and pydantic's ValidationError
        st.session_state["calibrate_error"] = f"Change not applied: {md_escape(error)}"


@reruns(*AFTER_RULE)
def _rule_changed(ws: Workspace, index: int, field: str) -> None:
    factor = ws.draft.factors[index]
    rule = factor.rule.model_dump()
    rule[field] = st.session_state[f"rule::{factor.name}::{field}"]
    _set_rule(ws, index, rule)
    st.session_state.pop(rule_sliders.range_key(factor), None)  # the slider re-reads


@reruns(*AFTER_RULE)
def _mapping_changed(ws: Workspace, index: int, category: str) -> None:
    factor = ws.draft.factors[index]
    rule = factor.rule.model_dump()
    rule["points"][category] = float(st.session_state[f"rule::{factor.name}::map::{category}"])
    _set_rule(ws, index, rule)


@reruns(*AFTER_RULE)
def _steps_changed(ws: Workspace, index: int) -> None:
    factor = ws.draft.factors[index]
    try:
        cutoffs = [float(x) for x in st.session_state[f"rule::{factor.name}::cutoffs"].split(",")]
        points = [float(x) for x in st.session_state[f"rule::{factor.name}::points"].split(",")]
    except ValueError:
        st.session_state["calibrate_error"] = ("Steps need comma-separated numbers, e.g. "
                                               "cut-offs `1, 3` and points `100, 60, 0`.")
        return
    _set_rule(ws, index, {"kind": "steps", "cutoffs": cutoffs, "points": points})
    for key in [k for k in st.session_state if str(k).startswith(f"rule::{factor.name}::cut::")]:
        del st.session_state[key]  # the cut-off sliders re-read


@reruns(*AFTER_RULE)
def _field_changed(ws: Workspace, index: int, field: str) -> None:
    factor = ws.draft.factors[index]
    _apply(ws, index, {field: st.session_state[f"rule::{factor.name}::{field}"]})


@reruns(*AFTER_RULE)
def _refreeze(ws: Workspace, index: int, values: np.ndarray) -> None:
    try:
        rule = percentile_rule(values)
    except ValueError as error:
        st.session_state["calibrate_error"] = f"Cannot rank this factor: {error}"
        return
    _set_rule(ws, index, rule.model_dump())


@reruns(*AFTER_RULE)
def _switch_kind(ws: Workspace, index: int, values: np.ndarray) -> None:
    factor = ws.draft.factors[index]
    kind = st.session_state[f"rule::{factor.name}::kind"]
    finite = values[np.isfinite(values)]
    if kind == "linear":
        lo, hi = (np.percentile(finite, [10, 90]) if finite.size else (0.0, 1.0))
        rule = {"kind": "linear", "lo": float(lo), "hi": float(hi if hi > lo else lo + 1)}
    elif kind == "percentile":
        try:
            rule = percentile_rule(finite).model_dump()
        except ValueError as error:
            st.session_state["calibrate_error"] = f"Cannot rank this factor: {error}"
            return
    elif kind == "steps":
        mid = float(np.median(finite)) if finite.size else 0.0
        rule = {"kind": "steps", "cutoffs": [mid], "points": [0.0, 100.0]}
    else:
        return
    _set_rule(ws, index, rule)
    for key in [k for k in st.session_state if str(k).startswith(f"rule::{factor.name}::")]:
        if not key.endswith("::kind"):
            del st.session_state[key]


@reruns(*AFTER_RULE)
def _apply_cutoffs(ws: Workspace, index: int, cut: Any) -> None:
    factor = ws.draft.factors[index]
    _apply(ws, index, {"rule": {"kind": "linear", "lo": cut.lo, "hi": cut.hi},
                       "direction": cut.direction})
    for key in [k for k in st.session_state if str(k).startswith(f"rule::{factor.name}::")]:
        del st.session_state[key]


NEW_GROUP = "New sub-score…"


def _move(ws: Workspace, index: int, group: str) -> None:
    factor = ws.draft.factors[index]
    try:
        ws.set_draft(move_to_group(ws.draft, factor.name, group))
    except (ValueError, ConfigError) as error:
        st.session_state["calibrate_error"] = f"Not moved: {error}"
    st.session_state.pop(f"rule::{factor.name}::group", None)


@reruns(*AFTER_FACTOR)
def _group_changed(ws: Workspace, index: int) -> None:
    group = st.session_state[f"rule::{ws.draft.factors[index].name}::group"]
    if group != NEW_GROUP:
        _move(ws, index, group)


@reruns(*AFTER_FACTOR)
def _new_group(ws: Workspace, index: int) -> None:
    name = st.session_state[f"rule::{ws.draft.factors[index].name}::new_group"].strip()
    if name:
        _move(ws, index, name)


def _init(key: str, value: Any) -> str:
    if key not in st.session_state:
        st.session_state[key] = value
    return key


@dataclass(frozen=True)
class ColumnFacts:
    """What the rule editor shows about one column on the judged accounts: its numbers,
    the data-driven cut-offs, percentiles and medians. Read-only."""

    numbers: np.ndarray
    cut: Any  # fitting.suggest_factor_cutoffs' result, or None
    spread: tuple[tuple[float, float, float], float, float] | None


@st.cache_resource(max_entries=64, show_spinner=False)
def _column_facts(file_key: str, roles_json: str, horizon: int, column: str,
                  _draft: Evaluation) -> ColumnFacts:
    values = _draft.view.frame[column]
    numbers, _ = as_number(values)
    churned = _draft.churned
    finite = numbers[np.isfinite(numbers)]
    cut, spread = None, None
    if finite.size and churned.any() and (~churned).any():
        try:
            cut = fitting.suggest_factor_cutoffs(numbers, churned)
        except ValueError:
            cut = None
    if finite.size:
        p10, p50, p90 = (float(v) for v in np.percentile(finite, [10, 50, 90]))
        with warnings.catch_warnings():  # a class with no value: NaN, shown as nan
            warnings.simplefilter("ignore", RuntimeWarning)
            renewed = float(np.nanmedian(numbers[~churned])) if (~churned).any() else np.nan
            churned_median = float(np.nanmedian(numbers[churned])) if churned.any() else np.nan
        spread = ((p10, p50, p90), renewed, churned_median)
    numbers.setflags(write=False)
    return ColumnFacts(numbers, cut, spread)


@st.cache_resource(max_entries=64, show_spinner=False)
def _category_counts(file_key: str, roles_json: str, horizon: int, column: str,
                     _draft: Evaluation) -> pd.Series:
    return normalise_text(_draft.view.frame[column]).dropna().value_counts()


def column_facts(draft: Evaluation, column: str) -> ColumnFacts:
    """:class:`ColumnFacts` of ``column``, computed once per data, horizon and column for
    every session (they do not depend on the weights or rules)."""
    return _column_facts(draft.file_key, draft.config.columns.model_dump_json(),
                         draft.judged.horizon_days or 0, column, draft)


@st.fragment(key=RULE_SLIDERS)
def thresholds(ws: Workspace, index: int, numbers: np.ndarray) -> None:
    """A linear or steps rule's threshold sliders and the exact values behind them: their
    own fragment inside the rule editor, so a slider step redraws these and not the rest of
    the editor (whose captions, factor facts and choices a threshold does not change)."""
    factor = ws.draft.factors[index]
    rule = factor.rule
    prefix = f"rule::{factor.name}::"
    if rule.kind == "linear":
        good, bad = ("100 points at or above", "0 points at or below") if (
            factor.direction == "higher_is_better") else ("0 points at or above",
                                                          "100 points at or below")
        rule_sliders.linear(ws, index, numbers)
        with st.expander("Type exact values"):
            left, right = st.columns(2)
            left.number_input(bad.capitalize(), key=_init(prefix + "lo", float(rule.lo)),
                              on_change=_rule_changed, args=(ws, index, "lo"))
            right.number_input(good.capitalize(), key=_init(prefix + "hi", float(rule.hi)),
                               on_change=_rule_changed, args=(ws, index, "hi"))
    elif rule.kind == "steps":
        rule_sliders.steps(ws, index, numbers)
        with st.expander("Points per step, add or remove cut-offs"):
            st.text_input("Cut-offs (comma-separated, increasing)",
                          key=_init(prefix + "cutoffs",
                                    ", ".join(f"{c:g}" for c in rule.cutoffs)),
                          on_change=_steps_changed, args=(ws, index))
            st.text_input("Points for each step (one more than cut-offs)",
                          key=_init(prefix + "points", ", ".join(f"{p:g}" for p in rule.points)),
                          on_change=_steps_changed, args=(ws, index))


def render(ws: Workspace, table: AccountTable, draft: Evaluation) -> None:
    """Pick a factor, then edit how its raw values become 0-100 points."""
    names = ws.draft.factor_names
    name = st.selectbox("Factor", names, key="rule::selected")
    index = names.index(name)
    factor = ws.draft.factors[index]
    facts = column_facts(draft, factor.column)
    numbers = facts.numbers
    if factor.description:
        st.caption(md_escape(factor.description))
    rule = factor.rule
    prefix = f"rule::{factor.name}::"
    if rule.kind in ("linear", "percentile", "steps"):
        st.selectbox("Rule", ["linear", "percentile", "steps"], index=["linear", "percentile",
                     "steps"].index(rule.kind), key=_init(prefix + "kind", rule.kind),
                     on_change=_switch_kind, args=(ws, index, numbers))
        if (cut := facts.cut) is not None:
            st.caption(
                f"From the data: 0 → 100 points between {cut.lo:,.4g} and {cut.hi:,.4g} "
                f"(10th-90th percentile), {cut.direction.replace('_', ' ')} (this "
                f"factor alone: AUC {cut.auc:.3f}). Renewed and churned accounts differ "
                f"most at {cut.ks_value:,.4g}: a natural single threshold.")
            st.button("Use these cut-offs", key=prefix + "use_cutoffs",
                      on_click=_apply_cutoffs, args=(ws, index, cut))
        if facts.spread is not None:
            (p10, p50, p90), renewed_median, churned_median = facts.spread
            st.caption(f"Judged accounts: 10th pct {p10:,.1f} · median {p50:,.1f} · 90th pct "
                       f"{p90:,.1f}. Median renewed {renewed_median:,.1f} vs churned "
                       f"{churned_median:,.1f}.")
    if rule.kind == "linear":
        st.radio("Direction", ["higher_is_better", "lower_is_better"], horizontal=True,
                 key=_init(prefix + "direction", factor.direction),
                 on_change=_field_changed, args=(ws, index, "direction"),
                 format_func=lambda d: d.replace("_", " "))
        thresholds(ws, index, numbers)
    elif rule.kind == "percentile":
        st.caption(f"Points = the account's percentile among {len(rule.values)} frozen "
                   "reference values" + (" (flipped: lower is better)." if
                                         factor.direction == "lower_is_better" else "."))
        st.button("Re-freeze percentiles from this data", on_click=_refreeze,
                  args=(ws, index, numbers))
    elif rule.kind == "steps":
        thresholds(ws, index, numbers)
    elif rule.kind == "mapping":
        counts = _category_counts(draft.file_key, draft.config.columns.model_dump_json(),
                                  draft.judged.horizon_days or 0, factor.column, draft)
        st.caption("Points per category (case and spaces ignored).")
        for category, points in rule.points.items():
            n = int(counts.get(category.strip().casefold(), 0))
            st.number_input(f"{md_escape(category)} ({n:,} judged accounts)", 0.0, 100.0, step=5.0,
                            key=_init(f"{prefix}map::{category}", float(points)),
                            on_change=_mapping_changed, args=(ws, index, category))
    elif rule.kind == "boolean":
        left, right = st.columns(2)
        left.number_input("Points when yes", 0.0, 100.0, step=5.0,
                          key=_init(prefix + "true_points", float(rule.true_points)),
                          on_change=_rule_changed, args=(ws, index, "true_points"))
        right.number_input("Points when no", 0.0, 100.0, step=5.0,
                           key=_init(prefix + "false_points", float(rule.false_points)),
                           on_change=_rule_changed, args=(ws, index, "false_points"))
    st.radio("When the value is missing", ["skip", "points"], horizontal=True,
             key=_init(prefix + "missing", factor.missing), on_change=_field_changed,
             args=(ws, index, "missing"),
             format_func=lambda p: {"skip": "leave out, reweigh the rest",
                                    "points": "give fixed points"}[p])
    if factor.missing == "points":
        st.number_input("Points for a missing value", 0.0, 100.0, step=5.0,
                        key=_init(prefix + "missing_points", float(factor.missing_points)),
                        on_change=_field_changed, args=(ws, index, "missing_points"))
    groups = ws.draft.group_names()
    left, right = st.columns([0.55, 0.45], vertical_alignment="bottom")
    left.selectbox("Sub-score (group)", [*groups, NEW_GROUP],
                   key=_init(prefix + "group", factor.group), on_change=_group_changed,
                   args=(ws, index),
                   help="Moving a factor keeps its share of the score; sub-scores show on "
                        "the Accounts drill-down and in exports.")
    if st.session_state.get(prefix + "group") == NEW_GROUP:
        right.text_input("New sub-score name", key=prefix + "new_group",
                         on_change=_new_group, args=(ws, index),
                         placeholder="e.g. Relationship")
    missing_rate = float(np.mean(np.isnan(draft.judged_matrix.points[:, index])))
    st.caption(f"{missing_rate:.0%} of judged accounts have no usable value for this factor.")
