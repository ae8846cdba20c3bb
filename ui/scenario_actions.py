"""What the Scenarios page does to the workspace store: save the draft as a named scenario,
read the draft's scenarios back, promote one to the draft, delete one."""

from __future__ import annotations

import json

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from calibration.config import Config, ConfigError, config_from_dict
from calibration.store import (
    ScenarioRecord,
    StoreError,
    delete_scenario,
    list_scenarios,
    save_scenario,
)
from ui.drafts import Workspace
from ui.flash import flash
from ui.store import get_store
from ui.text import md_escape

CURRENT_DRAFT = "Current draft (unsaved as a scenario)"
FLASH = "sc::flash"


def scenario_configs(ws: Workspace) -> tuple[dict[str, tuple[ScenarioRecord, Config]],
                                             list[str]]:
    """The draft's scenarios by name, and a message for each that no longer validates."""
    if not ws.stored:
        return {}, []
    out, problems = {}, []
    for record in list_scenarios(get_store(), ws.draft_id, ws.owner):
        try:
            out[record.name] = (record, config_from_dict(json.loads(record.config_json),
                                                         f"scenario {record.name}"))
        except (ConfigError, ValueError) as error:
            problems.append(f"Scenario “{md_escape(record.name)}” cannot be read any more "
                            f"and is left out: {md_escape(str(error)[:300])}")
    return out, problems


def save_current(ws: Workspace, name: str) -> None:
    """Save the draft as the scenario ``name`` (the draft is stored first if it was not)."""
    name = " ".join(name.split())
    if name == CURRENT_DRAFT:
        flash(FLASH, "That name is reserved: pick another.", "error")
        return
    try:
        if not ws.stored:
            ws.write()
        save_scenario(get_store(), ws.draft_id, ws.owner, name,
                      ws.draft.to_json(indent=None), ws.draft.fingerprint())
    except (StoreError, SQLAlchemyError, OSError) as error:
        flash(FLASH, md_escape(error), "error")
        return
    flash(FLASH, f"Saved scenario “{md_escape(name)}” "
                 f"({ws.draft.fingerprint()}).")


def promote(ws: Workspace, key: str) -> None:
    """Make the scenario selected in widget ``key`` the draft (its scoring; the draft keeps
    its details)."""
    name = st.session_state.get(key)
    configs, _ = scenario_configs(ws)
    if name not in configs:
        flash(FLASH, "That scenario is gone: pick another.", "error")
        return
    ws.set_draft(configs[name][1], reset_widgets=True, action=f"promoted scenario “{name}”")
    flash(FLASH, f"“{md_escape(name)}” is now the draft. The previous draft is one "
                 "*Undo* away in the sidebar.")


def delete(ws: Workspace, key: str) -> None:
    """Delete the scenario selected in widget ``key``."""
    name = st.session_state.get(key)
    configs, _ = scenario_configs(ws)
    if name not in configs:
        return
    try:
        delete_scenario(get_store(), configs[name][0].id, ws.owner)
    except (StoreError, SQLAlchemyError) as error:
        flash(FLASH, md_escape(error), "error")
        return
    flash(FLASH, f"Deleted scenario “{md_escape(name)}”.")
