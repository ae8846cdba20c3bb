"""AppTest: a control on Calibrate reruns only the fragments that show what it changed
(ui/fragments.py), and everything that depends on the draft still follows it: the headline
numbers, the reference agreement, the accounts that changed band, the sidebar's draft status
and Undo, the saved draft (page switch and reload)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from calibration import formatting
from calibration.accounts import load_accounts
from calibration.config import LinearRule, load_config
from calibration.weights import apply_flat_weights, flat_weights, round_to_total
from tests import independent
from tests.apptest_support import (
    assert_clean,
    markdown_table,
    metric,
    move_weight,
    open_rules,
    run_app,
    svg_charts,
    weight,
    weights,
)
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    return config, load_accounts(DEMO_DATA, config)


def judged(table, config) -> pd.DataFrame:
    return independent.judged_accounts(table, config, columns=("reference_label",))


def moved_between(table, before, after) -> int:
    """Judged accounts whose band differs between two configs (pandas merge)."""
    pair = judged(table, before)[["account_id", "band"]].merge(
        judged(table, after)[["account_id", "band"]], on="account_id")
    return int((pair["band_x"] != pair["band_y"]).sum())


def agreement(frame: pd.DataFrame) -> float:
    """Known healthy in green + known struggling in red, over labelled accounts (pandas)."""
    labelled = frame[frame["reference_label"].isin(["known_healthy", "known_struggling"])]
    right = (((labelled["reference_label"] == "known_healthy") & (labelled["band"] == 2))
             | ((labelled["reference_label"] == "known_struggling") & (labelled["band"] == 0)))
    return float(right.sum() / len(labelled))


def score_charts(at) -> list[str]:
    """The markup of the "Renewed vs churned" charts (inline SVG given to the chart
    component), checking no other chart is drawn and no SVG goes through Markdown."""
    charts = svg_charts(at)
    assert set(charts) <= {"score-distribution"}, charts
    assert not [m for m in at.markdown if "<svg" in m.value]
    return list(charts.values())


def draft_status(at) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.startswith("**Draft:**"))


def test_weight_step_reruns_its_fragments_and_everything_follows_the_draft(demo):
    config, table = demo
    at = run_app()
    assert [t.value for t in at.title] == ["Calibrate"]
    assert "same as baseline" in draft_status(at)
    assert at.sidebar.button[0].disabled  # Undo: nothing to undo yet
    move_weight(at, "Executive sponsor", 20)
    assert_clean(at)
    # only the fragments rerun: the page title (outside them) was not drawn again
    assert not at.title
    draft = at.session_state["workspace"].draft
    wanted = apply_flat_weights(config, {**round_to_total(flat_weights(config), digits=0),
                                         "Executive sponsor": 20.0, "Active users": 32.0,
                                         "Open tickets": 24.0, "CSM assessment": 24.0})
    assert draft.fingerprint() == wanted.fingerprint()
    now = judged(table, wanted)
    assert metric(at, "AUC") == f"{independent.auc(now):.3f}"
    # the other weight sliders were rebalanced and redrawn
    assert [weight(at, f"{n}") for n in ("Active users", "Open tickets")] == [32, 24]
    # reference agreement and its change against the baseline
    card = next(m for m in at.metric if m.label == "Known accounts in the right band")
    before = agreement(judged(table, config))
    assert card.value == formatting.percent(agreement(now))
    assert (card.delta or None) == formatting.delta(agreement(now), before, "percent")
    # accounts that changed band (results pane)
    moved = moved_between(table, config, wanted)
    assert moved > 0
    assert any(c.value.startswith(f"{moved:,} of {len(now):,} judged accounts are in a "
                                  "different band") for c in at.caption)
    # the sidebar's draft status and Undo follow the draft
    status = draft_status(at)
    assert f"`{wanted.fingerprint()}` changed from baseline" in status
    assert "version 1" in status
    assert not at.sidebar.button[0].disabled
    # Undo reruns the whole app: back to the baseline everywhere
    at.sidebar.button[0].click().run()
    assert_clean(at)
    assert [t.value for t in at.title] == ["Calibrate"]
    assert weight(at, "Executive sponsor") == 0
    assert "same as baseline" in draft_status(at)
    assert metric(at, "AUC") == f"{independent.auc(judged(table, config)):.3f}"
    assert any(c.value.startswith(f"0 of {len(now):,} judged accounts") for c in at.caption)


def test_band_step_updates_numbers_and_status_without_redrawing_the_weights(demo):
    config, table = demo
    at = run_app()
    at.slider(key="band::range").set_value((40.0, 60.0)).run()
    assert_clean(at)
    assert not at.title and not at.slider  # no control was redrawn: the band slider shows
    raw = config.model_dump()                # the value the user moved it to
    raw["bands"] = {"red_max": 40.0, "yellow_max": 60.0}
    moved_config = type(config).model_validate(raw)
    now = judged(table, moved_config)
    assert metric(at, "Surprise churn (accounts)") == f"{independent.surprise_churn(now)[0]:,}"
    shown = markdown_table(at, "Band")
    counts = now["band"].value_counts()
    assert list(shown["Accounts"]) == [f"{counts.get(b, 0):,}" for b in (0, 1, 2)]
    assert f"`{moved_config.fingerprint()}` changed from baseline" in draft_status(at)
    moved = moved_between(table, config, moved_config)
    assert any(c.value.startswith(f"{moved:,} of ") for c in at.caption)
    # a full rerun afterwards shows the same draft in every control
    at.run()
    assert at.slider(key="band::range").value == (40.0, 60.0)
    assert at.session_state["workspace"].draft.bands.red_max == 40.0


def test_threshold_step_redraws_its_rule_and_the_numbers(demo):
    config, table = demo
    at = run_app()
    open_rules(at)
    at.selectbox(key="rule::selected").set_value("Active users").run()
    at.slider(key="rule::Active users::range").set_value((35.0, 60.0)).run()
    assert_clean(at)
    assert not at.title
    moved = config.with_rule("Active users", LinearRule(lo=35.0, hi=60.0))
    assert metric(at, "AUC") == f"{independent.auc(judged(table, moved)):.3f}"
    assert at.number_input(key="rule::Active users::lo").value == 35.0  # exact values redrawn
    # only the sliders' own fragment inside the rule editor reran: the factor and rule
    # pickers, the direction and the data's captions (unchanged by a threshold) were not sent
    assert not at.selectbox and not at.radio
    assert not any(c.value.startswith("From the data:") for c in at.caption)
    at.run()  # a full run shows the same rule everywhere in the editor
    assert at.selectbox(key="rule::selected").value == "Active users"
    assert at.slider(key="rule::Active users::range").value == (35.0, 60.0)
    assert at.number_input(key="rule::Active users::hi").value == 60.0
    assert f"`{moved.fingerprint()}` changed from baseline" in draft_status(at)


def test_a_refused_change_says_why(demo):
    """A callback that refuses a change still reruns the headline fragment, where the
    message shows."""
    at = run_app()
    at.slider(key="band::range").set_value((50.0, 50.0)).run()
    assert any("Red must end below where green starts" in e.value for e in at.error)
    assert "same as baseline" in draft_status(at)


def test_fragment_changes_survive_page_switch_and_reload(demo):
    at = run_app()
    move_weight(at, "NPS", 15)  # fragment rerun only
    at.run()  # AppTest's tree holds only the fragments that reran: bring back the band slider
    at.slider(key="band::range").set_value((35.0, 75.0)).run()
    assert not at.title
    draft_id = at.query_params["draft"]
    draft_id = draft_id[0] if isinstance(draft_id, list) else draft_id
    auc = metric(at, "AUC")
    at.switch_page("app_pages/data.py").run()
    at.switch_page("app_pages/calibrate.py").run()
    assert weight(at, "NPS") == 15
    assert at.slider(key="band::range").value == (35.0, 75.0)
    again = run_app(draft_id=draft_id)  # a reload: a new session on the same URL
    assert weight(again, "NPS") == 15
    assert again.slider(key="band::range").value == (35.0, 75.0)
    assert metric(again, "AUC") == auc


def test_a_step_resends_what_it_changed_and_not_the_static_parts(demo):
    """The headings, the chart's caption, the weights caption and the weight presets never
    change with a slider: they are drawn by a full run only, and a step re-sends the
    chart, the band table and (for a weight) the sliders without them."""
    config, table = demo

    def static_parts(at) -> dict[str, bool]:
        return {"headings": bool({"Renewed vs churned", "Churn by band"}
                                 & {s.value for s in at.header}),
                "presets": "Equal weights" in [b.label for b in at.button],
                "captions": any(c.value.startswith(("Each factor's share", "Good separation"))
                                for c in at.caption)}

    at = run_app()
    assert static_parts(at) == {"headings": True, "presets": True, "captions": True}
    for step in (lambda: move_weight(at, "Executive sponsor", 20),
                 lambda: at.slider(key="band::range").set_value((40.0, 60.0)).run()):
        step()
        assert_clean(at)
        assert static_parts(at) == {"headings": False, "presets": False, "captions": False}
        assert len(score_charts(at)) == 1 and len(
            [m for m in at.markdown if m.value.startswith("| Band |")]) == 1
        assert not at.get("vega_lite_chart")  # the chart is inline SVG: no Vega on Calibrate
        at.run()  # a full run draws them again (and every control for the next step)
        assert static_parts(at) == {"headings": True, "presets": True, "captions": True}
    moved = apply_flat_weights(config, {**round_to_total(flat_weights(config), digits=0),
                                        "Executive sponsor": 20.0, "Active users": 32.0,
                                        "Open tickets": 24.0, "CSM assessment": 24.0})
    raw = moved.model_dump()
    raw["bands"] = {"red_max": 40.0, "yellow_max": 60.0}
    now = judged(table, type(config).model_validate(raw))
    counts = now["band"].value_counts()
    assert list(markdown_table(at, "Band")["Accounts"]) == [f"{counts.get(b, 0):,}"
                                                            for b in (0, 1, 2)]
    # the chart shows the moved draft: each bin's tooltip counts the judged scores in it
    (chart,) = score_charts(at)
    svg = ET.fromstring(chart)[0]
    ns = "{http://www.w3.org/2000/svg}"
    edges = np.linspace(0, 100, 41)
    renewed, _ = np.histogram(now.loc[~now["churned"], "score"].dropna(), bins=edges)
    churned, _ = np.histogram(now.loc[now["churned"], "score"].dropna(), bins=edges)
    tips = [t.text for t in svg.iterfind(f".//{ns}g[@class='bin']/{ns}title")]
    assert [re.findall(r"(?:renewed|churned) ([\d,]+)", t) for t in tips] == [
        [f"{r:,}", f"{c:,}"] for r, c in zip(renewed, churned, strict=True)]
    assert [t.text for t in svg.iterfind(f".//{ns}g[@class='cut']/{ns}text")] == [
        "red ≤ 40", "green > 60"]


def test_a_step_resends_the_numbers_not_the_static_statistics_text(demo):
    """A weight step redraws the advanced statistics' cards (they follow the draft) but not
    the expander around them or the sentence under each card, which never change."""
    _, table = demo
    at = run_app()
    notes = [c.value for c in at.expander[0].get("caption")]
    assert at.expander[0].label == "Advanced statistics"
    assert len(notes) == 4 and notes[0].startswith("Chance that a renewed account")
    move_weight(at, "Executive sponsor", 20)
    assert_clean(at)
    wanted = at.session_state["workspace"].draft
    assert metric(at, "AUC") == f"{independent.auc(judged(table, wanted)):.3f}"
    assert not at.expander  # the expander and its static sentences were not re-sent
    assert not set(notes) & {c.value for c in at.caption}
    at.run()  # a full rerun draws them again, around the same numbers
    assert [c.value for c in at.expander[0].get("caption")] == notes
    assert metric(at, "AUC") == f"{independent.auc(judged(table, wanted)):.3f}"


def test_the_rule_editor_runs_only_while_its_tab_is_open(demo):
    """A new session draws the weights tab, not the rule editor behind 'Scoring rules';
    opening the tab draws it for the current draft."""
    at = run_app()
    assert weights(at)  # weights tab drawn
    assert not [w for w in (*at.selectbox, *at.slider, *at.radio)
                if (w.key or "").startswith("rule::")]
    assert not any(c.value.startswith("From the data:") for c in at.caption)
    move_weight(at, "Executive sponsor", 20)  # a step with the tab closed
    assert_clean(at)
    open_rules(at)
    assert at.selectbox(key="rule::selected").value == "Active users"
    assert any(c.value.startswith("From the data:") for c in at.caption)
    assert weight(at, "Executive sponsor") == 20  # the weights tab still runs
