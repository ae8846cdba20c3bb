"""Every table and metric a CS leader reads on Suggest, Segments, Scenarios, Versions and
Renewals speaks human: column headers in words (no snake_case keys), "n/a" instead of
Python's None / NaN, money without cents, and no "-0.000"-style change for no change."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from tests.apptest_support import assert_clean, move_weight, run_app, until_jobs_done

pytestmark = pytest.mark.xdist_group("app")

SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
CENTS = re.compile(r"\$-?[\d,]+\.\d")
NO_CHANGE = re.compile(r"^[+-]?0(\.0+)?$|^-0")


def table_problems(at, page: str) -> list[str]:
    """Headers and cells of every dataframe and table that are not in human words."""
    out = []
    for i, element in enumerate([*at.dataframe, *at.table]):
        frame = element.value
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        names = [*map(str, frame.columns)]
        if not isinstance(frame.index, pd.RangeIndex):
            names += [str(n) for n in frame.index.names if n is not None]
        out += [f"{page} table {i}: header {n!r}" for n in names if SNAKE.match(n)]
        for column in frame.columns:
            for value in frame[column].tolist():
                if value is None or (isinstance(value, float) and math.isnan(value)) or (
                        value is pd.NA or value is pd.NaT):
                    out.append(f"{page} table {i} column {column!r}: a missing value shows "
                               "as None (should read n/a)")
                    break
                if isinstance(value, str) and (value in ("None", "nan", "NaN", "<NA>")
                                               or CENTS.search(value)):
                    out.append(f"{page} table {i} column {column!r}: {value!r}")
                    break
    return out


def metric_problems(at, page: str) -> list[str]:
    out = []
    for m in at.metric:
        if m.value in ("None", "nan", "NaN") or CENTS.search(str(m.value)):
            out.append(f"{page} metric {m.label!r} = {m.value!r}")
        if m.delta is not None and NO_CHANGE.match(str(m.delta).strip().split(" ")[0]):
            out.append(f"{page} metric {m.label!r} delta {m.delta!r} (a change of nothing)")
    return out


def check(at, page: str) -> list[str]:
    assert_clean(at)
    return table_problems(at, page) + metric_problems(at, page)


def save_scenario(at, name: str) -> None:
    at.text_input(key="sc::name").input(name)
    at.button[[b.label for b in at.button].index("Save scenario")].click().run()
    assert_clean(at)


def test_tables_and_metrics_speak_human_on_every_page(isolated_drafts):
    problems = []
    at = until_jobs_done(run_app(page="renewals"))  # its slow parts come from jobs
    problems += check(at, "renewals")
    at.switch_page("app_pages/segments.py").run()
    problems += check(at, "segments")
    at.switch_page("app_pages/suggest.py").run()
    problems += check(at, "suggest")
    # two scenarios that differ, compared side by side
    at.switch_page("app_pages/scenarios.py").run()
    save_scenario(at, "Gut feel copy")
    at.switch_page("app_pages/calibrate.py").run()
    move_weight(at, "Executive sponsor", 20)
    at.switch_page("app_pages/scenarios.py").run()
    save_scenario(at, "Sponsor-heavy")
    at.multiselect(key="sc::picked").set_value(["Gut feel copy", "Sponsor-heavy"]).run()
    assert len(at.dataframe) >= 5  # saved list, outcomes, weights, bands, sizes, moved
    problems += check(at, "scenarios")
    # a published version and what happened since
    at.switch_page("app_pages/versions.py").run()
    at.text_input(key="ver::name").input("Q4 2026")
    at.text_area(key="ver::notes").input("Sponsor matters.")
    at.button[[b.label for b in at.button].index("Publish")].click().run()
    assert_clean(at)
    assert len(at.dataframe) >= 1
    problems += check(at, "versions")
    assert problems == [], "\n".join(problems)
