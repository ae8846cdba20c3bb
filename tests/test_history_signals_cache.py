"""The Accounts page's falling accounts and drop check are cached for every session per
config: the key must change with the outcome column. ``Config.fingerprint`` names the id
and snapshot columns only, so a session mapping another outcome column (same file, same
config otherwise) got another session's drop check."""

from __future__ import annotations

import pytest

from calibration import validation
from tests.conftest import second_outcome_column

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_another_outcome_column_gets_its_own_drop_check(tmp_path):
    from ui import state

    path, base, flipped = second_outcome_column(tmp_path)
    checks = []
    for draft_id, config in (("histcache0001", base), ("histcache0002", flipped)):
        ws = state.Workspace(draft_id=draft_id, source_name="accounts.parquet",
                             source_path=str(path), baseline=config, draft=config)
        evaluation = state.evaluate(ws, config)
        _, drop = state.history_signals(evaluation, 15, 90)
        fresh = validation.drop_signal(evaluation.table, evaluation.result,
                                       evaluation.judged, 15, 90)
        assert drop == fresh, draft_id
        checks.append(drop)
    assert checks[0] != checks[1]  # the outcomes differ, so do the checks
