"""Deployment settings and the store's secrets are read from ``st.secrets`` once per script
run (ui/deployment.secrets_once_per_run): every read within a run gives the run's first
answer, and the next run reads the secrets again, so a change shows on the next rerun."""

from __future__ import annotations

from collections import Counter

import pytest
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest

from ui import deployment, store


def _script() -> None:
    import streamlit as st

    from ui import deployment, store

    for _ in range(3):  # a run asks several times (e.g. every workspace() call)
        st.write(f"mode={deployment.setting('HSC_TEST_MODE_UNSET', 'deployment')}")
        st.write(f"auth={sorted(store._secrets('auth'))}")
        st.write(f"team={deployment.connection_settings('team_db').get('url')}")


@pytest.fixture
def reads(monkeypatch):
    """How often each secrets section was read from st.secrets."""
    counts: Counter[str] = Counter()
    original = Secrets.get

    def counting(self, key, default=None):
        counts[key] += 1
        return original(self, key, default)

    monkeypatch.setattr(Secrets, "get", counting)
    monkeypatch.delenv("HSC_TEST_MODE_UNSET", raising=False)
    return counts


def shown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_one_read_per_section_per_run_and_a_change_shows_on_the_next_run(reads):
    at = AppTest.from_function(_script, default_timeout=30)
    at.secrets["hsc"] = {"deployment": "local"}
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.run()
    assert not at.exception
    assert shown(at) == ["mode=local", "auth=['redirect_uri']", "team=None"] * 3
    assert reads == {"hsc": 1, "auth": 1, "connections": 1}  # not 3 each
    at.secrets["hsc"] = {"deployment": "shared"}
    at.secrets["connections"] = {"team_db": {"url": "sqlite:///team.db"}}
    del at.secrets["auth"]
    at.run()  # the next run reads them again
    assert shown(at) == ["mode=shared", "auth=[]", "team=sqlite:///team.db"] * 3
    assert reads == {"hsc": 2, "auth": 2, "connections": 2}


def test_outside_a_run_every_call_reads_the_secrets(reads):
    for _ in range(2):
        assert deployment.setting("HSC_TEST_MODE_UNSET", "deployment") is None
        assert store._secrets("auth") == {}
    assert reads == {"hsc": 2, "auth": 2}


def test_callers_get_a_copy(reads):
    def script() -> None:
        import streamlit as st

        from ui import store

        store._secrets("auth")["redirect_uri"] = "changed by a caller"
        st.write(store._secrets("auth")["redirect_uri"])

    at = AppTest.from_function(script, default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.run()
    assert not at.exception
    assert shown(at) == ["http://localhost:8501/oauth2callback"]


def test_a_new_run_of_the_same_context_reads_again(monkeypatch):
    """The server keeps one context across the runs of an interaction (a callback's run,
    then the fragments it reruns) and resets it per run: a new run is a new
    ``ctx.parallel_coordinator``, and reads again; each fragment's new ``ctx.cursors`` is
    not a new run."""

    class Context:
        def __init__(self) -> None:
            self.parallel_coordinator = object()
            self.cursors: dict = {}

    ctx = Context()
    monkeypatch.setattr(deployment, "get_script_run_ctx", lambda **_: ctx)
    answers = iter([{"n": 1}, {"n": 2}, {"n": 3}])
    read = lambda: next(answers)  # noqa: E731
    assert deployment.secrets_once_per_run("k", read) == {"n": 1}
    assert deployment.secrets_once_per_run("k", read) == {"n": 1}  # same run
    ctx.cursors = {}  # a fragment of the same run
    assert deployment.secrets_once_per_run("k", read) == {"n": 1}
    ctx.parallel_coordinator = object()  # ScriptRunContext.reset: the next run
    assert deployment.secrets_once_per_run("k", read) == {"n": 2}
    assert deployment.secrets_once_per_run("other", read) == {"n": 3}
