"""Named scenarios: frozen copies of a draft's config to compare and promote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from calibration.store import audit
from calibration.store.drafts import MAX_NAME, get_draft
from calibration.store.engine import NotFound, Store, StoreError, from_row, new_id
from calibration.store.schema import scenarios

MAX_SCENARIOS = 50


@dataclass(frozen=True)
class ScenarioRecord:
    """A saved scenario."""

    id: str
    draft_id: str
    owner: str
    name: str
    config_json: str
    config_hash: str
    created_at: datetime
    created_by: str


def save_scenario(store: Store, draft_id: str, owner: str, name: str, config_json: str,
                  config_hash: str, *, actor: str | None = None,
                  summary: str = "") -> ScenarioRecord:
    """Save ``config_json`` as the scenario ``name`` of the owner's draft.

    Names are unique per draft (StoreError otherwise); the draft must exist and be the
    owner's (NotFound).
    """
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise StoreError("Give the scenario a name.")
    get_draft(store, draft_id, owner)
    if len(list_scenarios(store, draft_id, owner)) >= MAX_SCENARIOS:
        raise StoreError(f"This draft already has {MAX_SCENARIOS} scenarios: delete some "
                         "first.")
    values = {"id": new_id(), "draft_id": draft_id, "owner": owner, "name": name,
              "config_json": config_json, "config_hash": config_hash,
              "created_at": datetime.now(UTC), "created_by": actor or owner}
    audit.insert_audited(
        store, scenarios, values,
        taken=f"A scenario named “{name}” already exists for this draft: pick another name "
              "or delete the old one.",
        actor=actor or owner, owner=owner, subject="draft", subject_id=draft_id,
        action="scenario saved",
        summary=f"Saved scenario “{name}” (config {config_hash})"
                + (f"\n{summary}" if summary else ""))
    return from_row(ScenarioRecord, values)


def list_scenarios(store: Store, draft_id: str, owner: str) -> list[ScenarioRecord]:
    """The draft's scenarios, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(scenarios).where(
            scenarios.c.draft_id == draft_id, scenarios.c.owner == owner)
            .order_by(scenarios.c.created_at, scenarios.c.name)).mappings()
        return [from_row(ScenarioRecord, r) for r in rows]


def get_scenario(store: Store, scenario_id: str, owner: str) -> ScenarioRecord:
    """One of the owner's scenarios (NotFound otherwise)."""
    with store.engine.connect() as conn:
        row = conn.execute(select(scenarios).where(
            scenarios.c.id == scenario_id, scenarios.c.owner == owner)).mappings().first()
    if row is None:
        raise NotFound("Scenario not found.")
    return from_row(ScenarioRecord, row)


def delete_scenario(store: Store, scenario_id: str, owner: str, *,
                    actor: str | None = None) -> None:
    """Delete one of the owner's scenarios (NotFound otherwise)."""
    scenario = get_scenario(store, scenario_id, owner)
    with store.transaction() as conn:
        conn.execute(delete(scenarios).where(scenarios.c.id == scenario_id,
                                             scenarios.c.owner == owner))
        audit.record(conn, actor=actor or owner, owner=owner, subject="draft",
                     subject_id=scenario.draft_id, action="scenario deleted",
                     summary=f"Deleted scenario “{scenario.name}”")
