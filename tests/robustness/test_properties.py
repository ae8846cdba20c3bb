"""Properties: no input makes loading or scoring crash with anything but a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration.accounts import AccountTable, prepare
from calibration.config import ConfigError
from calibration.data_files import read_table
from calibration.data_quality import DataError
from calibration.demo import DEMO_CONFIG
from tests.robustness.support import ROLES, assert_accounted, config

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CELL = st.one_of(
    st.sampled_from(["", " ", "NaN", "null", "-", "renewed", "churned", "open", "CHURN", "yes",
                     "1", "0", "1e309", "-5", "1,000", "2026-01-31", "12/31/2026", '"',
                     '""', "a\nb", "\x00", "é", "id", "usage", "tickets", "outcome", "arr"]),
    st.text(max_size=12),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
DELIMITER = st.sampled_from([",", ";", "\t", "|", " "])
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"])


@st.composite
def csv_like(draw) -> bytes:
    """Text that looks like a CSV: maybe the right header, random cells, random quirks."""
    sep = draw(DELIMITER)
    header = draw(st.one_of(
        st.just(["id", "usage", "tickets", "outcome", "arr"]),
        st.permutations(["id", "usage", "tickets", "outcome", "arr"]),
        st.lists(CELL, min_size=1, max_size=7)))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=12))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(sep.join(row) for row in [header, *rows])
    encoding = draw(ENCODING)
    return text.encode(encoding, errors="replace")


def load(raw: bytes, name: str) -> AccountTable | None:
    """read_table + prepare; None after a DataError (the only exception allowed)."""
    try:
        table = prepare(read_table(raw, name), ROLES, config(), name)
    except DataError as error:
        assert error.report.errors, "a DataError must carry at least one error"
        assert error.report.source == name
        return None
    assert_accounted(table.report)
    assert set(table.outcome) <= {"churned", "renewed", "open"}
    return table


@FAST
@given(raw=st.binary(max_size=2000), name=st.sampled_from(["x.csv", "x.parquet", "upload"]))
def test_random_bytes_only_ever_raise_data_error(raw, name):
    load(raw, name)


@FAST
@given(raw=csv_like())
def test_csv_like_text_only_ever_raises_data_error(raw):
    table = load(raw, "x.csv")
    if table is not None:
        from calibration.scoring import score_frame

        score = score_frame(table.frame, config()).result.score
        assert np.all(np.isnan(score) | ((score >= 0) & (score <= 100)))


# --------------------------------------------------------------------------- scoring
N_ROWS = 6
COLUMN_KINDS = {
    "float": lambda d: pd.Series(d(st.lists(
        st.floats(allow_nan=True, allow_infinity=True), min_size=N_ROWS, max_size=N_ROWS)),
        dtype=float),
    "int": lambda d: pd.Series(d(st.lists(
        st.integers(-2**63, 2**63 - 1), min_size=N_ROWS, max_size=N_ROWS)), dtype="int64"),
    "Int64": lambda d: pd.Series(d(st.lists(
        st.one_of(st.none(), st.integers(-10**6, 10**6)), min_size=N_ROWS, max_size=N_ROWS)),
        dtype="Int64"),
    "bool": lambda d: pd.Series(d(st.lists(st.booleans(), min_size=N_ROWS,
                                                max_size=N_ROWS)), dtype=bool),
    "boolean": lambda d: pd.Series(d(st.lists(st.one_of(st.none(), st.booleans()),
                                                   min_size=N_ROWS, max_size=N_ROWS)),
                                   dtype="boolean"),
    "text": lambda d: pd.Series(d(st.lists(CELL, min_size=N_ROWS, max_size=N_ROWS)),
                                dtype=object),
    "string": lambda d: pd.Series(d(st.lists(st.one_of(st.none(), CELL),
                                                  min_size=N_ROWS, max_size=N_ROWS)),
                                  dtype="string"),
    "mixed": lambda d: pd.Series(d(st.lists(st.one_of(
        st.none(), st.integers(), st.floats(), st.booleans(), CELL),
        min_size=N_ROWS, max_size=N_ROWS)), dtype=object),
    "datetime": lambda d: pd.Series(pd.to_datetime(d(st.lists(
        st.datetimes(), min_size=N_ROWS, max_size=N_ROWS)))),
    "category": lambda d: pd.Series(d(st.lists(
        st.sampled_from(["red", "yellow", "green", "x", None]), min_size=N_ROWS,
        max_size=N_ROWS)), dtype="category"),
    "empty": lambda d: pd.Series([None] * N_ROWS, dtype=object),
}


@st.composite
def random_frame(draw, columns: list[str]) -> pd.DataFrame:
    kept = [c for c in columns if draw(st.integers(0, 19)) > 0]  # sometimes drop a column
    return pd.DataFrame({c: COLUMN_KINDS[draw(st.sampled_from(sorted(COLUMN_KINDS)))](draw)
                         for c in kept})


def demo_config():
    from calibration.config import load_config

    return load_config(DEMO_CONFIG)


DEMO = demo_config()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_frames_never_crash_scoring(data):
    from calibration.scoring import score_frame

    frame = data.draw(random_frame(DEMO.required_columns()))
    try:
        scored = score_frame(frame, DEMO)
    except (ConfigError, DataError):
        assert set(DEMO.required_columns()) - set(frame.columns)
        return
    score = scored.result.score
    assert score.shape == (len(frame),)
    assert np.all(np.isnan(score) | ((score >= 0) & (score <= 100)))
    assert set(np.unique(scored.result.band)) <= {-1, 0, 1, 2}
    assert np.array_equal(np.isnan(score), scored.result.band == -1)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_frames_through_prepare_only_raise_data_error(data):
    roles = DEMO.columns
    columns = [roles.account_id, roles.snapshot_date, roles.renewal_date, roles.outcome,
               roles.arr, roles.reference_label, *DEMO.required_columns()]
    frame = data.draw(random_frame(columns))
    try:
        table = prepare(frame, roles, DEMO)
    except DataError as error:
        assert error.report.errors
        return
    assert_accounted(table.report)
