"""Safety: no raw HTML from data, locked-down server settings, bounded caches, no network."""

from __future__ import annotations

import ast
import ipaddress
import math
import re
import socket
import tomllib

import pandas as pd
import pytest

from tests.conftest import DEMO_CONFIG, DEMO_DATA, ROOT

APP_CODE = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")),
            *sorted((ROOT / "ui").glob("*.py"))]
# "path: line text" of static, data-free raw-HTML uses reviewed by hand.
HTML_ALLOWLIST: set[str] = {
    "ui/layout.py: st.html(CSS)",  # a constant <style> block: layout + caption contrast
    # a constant script that folds the sidebar on narrow screens (no data, no user input)
    "ui/layout.py: st.html(FOLD_SIDEBAR_JS, unsafe_allow_javascript=True)",
    # the inline SVG charts (calibration/svg_histogram.py, svg_lines.py): every string in
    # them is escaped by the builder (tests/test_svg_histogram.py, test_svg_lines.py); a v2
    # component whose constant script sets them as its box's HTML (test below; hostile
    # names in a real browser: tests/browser/test_svg_chart.py)
    "ui/components.py: _svg_component = st.components.v2.component(",
    "ui/components.py: host.innerHTML = data;",
    # Calibrate's weights (a v2 component): its constant script sets every name and
    # description as text, never markup (tests/test_weight_sliders.py; hostile names in a
    # real browser: tests/browser/test_weight_sliders_js.py, test_attacks.py)
    "ui/weight_sliders.py: _component = st.components.v2.component(COMPONENT, html=HTML, "
    "css=CSS, js=JS,",
}
SCRIPT_NAME = '<script>alert("x")</script> Labs'


def test_app_code_never_renders_raw_html():
    found = []
    for path in APP_CODE:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"unsafe_allow_html|st\.html\(|components\.v[12]|components\.html"
                         r"|\.innerHTML\s*=|\.outerHTML|insertAdjacentHTML|document\.write",
                         line):
                entry = f"{path.relative_to(ROOT)}: {line.strip()}"
                if entry not in HTML_ALLOWLIST:
                    found.append(f"{entry} (line {number})")
    assert not found, "raw HTML in app code:\n" + "\n".join(found)


def test_chart_component_only_puts_the_given_svg_in_its_box():
    """The chart component's script sets the string it is given as its box's HTML and does
    nothing else: no request, no other input, nothing sent back to Python."""
    from ui import components

    js = components.SVG_CHART_JS
    assert components.SVG_CHART_HTML == '<div class="hsc-svg-host"></div>'
    assert re.findall(r"\b(\w+)\s*=(?!=)", js) == ["host", "innerHTML", "hscSvg"]
    assert re.findall(r"\.innerHTML\s*=\s*([^;]+);", js) == ["data"]
    assert not re.search(r"fetch|XMLHttpRequest|WebSocket|import\(|eval|Function|src|href|"
                         r"http|window|document|set(State|Trigger)Value|addEventListener", js)


def test_streamlit_config_is_locked_down():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["browser"]["gatherUsageStats"] is False
    server = settings["server"]
    assert server["enableXsrfProtection"] is True
    assert isinstance(server["maxUploadSize"], int) and 0 < server["maxUploadSize"] <= 1024
    assert server.get("address", "127.0.0.1") == "127.0.0.1"


def _cached_functions() -> list:
    from streamlit.runtime.caching.cache_utils import CachedFunc

    from ui import data_actions, evidence, state

    return [value for module in (state, data_actions, evidence)
            for value in vars(module).values() if isinstance(value, CachedFunc)]


def test_every_cache_is_bounded():
    cached = _cached_functions()
    names = {f.__name__ for f in cached}
    assert {"_load_table", "_judged_view", "_judged_points", "_full_points"} <= names
    for func in cached:
        assert math.isfinite(func._info.max_entries) and func._info.max_entries <= 64, func
    # pages are scripts (not importable): check their decorators in the source
    for path in APP_CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in (
                    "st.cache_data", "st.cache_resource"):
                keywords = {k.arg for k in node.keywords}
                assert "max_entries" in keywords, f"{path.name}:{node.lineno} has no max_entries"


