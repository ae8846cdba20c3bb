"""Paths changed to hold less memory at 100k accounts give the values of the paths they
replaced (computed here the old way: every row's column as Python objects first)."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.evidence import judged_accounts
from calibration.scoring import score_frame
from calibration.validation import judged_rows
from tests.conftest import DEMO_CONFIG, DEMO_DATA


@pytest.fixture(scope="module")
def named():
    """The demo with some names missing and names that change within an account."""
    table = load_accounts(DEMO_DATA, load_config(DEMO_CONFIG))
    column = table.roles.account_name
    positions = np.arange(len(table))
    names = table.frame[column].where(positions % 9 != 0, None)
    table.frame[column] = names.where(positions % 13 != 4, "renamed " + names.fillna(""))
    return table, column


def test_judged_accounts_names_are_the_judged_rows_names(named, demo_config):
    table, column = named
    judged = judged_rows(table, 90)
    result = score_frame(table.frame.iloc[judged.rows], demo_config).result
    bundle = types.SimpleNamespace(table=table, config=demo_config,
                                   judged_scores=lambda: result, decisions=lambda: judged)
    got = judged_accounts(bundle)["account"].to_numpy()
    want = table.frame[column].to_numpy()[judged.rows]
    assert len(got) == judged.n_judged and pd.isna(want).any()
    np.testing.assert_array_equal(pd.isna(got), pd.isna(want))
    assert got[~pd.isna(want)].tolist() == want[~pd.isna(want)].tolist()


def test_account_names_are_each_accounts_last_rows_name(named):
    from ui import state

    table, column = named
    got = state._account_names("test-names", table.roles.model_dump_json(), column,
                               table)
    frame = pd.DataFrame({"id": table.account_id, "name": table.frame[column].to_numpy()})
    last = frame.drop_duplicates("id", keep="last")
    want = dict(zip(last["id"].tolist(), last["name"].tolist(), strict=True))
    assert list(got) == list(want)
    missing = [key for key, name in want.items() if pd.isna(name)]
    assert missing and all(pd.isna(got[key]) for key in missing)
    assert {k: v for k, v in got.items() if k not in missing} == {
        k: v for k, v in want.items() if k not in missing}
    assert any(str(name).startswith("renamed") for name in got.values())
