"""Every-row scores and explanations without caching every row's factor points
(ui/state.py): the same numbers as scoring the whole table at once, including a column
whose values read differently in a subset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import prepare
from calibration.scoring import score_frame
from tests.conftest import make_config

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def mixed_table():
    """Tier is a column of Python objects: 1.0 next to text reads as the text "1.0" (no
    mapping key), but in a subset of only numbers as the number 1 (key "1")."""
    frame = pd.DataFrame({
        "id": ["a", "b", "c", "d"], "outcome": ["renewed", "churned", "renewed", "open"],
        "arr": [10.0, 20.0, 30.0, 40.0], "usage": [10.0, 50.0, np.nan, 90.0],
        "tier": pd.Series([1.0, "gold", 2.0, "silver"], dtype=object)})
    config = make_config(factors=[
        {"name": "usage", "column": "usage", "weight": 50,
         "rule": {"kind": "linear", "lo": 0, "hi": 100}},
        {"name": "tier", "column": "tier", "weight": 50,
         "rule": {"kind": "mapping", "points": {"1": 100, "gold": 60, "silver": 20},
                  "default": 0}}])
    return prepare(frame, config.columns, config), config


def evaluation_of(table, config):
    from ui import state

    return state.Evaluation(config, None, None, None, {}, table, "mixed-table", np.array([]))


def test_object_column_is_not_scored_by_subset():
    from ui import state

    table, config = mixed_table()
    assert not state.row_by_row(table.frame, config)
    full = score_frame(table.frame, config, explain=True)
    subset = score_frame(table.frame.iloc[[0]], config)
    assert subset.matrix.points[0, 1] != full.matrix.points[0, 1]  # the trap is real
    points, result = state.explain_rows(evaluation_of(table, config), np.array([0, 2]))
    np.testing.assert_array_equal(points.points, full.matrix.points[[0, 2]])
    np.testing.assert_array_equal(result.score, full.result.score[[0, 2]])
    np.testing.assert_array_equal(result.contributions, full.result.contributions[[0, 2]])


def test_every_row_result_is_whole_table_scoring():
    table, config = mixed_table()
    result = evaluation_of(table, config).result
    full = score_frame(table.frame, config, explain=False).result
    for name in ("score", "raw_score", "band", "guardrail", "segment"):
        np.testing.assert_array_equal(getattr(result, name), getattr(full, name))
    assert result.contributions is None
