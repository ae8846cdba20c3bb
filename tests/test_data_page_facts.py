"""The Data page's per-data facts computed the fast way equal the every-row computation:
outcome labels counted per distinct value, role guessing that detects only what it needs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.autoconfig import outcome_values
from calibration.autoconfig.outcome_values import (
    _labels,
    _labels_of_rows,
    describe_outcomes,
    detect_outcome_values,
    outcome_counts,
)

SPELLINGS = ["Churned", "churned", " CHURNED ", "Renewed", "renewed", "open", "", "  ",
             "n/a", "Straße", "STRASSE", "pending"]


def _text(rng: np.random.Generator, n: int, dtype: str) -> pd.Series:
    values = rng.choice(np.array([*SPELLINGS, None], dtype=object), size=n)
    values[rng.random(n) < 0.05] = np.nan
    return pd.Series(values, dtype=dtype, name="outcome")


def _cases() -> list[pd.Series]:
    rng = np.random.default_rng(7)
    n = 5_000
    floats = rng.choice([0.0, 1.0, -0.0, 2.5, np.nan, 1e20], size=n)
    nullable = pd.array(rng.choice([True, False, None], size=n), dtype="boolean")
    ties = pd.Series(["b", "B", "a", "A"] * (n // 4), name="status")  # equal counts
    late_blank = pd.Series(["x"] * (n - 3) + [None, "X", "y"], name="outcome")
    first_blank = pd.Series([None] + ["y", "Y"] * (n // 2), dtype="object", name="outcome")
    return [
        _text(rng, n, "object"), _text(rng, n, "str"), pd.Series(floats, name="churn"),
        pd.Series(rng.integers(0, 3, n), name="churn"), pd.Series(rng.random(n) < 0.3),
        pd.Series(nullable, name="renewed"), ties, late_blank, first_blank,
        pd.Series([1, True, 1.0, "1"] * (n // 4), dtype=object, name="mixed"),  # direct path
    ]


@pytest.mark.parametrize("series", _cases(), ids=lambda s: f"{s.name}-{s.dtype}")
def test_labels_per_distinct_value_equal_every_row(series):
    fast = _labels(series)
    slow = _labels_of_rows(series, None)
    pd.testing.assert_frame_equal(fast, slow)
    # and against plain pandas: every row counted once, per case-insensitive key
    assert int(fast["rows"].sum()) == len(series)
    assert list(fast["key"]) == list(dict.fromkeys(fast["key"]))  # one row per key


def test_outcome_words_equal_on_the_fast_path(monkeypatch):
    series = _cases()[0]
    fast = (outcome_counts(series), detect_outcome_values(series),
            describe_outcomes(series, ["churned"], ["Renewed"]))
    monkeypatch.setattr(outcome_values, "_DISTINCT_FIRST", 10 ** 9)  # every row
    slow = (outcome_counts(series), detect_outcome_values(series),
            describe_outcomes(series, ["churned"], ["Renewed"]))
    pd.testing.assert_frame_equal(fast[0], slow[0])
    assert fast[1:] == slow[1:]
    counts = dict(zip(fast[0]["value"], fast[0]["rows"], strict=True))
    assert counts["(blank)"] == int(series.isna().sum() + series.isin(["", "  "]).sum())
    churned = next(v for v in counts if v.strip().casefold() == "churned")
    assert counts[churned] == int(series.str.strip().str.casefold().eq("churned").sum())


def _initial_roles_always_detecting(frame: pd.DataFrame, current):
    """The earlier initial_roles: detect every role first, then keep the current ones."""
    from calibration.autoconfig.roles import ROLE_NAMES, detect_roles, with_outcome_values

    detected = detect_roles(frame)
    columns = set(frame.columns)
    keep_id = current.account_id in columns
    raw, used = {}, set()
    for role in ROLE_NAMES:
        mine = getattr(current, role)
        chosen = mine if keep_id and (mine is None or mine in columns) else getattr(detected,
                                                                                    role)
        chosen = None if chosen in used else chosen
        raw[role] = chosen
        used |= {chosen} if chosen else set()
    raw["account_id"] = raw["account_id"] or detected.account_id
    return with_outcome_values(raw, current, frame)  # unchanged by the lazy detection


def test_initial_roles_detect_only_when_a_role_does_not_fit(monkeypatch):
    from calibration.autoconfig import roles as roles_module
    from calibration.config import load_config
    from calibration.data_files import read_table
    from tests.conftest import DEMO_CONFIG, DEMO_DATA

    frame = read_table(DEMO_DATA)
    fits = load_config(DEMO_CONFIG).columns
    renamed = fits.model_copy(update={"segment": "tier_gone"})  # one role not in the data
    foreign = fits.model_copy(update={"account_id": "customer_no"})  # the id is not either
    unmapped = fits.model_copy(update={"reference_label": None})
    calls = []
    real = roles_module.detect_roles
    monkeypatch.setattr(roles_module, "detect_roles", lambda f: calls.append(1) or real(f))
    for current, detects in ((fits, False), (unmapped, False), (renamed, True),
                             (foreign, True)):
        calls.clear()
        guessed = roles_module.initial_roles(frame, current)
        assert bool(calls) is detects
        assert guessed == _initial_roles_always_detecting(frame, current)


def _messy_demo() -> pd.DataFrame:
    """Demo rows with excluded rows (blank id, duplicate snapshot, unreadable date) and
    factor problems (text in a number, an unmapped category, blanks)."""
    from calibration.data_files import read_table
    from tests.conftest import DEMO_DATA

    frame = read_table(DEMO_DATA).head(3_000).copy()
    frame["account_id"] = frame["account_id"].astype(object)
    frame.loc[5, "account_id"] = "  "
    frame = pd.concat([frame, frame.iloc[[10, 11]]], ignore_index=True)  # duplicates
    frame["snapshot_date"] = frame["snapshot_date"].astype(str).astype(object)
    frame.loc[20, "snapshot_date"] = "not a date"
    numeric = frame.select_dtypes("number").columns
    column = next(c for c in numeric if c not in ("arr",))
    frame[column] = frame[column].astype(object)
    frame.loc[[30, 31], column] = "lots"
    return frame


@pytest.mark.parametrize("messy", [False, True], ids=["demo", "messy"])
def test_quality_from_the_loaded_table_equals_prepare(messy):
    from calibration.accounts import prepare, quality_with_factors
    from calibration.config import config_from_dict, load_config
    from calibration.data_files import read_table
    from tests.conftest import DEMO_CONFIG, DEMO_DATA

    frame = _messy_demo() if messy else read_table(DEMO_DATA)
    config = load_config(DEMO_CONFIG)
    table = prepare(frame, config.columns, None, source="demo")
    if messy:
        assert table.report.n_rows_used < len(frame)  # rows were excluded
    unmapped = config.model_dump()
    mapping = next(f for f in unmapped["factors"] if f["rule"]["kind"] == "mapping")
    mapping["rule"]["points"].pop(next(iter(mapping["rule"]["points"])))
    gone = config.model_dump()
    gone["factors"][0]["column"] = "no_such_column"
    for other in (None, config, config_from_dict(unmapped), config_from_dict(gone)):
        want = _report_or_error(prepare, frame, config.columns, other)
        got = quality_with_factors(table, frame, other)
        assert got == want
        assert got.issues is not table.report.issues  # the table's report is untouched
    assert table.report == prepare(frame, config.columns, None, source="demo").report


def _report_or_error(prepare, frame, roles, config):
    from calibration.data_quality import DataError

    try:
        return prepare(frame, roles, config, source="demo").report
    except DataError as error:
        return error.report


@pytest.mark.parametrize("messy", [False, True], ids=["every-row-kept", "rows-excluded"])
def test_the_data_page_reads_the_file_as_read_table_does(tmp_path, isolated_drafts, messy):
    """The raw frame (the loaded table's frame when it kept every row, else a second read)
    and the quality report under the draft's roles equal reading and preparing again."""
    from calibration.accounts import prepare
    from calibration.config import load_config
    from calibration.data_files import read_table
    from tests.conftest import DEMO_CONFIG, DEMO_DATA
    from ui import data_actions, state

    path = DEMO_DATA
    if messy:
        path = tmp_path / "messy.csv"
        _messy_demo().to_csv(path, index=False)
    demo = load_config(DEMO_CONFIG)
    ws = state.Workspace(draft_id=f"facts{int(messy)}0000000", source_name=path.name,
                         source_path=str(path), baseline=demo, draft=demo)
    table = state.load_table(ws)
    raw = data_actions.read_source(ws)
    expected = read_table(str(path), path.name)
    pd.testing.assert_frame_equal(raw, expected)
    assert raw.attrs == expected.attrs
    assert (raw is table.frame) is (not messy)
    report = data_actions.quality_report(ws, raw, demo.columns)
    want = prepare(expected, demo.columns, demo, source=path.name).report
    assert _same_report(report, want)
    job = data_actions.quality_job(ws, raw, demo.columns)  # the page's background job
    assert job is not None and _same_report(job.value(), want)
    other = demo.columns.model_copy(update={"reference_label": None})
    assert data_actions.quality_job(ws, raw, other) is None  # other roles: not the table's
    assert _same_report(data_actions.quality_report(ws, raw, other),
                        prepare(expected, other, demo, source=path.name).report)


def _same_report(got, want) -> bool:
    """Equal reports; the source name may be another session's name for the same file
    (the caches are keyed on the file, shared by every session, and the page never shows
    it)."""
    import dataclasses

    return dataclasses.replace(got, source=want.source) == want


@pytest.mark.parametrize("series", _cases()[:3], ids=lambda s: f"{s.name}-{s.dtype}")
def test_a_column_counted_once_answers_like_the_column(series):
    from calibration.autoconfig.outcome_values import count_values
    from calibration.autoconfig.roles import roles_with_outcomes

    counted = count_values(series)
    assert counted.name == series.name
    pd.testing.assert_frame_equal(outcome_counts(counted), outcome_counts(series))
    assert detect_outcome_values(counted) == detect_outcome_values(series)
    assert detect_outcome_values(counted, "Renewed") == detect_outcome_values(series,
                                                                              "Renewed")
    churned, renewed = list(outcome_counts(series)["value"][:2]), ["open"]
    assert describe_outcomes(counted, churned, renewed) == describe_outcomes(series, churned,
                                                                             renewed)
    roles = {"account_id": "id", "outcome": str(series.name)}
    assert roles_with_outcomes(roles, counted, ["x"], ["y"]) == roles_with_outcomes(
        roles, series, ["x"], ["y"])
