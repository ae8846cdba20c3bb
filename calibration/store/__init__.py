"""The workspace store: drafts, named scenarios, published versions, reference-account tags
and an audit log, in SQLite (default, one file) or PostgreSQL (a team server).

Pure persistence: no Streamlit, and configs are kept as JSON text (the caller validates
them), so a draft whose config no longer validates can still be opened and repaired.
"""

from calibration.store.audit import AuditEntry, ago, trail
from calibration.store.drafts import (
    DraftContent,
    DraftRecord,
    StaleDraft,
    create_draft,
    delete_draft,
    get_draft,
    recent_drafts,
    save_draft,
)
from calibration.store.engine import (
    NotFound,
    Store,
    StoreError,
    new_id,
    open_store,
    store_url,
    workspace_dir,
)
from calibration.store.scenarios import (
    ScenarioRecord,
    delete_scenario,
    get_scenario,
    list_scenarios,
    save_scenario,
)
from calibration.store.versions import VersionRecord, get_version, list_versions, publish

__all__ = [
    "AuditEntry", "DraftContent", "DraftRecord", "NotFound", "ScenarioRecord", "StaleDraft",
    "Store", "StoreError", "VersionRecord", "ago", "create_draft", "delete_draft",
    "delete_scenario", "get_draft", "get_scenario", "get_version", "list_scenarios",
    "list_versions", "new_id", "open_store", "publish", "recent_drafts", "save_draft",
    "save_scenario", "store_url", "trail", "workspace_dir",
]
