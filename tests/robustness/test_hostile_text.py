"""Text is text: hostile names and values (Markdown images and links, HTML, bidi overrides,
control characters, very long strings) in the config, the data and the upload's file name
are rendered through every page, and none of them becomes an image, a link or HTML."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from google.protobuf.message import Message
from markdown_it import MarkdownIt

from calibration.config import Config
from tests.conftest import DEMO_DATA
from ui.text import md_escape

pytestmark = pytest.mark.xdist_group("app")

MARK = "EVIL"
PAYLOADS = [
    f"![{MARK}](http://evil.example/beacon.png)",
    f"[{MARK} click here](http://evil.example/login)",
    f"<img src=x onerror=alert(1)>{MARK}",
    f"<a href='http://evil.example'>{MARK}</a>",
    f"<http://evil.example/{MARK}>",
    f"{MARK}\u202egnp.exe \u2067rtl\u2069",
    f"{MARK}\x00\x07\x1b[31m ctrl",
    f"{MARK} *bold* _em_ `code` :red[red] $x^2$ \\[",
    f"{MARK}\n# heading\n\n===\n    indented",
    f"{MARK} " + "long " * 1500,
]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
MARKDOWN_FIELDS = {"body", "label", "help"}
PARSER = MarkdownIt("commonmark")


def _payload(index: int) -> str:
    return PAYLOADS[index % len(PAYLOADS)] + f" #{index}"


def _markdown_strings(proto, kind: str = "") -> list[str]:
    """Every string of an element proto that Streamlit renders as Markdown."""
    found = []
    for field, value in proto.ListFields():
        if field.message_type is not None:
            items = [value] if isinstance(value, Message) else value
            for item in items:
                found += _markdown_strings(item, field.name)
        elif field.name in MARKDOWN_FIELDS or (kind == "radio" and field.name in (
                "options", "captions")):
            found += [value] if isinstance(value, str) else [v for v in value
                                                             if isinstance(v, str)]
    return found


def _rendered(at) -> list[str]:
    strings = []
    stack = list(at._tree.children.values())
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        if proto is not None:
            strings += _markdown_strings(proto, node.type)
    return strings


def _dangerous(markdown: str) -> list[str]:
    """Links, images and HTML the Markdown would render, and raw control characters."""
    problems = []
    for token in PARSER.parse(markdown):
        for child in [token, *(token.children or [])]:
            if child.type in ("image", "link_open") or (
                    child.type.startswith("html") and MARK in child.content):
                problems.append(f"{child.type}: {child.attrs or child.content!r}")
    if CONTROL.search(markdown):
        problems.append(f"control character in {markdown[:80]!r}")
    return problems


def test_md_escape_neutralises_the_corpus():
    for payload in PAYLOADS:
        assert not _dangerous(md_escape(payload)), payload
        assert MARK in md_escape(payload)


def test_md_escape_keeps_bare_urls_and_emails_from_autolinking():
    # GitHub-flavoured Markdown (Streamlit's) links bare URLs after resolving escapes, so
    # escaping ":" and "." alone still rendered <a href="http://evil.example/...">
    shown = md_escape("http://evil.example/x HTTPS://evil.example www.evil.example a@evil.example")
    plain = shown.replace("\\", "")
    for pattern in ("://", "www.", "a@e", "WWW."):
        assert pattern.casefold() not in plain.casefold(), plain
    assert plain.replace("\u2060", "") == ("http://evil.example/x HTTPS://evil.example "
                                           "www.evil.example a@evil.example")


@pytest.fixture
def hostile_workspace(tmp_path, isolated_drafts, demo_config):
    """Demo data and config with hostile text in every user- or data-supplied string."""
    from ui.state import Workspace

    frame = pd.read_parquet(DEMO_DATA)
    segments = {value: _payload(i) for i, value in enumerate(sorted(frame["segment"].unique()))}
    frame["segment"] = frame["segment"].map(segments)
    categories = {value: _payload(i + 3) for i, value in
                  enumerate(sorted(frame["csm_assessment"].dropna().unique()))}
    frame["csm_assessment"] = frame["csm_assessment"].map(categories)
    frame["account_name"] = [_payload(i) for i in range(len(frame))]
    hostile_column = _payload(5)
    frame = frame.rename(columns={"logins_30d": hostile_column})
    path = tmp_path / "hostile.parquet"
    frame.to_parquet(path)

    raw = demo_config.model_dump(mode="json")
    raw["name"] = _payload(0)
    groups = {g["name"]: _payload(i + 20) for i, g in enumerate(raw["groups"])}
    for group in raw["groups"]:
        group["name"] = groups[group["name"]]
    names = {}
    for i, factor in enumerate(raw["factors"]):
        names[factor["name"]] = factor["name"] = _payload(i + 40)
        factor["description"] = _payload(i + 60)
        factor["group"] = groups.get(factor.get("group"), factor.get("group"))
        if factor["column"] == "logins_30d":
            factor["column"] = hostile_column
        if factor["rule"]["kind"] == "mapping":
            factor["rule"]["points"] = {categories.get(k, k): v for k, v in
                                        factor["rule"]["points"].items()}
    for i, rail in enumerate(raw["guardrails"]):
        rail["name"] = _payload(i + 80)
        rail["enabled"] = True
    first_segment = next(iter(segments.values()))
    raw["segments"] = [{"name": _payload(90),
                        "match": {"column": "segment", "values": [first_segment]}}]
    config = Config.model_validate(raw)
    ws = Workspace(draft_id="hostile00001", source_name=_payload(1) + ".parquet",
                   source_path=str(path), baseline=config, draft=config)
    ws.save()
    from calibration.store import publish, save_scenario
    from ui.store import get_store

    save_scenario(get_store(), ws.draft_id, ws.owner, _payload(95), config.to_json(),
                  config.fingerprint())
    publish(get_store(), name=_payload(96), author=_payload(97), notes=_payload(98),
            config_hash=config.fingerprint(), config_json=config.to_json(),
            data_name=ws.source_name, horizon_days=90, actor=ws.owner)
    return ws


@pytest.mark.parametrize("page", ["data", "calibrate", "accounts", "renewals", "segments",
                                  "suggest", "export", "scenarios", "versions"])
def test_hostile_text_renders_as_text_on_every_page(hostile_workspace, page):
    from tests.apptest_support import run_app, until_jobs_done

    at = run_app(page=page, draft_id=hostile_workspace.draft_id)
    if page == "renewals":  # its factor table (hostile factor names) comes from a job
        until_jobs_done(at)
    strings = _rendered(at)
    assert any(MARK in s for s in strings), "the hostile names are not shown at all"
    problems = {problem for s in strings for problem in _dangerous(s)}
    assert not problems, sorted(problems)[:10]


@pytest.mark.parametrize(("page", "key"), [("export", "ex::import"),
                                           ("data", "data::baseline_upload")])
def test_config_import_errors_render_as_text(demo_config, page, key):
    from tests.apptest_support import assert_clean, run_app

    raw = demo_config.model_dump(mode="json")
    raw["factors"][0]["name"] = PAYLOADS[0]
    raw["factors"][0]["rule"]["kind"] = PAYLOADS[1]  # an error that quotes hostile text
    raw["factors"][1]["column"] = PAYLOADS[2]
    at = run_app(page=page)
    at.file_uploader(key=key).set_value(
        (PAYLOADS[3] + ".json", json.dumps(raw).encode(), "application/json")).run()
    assert_clean(at)
    errors = [str(e.value) for e in at.error]
    assert any(MARK in e for e in errors), errors
    problems = {problem for s in _rendered(at) for problem in _dangerous(s)}
    assert not problems, sorted(problems)[:10]
