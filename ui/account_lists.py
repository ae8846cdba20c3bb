"""Lists of judged accounts on the Accounts page: the largest few at once, the whole list
on request.

At 100,000 accounts a miss list holds thousands of decisions (e.g. 4,000 surprise churns,
12,000 false alarms): sent whole as ``st.dataframe``, the two lists were ~1 MB of Arrow data
plus ~1.3 MB of table JavaScript the browser loaded on the page's first visit. The page
shows the :data:`SHOWN` largest by ARR (the ones a leader acts on first) as a Markdown table
built from those rows only, and the whole list as a table to sort, search and download when
asked for (a toggle). The order is the whole list's
(:func:`calibration.explain.account_order`), so the rows shown are its first rows.

What the page needs per config (the misses, their order, what they have in common) is
cached for every session (:func:`misses`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from calibration import explain
from calibration.config import Config, MappingRule
from ui import components
from ui.state import Evaluation

SHOWN = 10
"""Rows a list shows at once: the largest ARR first (the whole list on request)."""
TRAITS = 5
"""What a group of misses has in common: its strongest traits."""
COLUMNS = {
    # whole dollars ("dollar" would show cents); the header carries the currency
    "ARR": st.column_config.NumberColumn("ARR ($)", format="localized"),
    "Score": st.column_config.NumberColumn(format="%.1f"),
}


def _arr(evaluation: Evaluation) -> np.ndarray:
    """ARR per judged decision as the lists show (and sort) it: whole dollars."""
    return np.round(evaluation.judged.arr)


def in_list_order(evaluation: Evaluation, mask: np.ndarray) -> np.ndarray:
    """The judged decisions in ``mask`` as positions, in the list's order (largest ARR
    first, unknown last, then by id)."""
    positions = np.flatnonzero(mask)
    return positions[explain.account_order(evaluation.judged.account_id[positions],
                                           _arr(evaluation)[positions])]


def _traits_key(config: Config) -> str:
    """What :func:`calibration.explain.trait_values` reads of each factor: its name, column
    and kind of rule, and a category rule's categories and points (which one is best).
    Thresholds, weights and bands do not change a factor's trait values."""
    return json.dumps([
        [f.name, f.column, type(f.rule).__name__,
         f.rule.points if isinstance(f.rule, MappingRule) else None] for f in config.factors])


@st.cache_resource(max_entries=4, show_spinner=False)
def _traits(file_key: str, roles_json: str, horizon: int, traits_key: str,
            _evaluation: Evaluation) -> explain.TraitColumns:
    return explain.trait_columns(_evaluation.view.frame, _evaluation.config)


def trait_columns(evaluation: Evaluation) -> explain.TraitColumns:
    """:func:`calibration.explain.trait_columns` of the judged rows, cached per data,
    horizon and what the factors' trait values read (:func:`_traits_key`) for every session
    (read-only)."""
    config = evaluation.config
    return _traits(evaluation.file_key, config.columns.model_dump_json(),
                   evaluation.judged.horizon_days or 0, _traits_key(config), evaluation)


@st.cache_resource(max_entries=16, show_spinner=False)
def _misses(file_key: str, config_key: str, horizon: int, tags_fingerprint: str,
            _evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    traits = trait_columns(_evaluation)
    groups = explain.misscored_groups(_evaluation.judged_result.band, _evaluation.churned)
    for group in groups.values():
        group["order"] = in_list_order(_evaluation, group["mask"])
        group["common"] = explain.common_traits(
            traits.values, group["mask"], group["reference"], traits.names, kinds=traits.kinds,
            labels=traits.labels, reference_label=group["reference_label"], top=TRAITS)
    return groups


def misses(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """:func:`calibration.explain.misscored_groups` of the evaluated config, each group with
    its decisions in list order (``order``) and its :data:`TRAITS` strongest traits
    (``common``); cached per config for every session (read-only)."""
    return _misses(evaluation.file_key, evaluation.config.cache_key(),
                   evaluation.judged.horizon_days or 0, evaluation.tags_fingerprint,
                   evaluation)


def table(evaluation: Evaluation, positions: np.ndarray, name_column: str | None,
          segment_column: str | None) -> pd.DataFrame:
    """Display rows of the judged decisions at ``positions`` (:func:`explain.account_list`:
    ARR at stake in the decision; score and band on the snapshot it was judged on)."""
    frame = evaluation.view.frame
    result = evaluation.judged_result

    def column(name: str | None) -> np.ndarray | None:
        return None if name is None else frame[name].iloc[positions].to_numpy()

    return explain.account_list(
        evaluation.judged.account_id[positions], _arr(evaluation)[positions],
        result.score[positions], result.band[positions], names=column(name_column),
        segments=column(segment_column))


def markdown_rows(frame: pd.DataFrame) -> str:
    """:func:`table` rows as a Markdown table: ARR in whole dollars, the score to one
    decimal, the band as a coloured badge; every other cell shown literally."""
    shown = frame.rename(columns={"ARR": "ARR ($)"})
    shown["ARR ($)"] = ["n/a" if np.isnan(v) else f"{v:,.0f}" for v in frame["ARR"]]
    shown["Score"] = ["n/a" if np.isnan(v) else f"{v:.1f}" for v in frame["Score"]]
    shown["Band"] = [components.band_badge(b) for b in frame["Band"]]
    return components.markdown_table(shown, markdown=("Band",))


def lead_in(shown_arr: np.ndarray, total: int, what: str) -> str:
    """The caption above the first rows of a longer list (``shown_arr``: their ARR): the
    largest by ARR, or, when none of them has an ARR (no ARR column), the first by account
    id, which is then the list's order."""
    if np.isnan(shown_arr).all():
        return (f"The first {shown_arr.size} by account id of {total:,} {what} "
                "(no ARR to order them by):")
    return f"The {shown_arr.size} largest by ARR of {total:,} {what}:"


def show(evaluation: Evaluation, order: np.ndarray, key: str, what: str,
         name_column: str | None, segment_column: str | None) -> None:
    """A list of judged decisions (``order``: positions in list order): the :data:`SHOWN`
    largest as Markdown, the whole list as a table to sort, search and download when its
    toggle is on."""
    if order.size > SHOWN:
        st.caption(lead_in(_arr(evaluation)[order[:SHOWN]], order.size, what))
    st.markdown(markdown_rows(table(evaluation, order[:SHOWN], name_column, segment_column)))
    if order.size > SHOWN and st.toggle(
            f"All {order.size:,} {what} in a table (sort, search, download)",
            key=f"acct::{key}::all"):
        st.dataframe(table(evaluation, order, name_column, segment_column), hide_index=True,
                     width="stretch", column_config=COLUMNS, key=f"acct::{key}::table")
