"""Segment candidates from one pass per column equal the earlier two-pass computation, and
assigning segments from the match columns alone equals assigning them on every column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.accounts import load_accounts
from calibration.config import config_from_dict, load_config
from calibration.scoring import assign_segments
from calibration.segments import few_valued_columns, match_columns
from tests.conftest import DEMO_CONFIG, DEMO_DATA


def _two_passes(frame: pd.DataFrame, skip: tuple) -> dict:
    """The Segments page's earlier code: count distinct values, then list a column's."""
    out = {}
    for column in frame.columns:
        if column in skip:
            continue
        values = frame[column]
        if values.iloc[:50_000].nunique(dropna=True) <= 30 and values.nunique(
                dropna=True) <= 30:
            out[column] = sorted(values.dropna().drop_duplicates().astype(str).unique())
    return out


def test_candidates_equal_counting_then_listing():
    table = load_accounts(DEMO_DATA, load_config(DEMO_CONFIG))
    frame = table.frame.copy()
    n = len(frame)
    frame["mixed"] = np.where(np.arange(n) % 3 == 0, None, np.arange(n) % 5).astype(object)
    frame["late_many"] = np.where(np.arange(n) < 60_000, 1, np.arange(n))  # >30 only late
    frame["thirty_one"] = np.arange(n) % 31
    frame["thirty"] = (np.arange(n) % 30).astype(float)
    frame["dates"] = pd.to_datetime("2026-01-01") + pd.to_timedelta(np.arange(n) % 4, "D")
    skip = (table.roles.account_id, table.roles.outcome)
    got = few_valued_columns(frame, skip=skip)
    assert got == _two_passes(frame, skip)
    assert list(got) == [c for c in frame.columns if c in got]  # the frame's order
    assert "lifecycle_stage" in got and "thirty_one" not in got and "mixed" in got
    assert len(got["thirty"]) == 30 and got["thirty"][:2] == ["0.0", "1.0"]
    assert got["mixed"] == ["0", "1", "2", "3", "4"]
    assert table.roles.account_id not in got


def test_segments_assigned_from_their_match_columns_only():
    config = load_config(DEMO_CONFIG)
    raw = config.model_dump()
    raw["segments"] = [
        {"name": "Onboarding", "match": {"column": "lifecycle_stage", "values": ["Onboarding"]}},
        {"name": "Big", "match": {"column": "segment", "values": ["Enterprise"]}},
        {"name": "Again", "match": {"column": "segment", "values": ["SMB"]}},
    ]
    config = config_from_dict(raw)
    table = load_accounts(DEMO_DATA, config)
    assert match_columns(config) == ["lifecycle_stage", "segment"]  # each column once
    rows = np.arange(0, len(table.frame), 7)
    every = assign_segments(table.frame.iloc[rows], config)
    some = assign_segments(table.frame[match_columns(config)].iloc[rows], config)
    np.testing.assert_array_equal(some, every)
    assert set(np.unique(every)) == {-1, 0, 1, 2}
    none = load_config(DEMO_CONFIG)
    assert match_columns(none) == []
    np.testing.assert_array_equal(
        assign_segments(table.frame[[]].iloc[rows], none), np.full(len(rows), -1))
