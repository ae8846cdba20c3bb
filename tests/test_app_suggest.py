"""AppTest: the Suggest page shows calibration.objectives' and calibration.curves' numbers,
and what it applies is exactly what it previewed."""

from __future__ import annotations

import pytest

from calibration import curves, objectives
from calibration.accounts import load_accounts
from calibration.config import StepsRule, load_config
from calibration.outcomes import cs_numbers
from calibration.scoring import score_frame
from calibration.validation import judged_rows
from calibration.verdicts import format_value
from tests import independent
from tests.apptest_support import assert_clean, run_app, until_jobs_done
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


def test_ranking_suggestion_preview_equals_the_applied_draft_and_a_curve_is_accepted():
    at = until_jobs_done(run_app(page="suggest"))
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    judged = judged_rows(table, 90)
    scored = score_frame(table.frame, config)
    decisions = objectives.decision_scores(judged, scored)
    draft_now = cs_numbers(scored.result.band[judged.rows], judged.churned, judged.arr)
    # page defaults: red capacity and green minimum from the draft's own band sizes
    goal = objectives.Objective("ranking", red_max_share=int(draft_now["red_share"] * 100) / 100,
                                green_min_share=5 * int(draft_now["green_share"] * 20) / 100)
    suggestion = objectives.suggest_for(config, decisions, goal)
    shown = at.dataframe[0].value
    inside = shown[shown["Measured on"].str.contains("in sample")].set_index("Measure")
    column = "Suggestion: Ranking (AUC)"
    for key, label in (("surprise_churn_count", "surprise churn (accounts)"),
                       ("surprise_churn_arr", "surprise churn (ARR)"),
                       ("red_churned_arr_share", "churned ARR caught red"),
                       ("green_churn_rate", "green churn rate")):
        assert inside.loc[label, column] == format_value(key, suggestion.numbers[key])
        assert inside.loc[label, "Draft"] == format_value(key, draft_now[key])
    assert any("improvement is real" in s.value for s in at.success)

    at.button(key="sg::apply::ranking").click().run()
    until_jobs_done(at)  # the applied draft's own curves are fitted next
    applied = at.session_state["workspace"].draft
    # the draft keeps its own name, author and notes; everything that scores is the suggestion's
    assert applied == suggestion.config.with_details(name=applied.name, author=applied.author,
                                                     notes=applied.notes)
    bands = score_frame(table.frame, applied).result.band[judged.rows]
    after = cs_numbers(bands, judged.churned, judged.arr)
    assert after["surprise_churn_count"] == suggestion.numbers["surprise_churn_count"]
    assert after["red_accounts"] == suggestion.numbers["red_accounts"]
    # independently (pandas judged selection + scipy): the applied draft's surprise churn and
    # AUC are the numbers the page previewed
    judged_frame = independent.judged_accounts(table, applied)
    count, arr = independent.surprise_churn(judged_frame)
    assert format_value("surprise_churn_count", count) == inside.loc[
        "surprise churn (accounts)", column]
    assert format_value("surprise_churn_arr", arr) == inside.loc["surprise churn (ARR)", column]
    assert format_value("auc", independent.auc(judged_frame)) == inside.loc["AUC (ranking)",
                                                                            column]

    fit = curves.fit_curves(curves.factor_values(table.frame, applied, judged.rows),
                            judged.churned, current=curves.config_rules(applied))
    at.button(key="sg::curve::NPS").click().run()
    assert_clean(at)
    nps = next(f for f in at.session_state["workspace"].draft.factors if f.name == "NPS")
    assert isinstance(nps.rule, StepsRule)
    assert nps.rule == fit.curves["NPS"].rule
    assert nps.missing == "points" and nps.missing_points == fit.curves["NPS"].missing_points


def test_single_snapshot_data_is_checked_on_a_random_holdout(tmp_path):
    from tests.apptest_support import single_snapshot_workspace

    at = run_app(page="suggest", draft_id=single_snapshot_workspace(tmp_path, "suggestsnap01"))
    until_jobs_done(at)
    assert any("random holdout" in c.value for c in at.caption)
    assert not at.error


@pytest.mark.slow
def test_catch_churn_applied_on_suggest_is_judged_by_catch_churn_on_export():
    at = run_app(page="suggest")
    at.radio(key="sg::objective").set_value("catch_churn").run()
    assert_clean(at)
    at.toggle(key="sg::in_accounts").set_value(True).run()
    at.number_input(key="sg::capacity").set_value(400).run()
    until_jobs_done(at, seconds=1200)  # a catch-churn search is a bagged search: minutes
    assert any("= 13.3% of your 3,000 accounts" in c.value for c in at.caption)
    at.button(key="sg::apply::catch_churn").click().run()
    assert_clean(at)
    draft = at.session_state["workspace"].draft
    assert float(draft.bands.red_max).is_integer()
    at.switch_page("app_pages/export.py").run()
    until_jobs_done(at)
    assert at.selectbox(key="ex::objective").value == "catch_churn"
    verdicts = [m.value for m in [*at.success, *at.warning, *at.info, *at.error]]
    assert any("churned ARR caught red" in v for v in verdicts), verdicts


def test_suggestions_show_while_the_point_curves_are_still_fitted(monkeypatch):
    """Each part has its own progress bar, whose fragment reruns the page when *its* jobs
    are done: the suggestions' bar never waits for the curves."""
    import threading
    import time

    from calibration import headroom
    from ui import jobs

    jobs._jobs().jobs.clear()  # no finished curve job from an earlier test
    gate = threading.Event()
    real_check, real_wait = headroom.curve_check, jobs.wait_then_rerun
    bars: list[tuple[str, list[str]]] = []

    def slow_check(*args, **kwargs):
        assert gate.wait(60)
        return real_check(*args, **kwargs)

    def recorded(running, key):
        watched = running if isinstance(running, list) else [running]
        bars.append((key, [job.key[0] for job in watched]))
        return real_wait(running, key)

    monkeypatch.setattr(headroom, "curve_check", slow_check)
    monkeypatch.setattr(jobs, "wait_then_rerun", recorded)
    try:
        at = run_app(page="suggest")
        deadline = time.monotonic() + 300
        while not at.dataframe:  # the suggestion job finishes; the page reruns with it
            assert time.monotonic() < deadline
            time.sleep(0.5)
            at.run()
        assert "Suggestion: Ranking (AUC)" in at.dataframe[0].value.columns
        assert at.get("progress")  # the curves' bar is still there
        assert any("point curves are being fitted" in i.value for i in at.info)
        assert bars and all(kinds == ["curves"] for key, kinds in bars if key == "curves-job")
        assert all(kinds and set(kinds) == {"suggest"} for key, kinds in bars
                   if key == "suggest-jobs")
        assert {key for key, _ in bars} <= {"suggest-jobs", "curves-job"}
        assert bars[-1] == ("curves-job", ["curves"])
    finally:
        gate.set()
    until_jobs_done(at)
    assert not any("point curves are being fitted" in i.value for i in at.info)
    assert any(b.key == "sg::curves::all" for b in at.button)
