"""Segments' "Match on column" candidates are cached for every session per data file *and*
column roles: they leave out the session's account id and outcome columns. Keyed on the
file only, a session mapping another column as the outcome got the first session's list,
which offered its own outcome column to segment on."""

from __future__ import annotations

import pytest

from tests.apptest_support import assert_clean, run_app
from tests.conftest import second_outcome_column

pytestmark = pytest.mark.xdist_group("app")


def candidates(draft_id: str) -> list[str]:
    at = run_app(page="segments", draft_id=draft_id)
    at.session_state["seg::add_open"] = True  # the reader opens Add a segment
    at.run()
    assert_clean(at)
    return list(at.selectbox(key="seg::new::column").options)


def test_candidates_leave_out_each_sessions_own_outcome_column(isolated_drafts, tmp_path):
    from ui.state import Workspace

    path, base, other = second_outcome_column(tmp_path, flip=False)  # a second outcome
    for draft_id, config in (("segcand000001", base), ("segcand000002", other)):
        Workspace(draft_id=draft_id, source_name="accounts.parquet", source_path=str(path),
                  baseline=config, draft=config).save()
    first = candidates("segcand000001")
    assert "renewal_result" in first and "outcome" not in first
    second = candidates("segcand000002")  # same file, another outcome column
    assert "renewal_result" not in second and "outcome" in second