@pytest.fixture
def script_workspace(tmp_path, isolated_drafts, demo_config):
    """A saved workspace whose every account is called ``<script>...</script> Labs``."""
    from ui.state import Workspace

    frame = pd.read_parquet(DEMO_DATA)
    frame["account_name"] = SCRIPT_NAME
    path = tmp_path / "script.parquet"
    frame.to_parquet(path)
    ws = Workspace(draft_id="scriptlabs01", source_name="script.parquet",
                   source_path=str(path), baseline=demo_config, draft=demo_config)
    ws.save()
    return ws


def _every_text(at) -> list[tuple[str, str]]:
    """(element type, text) of every element in the tree, dataframes included."""
    out = []
    for node in at._tree.main.children.values():
        stack = [node]
        while stack:
            element = stack.pop()
            stack.extend(getattr(element, "children", {}).values())
            value = getattr(element, "value", None) if element.type != "dataframe" else None
            if element.type == "dataframe":
                value = " ".join(str(v) for v in element.value.to_numpy().ravel())
            elif element.type in ("selectbox",):
                value = " ".join(element.options)
            out.append((element.type, "" if value is None else str(value)))
    return out


@pytest.mark.xdist_group("app")
def test_script_account_name_renders_as_text(script_workspace):
    from tests.apptest_support import run_app

    at = run_app(page="accounts", draft_id=script_workspace.draft_id)
    first_tab = _every_text(at)  # only the open tab runs: the miss lists are the first
    shown = [text for kind, text in first_tab if kind == "markdown" and "Labs" in text]
    assert shown, first_tab  # the largest misses, a Markdown table of names
    assert all("<script>" not in text for text in shown), shown  # md-escaped: \<script\>
    at.session_state["acct::tab"] = "One account, explained"
    at.run()
    texts = _every_text(at)
    assert any(SCRIPT_NAME in text for kind, text in texts if kind == "selectbox"), texts
    escaped = [text for kind, text in texts if kind in ("markdown", "subheader", "caption")
               and "script" in text]
    assert escaped, "the chosen account's name is shown as a heading"
    assert all("<script>" not in text for text in escaped), escaped  # md-escaped: \<script\>
    from ui.layout import CSS, FOLD_SIDEBAR_JS

    # the only raw HTML is the frame's constant <style> block and sidebar-fold script
    assert all(h.proto.body.strip() in (CSS.strip(), FOLD_SIDEBAR_JS.strip())
               for h in at.get("html"))
    for element in at.markdown:
        assert not element.allow_html, element.value
    assert not at.exception


# --------------------------------------------------------------------------- no network
def _loopback_only(monkeypatch) -> list[str]:
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def allowed(address) -> bool:
        if not isinstance(address, tuple):  # AF_UNIX paths
            return True
        host = address[0]
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"

    def connect(sock, address):
        if not allowed(address):
            attempts.append(str(address))
            raise OSError(f"network access blocked in tests: {address}")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if not allowed(address):
            attempts.append(str(address))
            return 111
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


def test_cli_never_opens_a_network_connection(monkeypatch, tmp_path):
    from tests.robustness.support import run_cli

    attempts = _loopback_only(monkeypatch)
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # the guard works
    attempts.clear()
    args = ["--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG)]
    runs = [
        ["score", *args, "--out", str(tmp_path / "s.csv"), "--horizon-days", "90"],
        ["validate", *args, "--bootstrap", "100", "--format", "json"],
        ["suggest", *args, "--out", str(tmp_path / "suggested.json")],
    ]
    for argv in runs:
        code, _, err = run_cli(*argv)
        assert code == 0, err
    assert attempts == []
