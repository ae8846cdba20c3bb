"""The account-name lookup is cached for every session: per data file *and* column roles.
Keyed on the file and the name column only, a session that maps another column as the
account id (same file, same name column) got the first session's id -> name lookup."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration.accounts import load_accounts
from calibration.config import Config, load_config
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_another_account_id_column_gets_its_own_names(tmp_path):
    from ui import state

    data = tmp_path / "accounts.parquet"
    frame = pd.read_parquet(DEMO_DATA)
    frame["crm_id"] = "C-" + frame["account_id"].astype(str)  # another id of each account
    frame.to_parquet(data, index=False)
    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["columns"]["account_id"] = "crm_id"
    by_crm_id = Config.model_validate(raw)
    for config in (base, by_crm_id):
        table = load_accounts(data, config)
        ws = state.Workspace(draft_id="namecache01", source_name="accounts.parquet",
                             source_path=str(data), baseline=config, draft=config)
        names = state.account_names(ws, table, table.roles.account_name)
        # by hand: each id's name on its last row
        want = dict(zip(table.account_id.tolist(),
                        table.frame[table.roles.account_name].tolist(), strict=True))
        assert names == want
