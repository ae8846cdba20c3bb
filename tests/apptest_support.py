"""Helpers for AppTest: a fresh drafts folder per test and a run that fails on exceptions."""

from __future__ import annotations

import json
import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def run_app(page: str | None = None, draft_id: str | None = None, *,
            advanced: bool = True) -> AppTest:
    """Run the real app (optionally switch page / restore a draft) and check it is clean.
    ``advanced`` opens Calibrate's *Advanced statistics* (drawn only while open) as a
    reader who wants the AUC does; tests of what a new session sends pass False."""
    from ui.fragments import ADVANCED_OPEN

    at = AppTest.from_file(APP, default_timeout=90)
    if advanced:
        at.session_state[ADVANCED_OPEN] = True
    if draft_id:
        at.query_params["draft"] = draft_id
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No exception and the frame (sidebar) rendered: guards against AppTest falling back to
    pages-folder mode and skipping app.py."""
    from ui.sidebar import FRAME_MARKER

    assert not at.exception, [e.value for e in at.exception]
    marks = [m.value for m in at.sidebar.markdown]  # the frame marker only exists in app.py
    # After a control on Calibrate, only the fragments it names rerun (ui/fragments.py) and
    # AppTest's tree holds only what they drew; the sidebar's draft status is one of them
    # and, like the marker, only app.py's frame renders it.
    status = [c.value for c in at.sidebar.caption if c.value.startswith("**Draft:**")]
    assert f"**{FRAME_MARKER}**" in marks or status, "app.py frame (sidebar) did not render"


def until_jobs_done(at: AppTest, seconds: float = 300.0) -> AppTest:
    """Rerun the page, as its polling fragment does, until no background job (bootstrap,
    suggestions, curves: :mod:`ui.jobs`) shows a progress bar; then check it is clean."""
    import time

    deadline = time.monotonic() + seconds
    while at.get("progress"):
        assert time.monotonic() < deadline, "a background job never finished"
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    return at


def metric(at: AppTest, label: str) -> str:
    """The displayed value of a metric card."""
    return next(m.value for m in at.metric if m.label == label)


def single_snapshot_workspace(tmp_path, draft_id: str) -> str:
    """Save a workspace on a single-snapshot copy of the demo data (each account's latest
    row, dates removed) and return its draft id for ``run_app(draft_id=...)``."""
    import pandas as pd

    from calibration.config import load_config
    from tests.conftest import DEMO_CONFIG, DEMO_DATA
    from ui.state import Workspace

    frame = pd.read_parquet(DEMO_DATA).sort_values("snapshot_date")
    latest = frame.drop_duplicates("account_id", keep="last").copy()
    latest["snapshot_date"] = pd.NaT
    path = tmp_path / "single.csv"
    latest.to_csv(path, index=False)
    config = load_config(DEMO_CONFIG)
    Workspace(draft_id=draft_id, source_name="single.csv", source_path=str(path),
              baseline=config, draft=config).save()
    return draft_id


def markdown_table(at: AppTest, first_header: str) -> pd.DataFrame:
    """The Markdown table (``ui.components.markdown_table``) whose first header is
    ``first_header``, its cells as shown (escapes undone, Markdown cells as written)."""
    for element in at.markdown:
        text = element.value
        if text.startswith(f"| {first_header} |"):
            rows = [[re.sub(r"\\(.)", r"\1", cell.strip())
                     for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
                    for line in text.splitlines()]
            return pd.DataFrame(rows[2:], columns=rows[0])
    raise AssertionError(f"no Markdown table with the header {first_header!r}")


def svg_charts(at: AppTest) -> dict[str, str]:
    """The inline SVG charts drawn by :func:`ui.components.svg_chart`, in page order: the
    call site's key -> the SVG string the component was given (its proto's JSON ``data``).
    Fails on any other v2 component (but the weights, :func:`weight_component`), and on a
    chart whose data is not a string."""
    from ui.components import SVG_CHART_KEY
    from ui.weight_sliders import COMPONENT as WEIGHTS

    charts = {}
    for element in at.get("bidi_component"):
        proto = element.proto
        if proto.component_name == WEIGHTS:
            continue
        assert proto.component_name == "hsc_svg_chart", proto.component_name
        assert proto.WhichOneof("data") == "json", proto.WhichOneof("data")
        svg = json.loads(proto.json)
        assert isinstance(svg, str) and element.key.startswith(SVG_CHART_KEY), element.key
        charts[element.key.removeprefix(SVG_CHART_KEY)] = svg
    return charts


def open_rules(at: AppTest) -> AppTest:
    """Open Calibrate's 'Scoring rules' tab (the rule editor runs only while it is open)."""
    at.session_state["calibrate::tab"] = "Scoring rules"
    at.run()
    assert_clean(at)
    return at


# --------------------------------------------------------------------------- weights
# Calibrate's weights are one browser component (ui/weight_sliders.py), which AppTest
# draws as an UnknownElement: these read what it was sent and send what the browser sends.
def weight_component(at: AppTest):
    """The weights component of the last run (its proto: ``json`` = the data sent)."""
    from ui.weight_sliders import COMPONENT

    found = [e for e in at.get("bidi_component") if e.proto.component_name == COMPONENT]
    assert len(found) == 1, f"{len(found)} weight components drawn"
    return found[0]


def weight_data(at: AppTest) -> dict:
    """The data the weights component was sent: ``groups``, ``ack``, ``epoch``, ``answer``."""
    return json.loads(weight_component(at).proto.json)


def weight_groups(at: AppTest) -> list[dict]:
    """The sub-scores and factor shares the browser was sent."""
    return weight_data(at)["groups"]


def weights(at: AppTest) -> dict[str, float]:
    """Factor -> the share (percent) its slider shows."""
    return {f["name"]: f["weight"] for g in weight_groups(at) for f in g["factors"]}


def weight(at: AppTest, name: str) -> float:
    """The share (percent) the slider of ``name`` shows."""
    return weights(at)[name]


def weight_event(at: AppTest, value: object) -> AppTest:
    """Do what the browser does when the weights component sends its ``actions`` event with
    ``value`` (anything JSON: a hostile browser), then run. AppTest has no API for custom
    components, so this adds the event's widget state to the tree's own (private
    ``_tree`` / ``_run``, as ``ElementTree.run`` does)."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    component = weight_component(at)
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = _make_trigger_id(component.proto.id, "events")
    trigger.json_trigger_value = json.dumps([{"event": "actions", "value": value}])
    return at._run(states)


def _next_seq(at: AppTest) -> int:
    return weight_data(at)["ack"] + 1


def move_weight(at: AppTest, name: str, value: float | object) -> AppTest:
    """Move the slider of factor ``name`` to ``value`` percent, as the browser does (its
    actions are numbered: the page acknowledges the last one it handled)."""
    return weight_event(at, {"actions": [{"kind": "move", "name": name, "value": value,
                                          "seq": _next_seq(at)}]})


def hold_weight(at: AppTest, name: str, held: bool = True) -> AppTest:
    """Press *Hold* of factor ``name`` (``held=False``: release it), as the browser does:
    it sends every factor it now shows as held."""
    now = [n for n in held_weights(at) if n != name] + ([name] if held else [])
    return weight_event(at, {"actions": [{"kind": "hold", "held": now,
                                          "seq": _next_seq(at)}]})


def held_weights(at: AppTest) -> list[str]:
    """The factors the component shows as held."""
    return [f["name"] for g in weight_groups(at) for f in g["factors"] if f["held"]]
