"""What the Versions page does: publish the draft with its evidence, import an exported
config as a version published earlier, read versions back, make one the baseline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from calibration.accounts import AccountTable
from calibration.config import Config, ConfigError, config_from_dict
from calibration.configfile import export_config, import_config
from calibration.evidence import gather
from calibration.reference_tags import with_tags
from calibration.store import StoreError, VersionRecord, list_versions, publish
from ui import reference_tags
from ui.drafts import Workspace
from ui.flash import flash
from ui.store import get_store
from ui.text import md_escape

FLASH = "ver::flash"
PUBLISH_RESAMPLES = 500


def versions() -> tuple[list[tuple[VersionRecord, Config]], list[str]]:
    """Published versions (newest first) with their configs, and a message for each that
    no longer validates."""
    out, problems = [], []
    for record in list_versions(get_store()):
        try:
            out.append((record, config_from_dict(json.loads(record.config_json),
                                                 f"version {record.name}")))
        except (ConfigError, ValueError) as error:
            problems.append(f"Version “{md_escape(record.name)}” cannot be read any more: "
                            f"{md_escape(str(error)[:300])}")
    return out, problems


def publish_draft(ws: Workspace, table: AccountTable, name: str, author: str,
                  notes: str) -> None:
    """Freeze the draft as version ``name`` with its validation evidence (bootstrap CIs,
    data fingerprint, comparison with the baseline)."""
    try:
        bundle = gather(with_tags(table, reference_tags.tags(ws, table)), ws.draft,
                        ws.baseline, horizon_days=ws.horizon_days,
                        bootstrap_resamples=PUBLISH_RESAMPLES)
        frozen = export_config(ws.draft.with_details(name=" ".join(name.split())),
                               bundle.evidence, author=author, notes=notes)
        record = publish(get_store(), name=name, author=author, notes=notes,
                         config_hash=frozen.fingerprint(), config_json=frozen.to_json(),
                         data_name=ws.source_name, horizon_days=ws.horizon_days,
                         actor=ws.owner, draft_id=ws.draft_id if ws.stored else None,
                         summary=f"from draft “{ws.draft.name}” on {ws.source_name}")
    except (StoreError, SQLAlchemyError, ValueError) as error:
        flash(FLASH, md_escape(error), "error")
        return
    flash(FLASH, f"Published “{md_escape(record.name)}” (config "
                 f"{record.config_hash}).")


def import_version(raw: bytes, filename: str, name: str, owner: str) -> None:
    """Record an exported config file (e.g. last quarter's) as a version published at its
    ``created_at`` date (now when it has none)."""
    try:
        config = import_config(raw, filename)
        when = datetime.now(UTC)
        if config.created_at:
            parsed = datetime.fromisoformat(config.created_at)
            when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        name = " ".join((name or config.name).split())
        record = publish(get_store(), name=name, author=config.author, notes=config.notes,
                         config_hash=config.fingerprint(), config_json=config.to_json(),
                         data_name=f"imported from {filename}",
                         horizon_days=int((config.validation or {}).get("horizon_days") or 90),
                         actor=owner, published_at=when, summary=f"imported from {filename}")
    except ConfigError as error:
        flash(FLASH, md_escape(
            f"{filename} was not imported: " + "; ".join(error.problems)), "error")
        return
    except (StoreError, SQLAlchemyError, ValueError) as error:
        flash(FLASH, md_escape(error), "error")
        return
    flash(FLASH, f"Recorded “{md_escape(record.name)}” as published on "
                 f"{record.published_at:%d %b %Y}.")


def use_as_baseline(ws: Workspace, key: str) -> None:
    """Start next quarter from the published version selected in widget ``key``: it becomes
    the baseline."""
    name = st.session_state.get(key)
    found = [config for record, config in versions()[0] if record.name == name]
    if not found:
        flash(FLASH, "That version cannot be read: pick another.", "error")
        return
    ws.baseline = found[0]
    ws.save(action=f"baseline set to published “{name}”")
    flash(FLASH, f"“{md_escape(name)}” is now the baseline: the draft is "
                 "compared with it on every page.")
