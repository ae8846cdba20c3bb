"""The server's workspace store and who is using it (Streamlit side).

Where the store lives, in order: ``HSC_DATABASE_URL``; a ``[connections.workspace]`` entry in
``.streamlit/secrets.toml`` (``url = "postgresql://..."``, Streamlit's connection
convention); else SQLite at ``<workspace folder>/workspace.db`` (``HSC_WORKSPACE_DIR``,
default ``drafts/``).

Login (:func:`login_required`): on a shared server, or when ``.streamlit/secrets.toml`` has
an ``[auth]`` section (OIDC, see ``st.login``), every page asks for a login first and
drafts, uploads and scenarios belong to the signed-in user. On a leader's own machine the
app is a single local user's (owner ``local``).
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

import streamlit as st

from calibration.store import Store, open_store, store_url, workspace_dir
from calibration.store.legacy import import_json_drafts
from calibration.store.retention import stray_temp_files
from calibration.store.uploads import save_upload as _save_upload
from ui import deployment

LOCAL_USER = "local"
REQUIRE_LOGIN_ENV = "HSC_REQUIRE_LOGIN"
_lock = threading.Lock()


def _read_secrets(section: str) -> dict[str, Any]:
    try:
        value = st.secrets.get(section)
    except Exception:  # no secrets.toml, or an unreadable one: treated as "not configured"
        return {}
    return dict(value) if value else {}


def _secrets(section: str) -> dict[str, Any]:
    """A section of st.secrets as a dict ({} without a secrets file), read once per script
    run (:func:`ui.deployment.secrets_once_per_run`)."""
    return deployment.secrets_once_per_run(f"store:{section}",
                                           lambda: _read_secrets(section))


def database_url() -> str | None:
    """The configured database URL, or None for the default SQLite file."""
    if os.environ.get("HSC_DATABASE_URL"):
        return os.environ["HSC_DATABASE_URL"]
    connection = deployment.connection_settings("workspace")
    if connection.get("url"):
        return str(connection["url"])
    if connection.get("dialect"):  # the field-by-field form st.connection also accepts
        from sqlalchemy.engine import URL

        dialect = str(connection["dialect"])
        return URL.create(
            f"{dialect}+{connection.get('driver', 'psycopg')}" if dialect == "postgresql"
            else dialect, username=connection.get("username"),
            password=connection.get("password"), host=connection.get("host"),
            port=connection.get("port"), database=connection.get("database"),
        ).render_as_string(hide_password=False)
    return None


@functools.lru_cache(maxsize=8)
def _open(url: str, folder: str) -> Store:
    store = open_store(url)
    stray_temp_files(Path(folder))  # left by a process killed mid-write
    import_json_drafts(store, Path(folder), LOCAL_USER)  # drafts/<id>.json of older releases
    return store


def get_store() -> Store:
    """This server's store, opened (and migrated) once per database URL."""
    url = store_url(database_url()).render_as_string(hide_password=False)
    with _lock:
        return _open(url, str(workspace_dir()))


# --------------------------------------------------------------------------- users
def login_required() -> bool:
    """Whether visitors must sign in: ``HSC_REQUIRE_LOGIN`` / ``[hsc] require_login`` when
    set, else yes on a shared server (:func:`ui.deployment.is_shared`) or when an ``[auth]``
    section is configured, no for a leader's own machine."""
    value = (deployment.setting(REQUIRE_LOGIN_ENV, "require_login") or "").casefold()
    if value in deployment.TRUE | deployment.FALSE:
        return value in deployment.TRUE
    return deployment.is_shared() or bool(_secrets("auth"))


def current_user() -> str:
    """Who owns what this session creates: the signed-in user's e-mail (or subject id), or
    ``local`` when no login is configured. On a shared deployment, a visitor who is not
    signed in sees only a login button (the page stops there)."""
    if not login_required():
        return LOCAL_USER
    if not _secrets("auth"):
        st.error("This is a shared server, so everyone signs in and sees only their own "
                 "drafts, but no login is configured (`[auth]` in .streamlit/secrets.toml). "
                 "Ask the operator to set up OIDC (README: *A team server*), or to set "
                 "HSC_REQUIRE_LOGIN=0 if everyone may share one workspace.")
        st.stop()
    user = st.user
    if not getattr(user, "is_logged_in", False):
        st.title("Health Score Calibrator")
        st.info("Sign in to see your drafts. Each user's drafts, uploads and scenarios are "
                "their own.")
        st.button("Log in", type="primary", on_click=st.login, key="auth::login")
        st.stop()
    identity = user.get("email") or user.get("sub")
    if not identity:
        st.error("Your identity provider did not return an e-mail or subject id: ask the "
                 "operator to add the 'email' scope.")
        st.stop()
    return str(identity)


def display_name() -> str:
    """The signed-in user's name for the author field ("" for the local user)."""
    if not login_required():
        return ""
    user = st.user
    return str(user.get("name") or user.get("email") or "") if getattr(
        user, "is_logged_in", False) else ""


def save_upload(name: str, raw: bytes, owner: str | None = None) -> Path:
    """Keep an uploaded file in its owner's upload folder so reloads and restarts find it."""
    return _save_upload(workspace_dir(), owner or current_user(), name, raw)
