"""AppTest: a separate renewals table uploaded on the Data page drives every page's numbers,
exactly as ``validate --renewals`` does."""

from __future__ import annotations

import json

import pytest

from calibration.cli import main
from calibration.config import Config
from calibration.data_quality import DataError
from tests import layouts
from tests.apptest_support import assert_clean, metric, run_app

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture
def files(tmp_path):
    frame, _ = layouts.history(seed=21, n_accounts=150)
    snapshots, renewals = layouts.layout_renewals_table(frame)
    snapshots_path, renewals_path = tmp_path / "usage.csv", tmp_path / "renewals.csv"
    snapshots.to_csv(snapshots_path, index=False)
    renewals.to_csv(renewals_path, index=False)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(layouts.config_dict()))
    return snapshots_path, renewals_path, config_path


def test_uploaded_renewals_table_gives_the_cli_numbers(files, capsys):
    from ui.state import Workspace

    snapshots_path, renewals_path, config_path = files
    config = Config.model_validate(layouts.config_dict())
    Workspace(draft_id="renewals0001", source_name="usage.csv", source_path=str(snapshots_path),
              baseline=config, draft=config).save()
    at = run_app(page="data", draft_id="renewals0001")
    at.file_uploader(key="data::renewals_upload").set_value(
        ("renewals.csv", renewals_path.read_bytes(), "text/csv")).run()
    assert_clean(at)
    ws = at.session_state["workspace"]
    assert ws.renewals_name == "renewals.csv"
    at.switch_page("app_pages/calibrate.py").run()
    assert_clean(at)
    assert main(["validate", "--data", str(snapshots_path), "--renewals", str(renewals_path),
                 "--config", str(config_path), "--format", "json", "--bootstrap", "0"]) == 0
    evidence = json.loads(capsys.readouterr().out)
    assert evidence["sample"]["source"] == "renewals table"
    assert metric(at, "AUC") == f"{evidence['auc']['value']:.3f}"
    at.switch_page("app_pages/data.py").run()
    at.button(key="data::renewals_remove").click().run()
    assert_clean(at)
    assert at.session_state["workspace"].renewals_path is None


def test_bad_renewals_table_leaves_the_workspace_unchanged(files):
    from ui import data_actions
    from ui.state import Workspace

    snapshots_path, _, _ = files
    config = Config.model_validate(layouts.config_dict())
    ws = Workspace(draft_id="renewals0002", source_name="usage.csv",
                   source_path=str(snapshots_path), baseline=config, draft=config)
    with pytest.raises(DataError, match="needs a column for the renewal date"):
        data_actions.use_renewals_upload(ws, "r.csv", b"account,status\na,churned\n")
    with pytest.raises(DataError, match="unknown outcome label"):
        data_actions.use_renewals_upload(
            ws, "r.csv", b"account,renews_on,status\na,2024-01-01,maybe\n")
    assert ws.renewals_path is None


def test_unusable_saved_horizon_falls_back_to_the_default(isolated_drafts):
    from sqlalchemy import update

    from calibration.store.schema import drafts
    from ui.state import Workspace
    from ui.store import get_store

    config = Config.model_validate(layouts.config_dict())
    ws = Workspace(draft_id="horizon00001", source_name="x", source_path="x",
                   baseline=config, draft=config)
    ws.save()
    for bad in (-5, 10**9):  # a hand-edited workspace database
        with get_store().transaction() as conn:
            conn.execute(update(drafts).where(drafts.c.id == "horizon00001")
                         .values(horizon_days=bad))
        assert Workspace.restore("horizon00001").horizon_days == 90


def test_renewals_from_a_sandboxed_query(isolated_drafts):
    from calibration.config import load_config
    from tests.conftest import DEMO_CONFIG, DEMO_DATA
    from ui import data_actions
    from ui.state import DEMO_NAME, Workspace, load_table

    demo = load_config(DEMO_CONFIG)
    ws = Workspace(draft_id="renewalsql001", source_name=DEMO_NAME, source_path=str(DEMO_DATA),
                   baseline=demo, draft=demo)
    report = data_actions.use_renewals_sql(
        ws, "SELECT account_id, max(renewal_date) AS renewal_date, max(outcome) AS outcome "
            "FROM accounts GROUP BY account_id")
    assert report.n_rows_used == 3000 and ws.renewals_path
    table = load_table(ws)
    assert table.renewals is not None and len(table.renewals) == 3000
    with pytest.raises(DataError, match="no rows"):
        data_actions.use_renewals_sql(ws, "SELECT 1 AS account_id WHERE false")
