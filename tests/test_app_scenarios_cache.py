"""Scenarios' comparison is cached for every session per data file, column roles, horizon
and scenario configs. A config's fingerprint names the account-id and snapshot columns but
not the outcome, renewal-date or ARR columns: keyed on the fingerprints alone, a session
that maps another outcome column (same file, same configs) got another session's numbers."""

from __future__ import annotations

import pytest

from calibration.accounts import load_accounts
from calibration.verdicts import format_value
from tests import independent
from tests.apptest_support import assert_clean, run_app
from tests.conftest import second_outcome_column

pytestmark = pytest.mark.xdist_group("app")


def compared(draft_id: str):
    at = run_app(page="scenarios", draft_id=draft_id)
    at.text_input(key="sc::name").input("Same config")
    at.button[[b.label for b in at.button].index("Save scenario")].click().run()
    assert_clean(at)
    return at.dataframe[1].value  # the headline outcomes, one column per scenario


def test_another_outcome_column_gets_its_own_comparison(isolated_drafts, tmp_path):
    from ui.state import Workspace

    # a second outcome column: every decision the other way round
    path, base, flipped = second_outcome_column(tmp_path)
    assert flipped.fingerprint() == base.fingerprint()  # the key's part that was all
    for draft_id, config in (("sccache000001", base), ("sccache000002", flipped)):
        Workspace(draft_id=draft_id, source_name="accounts.parquet", source_path=str(path),
                  baseline=config, draft=config).save()
        metrics = compared(draft_id)
        by_pandas = independent.cs_outcomes(
            independent.judged_accounts(load_accounts(path, config), config))
        cell = metrics.loc["surprise churn (accounts)", "Same config"]
        assert cell.split(" (")[0] == format_value("surprise_churn_count",
                                                   by_pandas["surprise_accounts"]), draft_id
