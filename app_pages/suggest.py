"""Suggest: weights, bands and point curves fitted for what the CS team wants, judged in CS
terms on renewals they were not fitted on, beside the best models this data allows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from calibration import charts, curves, fitting, formatting, headroom, objectives
from calibration.cs_metrics import METRIC_LABELS
from calibration.outcomes import cs_numbers
from calibration.verdicts import format_value
from calibration.weights import flat_weights, round_to_total
from ui import jobs, state
from ui.text import md_escape

ws, table = state.workspace_and_table()

st.title("Suggest")
st.caption("Tell the app what the score should do for your team; it proposes weights and band "
           "cut-offs together, and point curves per factor. Every suggestion is judged on "
           "renewals it was **not** fitted on (a time split: fit on older renewals, test on "
           "the latest), in CS numbers first, with a verdict that names anything that got "
           "worse.")

draft = state.evaluate(ws, ws.draft, table)
base = state.evaluate(ws, ws.baseline, table)
judged = draft.judged
rows = judged.rows
churned = judged.churned
# the judged rows only (row i = decision i), cached per scoring rules: never every snapshot
decisions = objectives.decision_scores_of_rows(judged, *state.judged_points(draft))
draft_band, base_band = draft.judged_result.band, base.judged_result.band
names = ws.draft.factor_names
data_key = (state.data_key(ws), ws.draft.cache_key(), ws.horizon_days)

MIN_CHURNED_TO_FIT = 10
READY_WAIT_SECONDS = 0.5  # small data sets are fitted by then: no progress bar, no rerun
if churned.sum() < MIN_CHURNED_TO_FIT or churned.all():
    st.warning(f"Only {int(churned.sum())} churned renewal decisions are judged: too few to "
               "fit anything. Load more history or shorten the horizon in the sidebar.")
    st.stop()

# --------------------------------------------------------------------------- objective
st.header("1. What should the score do?")
draft_now = cs_numbers(draft_band, churned, judged.arr)
kind = st.radio("Goal", objectives.OBJECTIVES, horizontal=True, key="sg::objective",
                format_func=objectives.OBJECTIVE_LABELS.get,
                help="Ranking: churned accounts score below renewed ones (AUC). Catch churn: "
                     "as much churned ARR as possible is red, with red no bigger than your "
                     "team can work. No surprises: as little churned ARR as possible is "
                     "green, with green still a real share of the book.")
cols = st.columns(4)
n_book = judged.n_accounts


def _pct_default(value: float | None, lo: int, hi: int, step: int = 1) -> int:
    value = 0.0 if value is None else value * 100
    return int(min(max(step * math.floor(value / step), lo), hi))


if cols[0].toggle("Capacity in accounts", key="sg::in_accounts",
                  help="Give the team's capacity as a number of red accounts instead of a "
                       "share of the book."):
    low, high = max(1, math.ceil(0.05 * n_book)), max(1, n_book // 2)
    capacity = cols[0].number_input(
        "Red accounts the team can work", low, high,
        min(max(round(draft_now["red_share"] * n_book), low), high), key="sg::capacity")
    red_pct = 100 * capacity / n_book
    cols[0].caption(f"= {red_pct:.1f}% of your {n_book:,} accounts")
else:
    red_pct = cols[0].slider("Red at most (team capacity)", 5, 50,
                             _pct_default(draft_now["red_share"], 5, 50), 1, format="%d%%",
                             key="sg::red_max",
                             help="The share of accounts your CSMs can actually work as red.")
    cols[0].caption(f"≈ {round(red_pct / 100 * n_book):,} of your {n_book:,} accounts")
green_pct = cols[1].slider("Green at least", 10, 85,
                           _pct_default(draft_now["green_share"], 10, 85, 5), 5,
                           format="%d%%", key="sg::green_min",
                           help="A score that calls everything yellow helps nobody.")
min_band = cols[2].slider("Every band at least", 1, 20, 5, 1, format="%d%%",
                          key="sg::min_band")
by_arr = cols[3].radio("Count churn in", ["ARR", "accounts"], key="sg::unit",
                       disabled=not decisions.has_arr) == "ARR" and decisions.has_arr
try:
    goal = objectives.Objective(kind, red_max_share=red_pct / 100,
                                green_min_share=green_pct / 100,
                                min_band_share=min_band / 100, by_arr=by_arr)
except ValueError as error:
    st.error(f"These band rules cannot all hold: {error}")
    st.stop()
st.caption(f"Goal: {goal.describe()}. Within these rules red fills your capacity and green is "
           "as small as allowed; the weights decide *which* accounts land there. Cut-offs "
           "are whole numbers and yellow is at least 5 points wide.")


def _suggest(objective: objectives.Objective, decisions_, config):
    """Suggestion on every decision + the same fitted on the older ones, judged later (a
    background job: must not draw anything)."""

    def work(progress) -> dict[str, Any]:
        suggestion = objectives.suggest_for(config, decisions_, objective,
                                            progress=lambda share: progress(0.5 * share))
        try:
            check: Any = objectives.check_out_of_sample(
                config, decisions_, objective,
                progress=lambda share: progress(0.5 + 0.5 * share))
        except ValueError as error:
            check = str(error)
        return {"suggestion": suggestion, "check": check}

    return work


wanted = [goal] if kind == "ranking" else [goal, objectives.for_objective(goal, kind="ranking")]
# Fitted in background jobs shared by every session, one per (data, draft, horizon, goal):
# the page shows at once and reruns with the candidates when they are ready.
suggest_jobs = {g.kind: jobs.start(("suggest", *data_key, g),
                                   f"Fitting weights and bands for "
                                   f"{objectives.OBJECTIVE_LABELS[g.kind]}, then checking them "
                                   "on the latest renewals",
                                   _suggest(g, decisions, ws.draft), keep=12)
                for g in wanted}
values = curves.factor_values(table.frame, ws.draft, rows)
train, test, split_label = objectives.holdout(decisions)
has_split = decisions.dates is not None


def _curves(values_, churned_, points, score, config, train_, test_):
    def work(progress) -> dict[str, Any]:
        fit = curves.fit_curves(values_, churned_, current=curves.config_rules(config),
                                progress=lambda share: progress(share / 7))
        # the check refits the curves on 5 folds and the time split: 6 more fits
        check_ = headroom.curve_check(values_, points, churned_, score, config, train_, test_,
                                      progress=lambda share: progress((1 + 6 * share) / 7))
        return {"fit": fit, "check": check_}

    return work


curves_job = jobs.start(("curves", *data_key), "Fitting point curves and checking them on "
                        "held-out renewals",
                        _curves(values, churned, draft.judged_matrix.points,
                                draft.judged_result.score, ws.draft,
                                train if has_split else None, test if has_split else None),
                        keep=6)
# a changed draft, goal or data: this session's older jobs stop unless another session waits
jobs.release(("suggest", "curves"), [*suggest_jobs.values(), curves_job])
pending = jobs.pending([*suggest_jobs.values(), curves_job], READY_WAIT_SECONDS)
# one progress bar per part, each rerunning the page when its own jobs are done: the
# suggestions show as soon as they are fitted, whatever the point curves still need
if fitting_now := [job for job in suggest_jobs.values() if job in pending]:
    jobs.wait_then_rerun(fitting_now, key="suggest-jobs")
results = {g: job.value() for g, job in suggest_jobs.items() if job.done()}

# --------------------------------------------------------------------------- candidates
st.header("2. Candidates in CS numbers")
ROWS = ["red_churned_arr_share", "red_churned_share", "surprise_churn_count",
        "surprise_churn_arr", "green_churn_rate", "red_churn_rate", "red_share",
        "yellow_share", "green_share", "changed_band", "auc"]
LABELS = {**METRIC_LABELS, "changed_band": "accounts changing band (vs draft)"}
if not decisions.has_arr:
    ROWS = [r for r in ROWS if not r.endswith("arr") and r != "red_churned_arr_share"]


def _column(band_all: np.ndarray, score_all: np.ndarray, fitted: dict | None) -> dict:
    """In-sample (all decisions) and out-of-sample (test decisions) values of one
    candidate; ``fitted``: the numbers of a suggestion refitted on the older decisions."""
    arr = judged.arr if decisions.has_arr else None
    inside = cs_numbers(band_all, churned, arr, draft_band)
    inside["auc"] = fitting.points._auc(score_all, churned)
    if fitted is not None:
        outside = fitted
    else:
        outside = cs_numbers(band_all[test], churned[test], None if arr is None else arr[test],
                             draft_band[test])
        outside["auc"] = fitting.points._auc(score_all[test], churned[test])
    return {"in": inside, "out": outside}


def show_candidates() -> None:
    """The candidates table, verdicts, weights and Apply buttons (suggestions ready)."""
    columns = {"Baseline": _column(base_band, base.judged_result.score, None),
               "Draft": _column(draft_band, draft.judged_result.score, None)}
    verdicts = {}
    for g in wanted:
        outcome = results[g.kind]
        suggestion, check = outcome["suggestion"], outcome["check"]
        label = f"Suggestion: {objectives.OBJECTIVE_LABELS[g.kind]}"
        if not suggestion.feasible:
            st.error(f"{label}: no cut-offs meet the band rules. "
                     + " ".join(suggestion.flags))
            continue
        preview = decisions.score(suggestion.config)  # the scorer itself: equals the result
        fitted = None
        if isinstance(check, objectives.OutOfSample):
            fitted = dict(check.numbers, auc=check.metrics["auc"]["draft"])
            verdicts[label] = check
        columns[label] = _column(preview.band, preview.score, fitted)

    table_rows = []
    for period, title in (("in", "all judged renewals (in sample)"),
                          ("out", "latest renewals (out of sample)")):
        for key in ROWS:
            row = {"Measured on": title, "Measure": LABELS.get(key, key)}
            for name, values in columns.items():
                value = values[period].get(key)
                row[name] = (f"{value:,}" if key == "changed_band" and value is not None
                             else format_value(key, value))
            table_rows.append(row)
    st.dataframe(pd.DataFrame(table_rows), hide_index=True, width="stretch", height=520)
    st.caption(f"Out of sample = {split_label}: suggestions are refitted on the older renewals "
               "only, so these columns show what they would have done on renewals they never "
               "saw. The preview comes from the scorer itself (guardrails and segment bands "
               "included): after Apply the draft shows exactly the in-sample numbers.")

    for label, check in verdicts.items():
        text = (f"**{label}**, {check.label} ({check.n_test:,} renewals, "
                f"{check.n_test_churned:,} churned): {check.verdict.text}.")
        show = {"improvement is real": st.success, "trade-off": st.warning,
                "worse": st.error}.get(check.verdict.label, st.info)
        show(text)
        for warning in check.warnings:
            st.warning(f"{label}: {warning}")
    for g in wanted:
        outcome = results[g.kind]
        if isinstance(outcome["check"], str):
            st.info(f"{objectives.OBJECTIVE_LABELS[g.kind]}: no out-of-sample check "
                    f"({outcome['check']}).")
        for flag in outcome["suggestion"].flags:
            st.warning(f"{objectives.OBJECTIVE_LABELS[g.kind]} bands: {flag}")

    with st.expander("Weights and cut-offs of each suggestion"):
        current = round_to_total(flat_weights(ws.draft), digits=1)
        weights = pd.DataFrame({"Factor": names, "Draft %": [current[n] for n in names]})
        cut_rows = [{"Candidate": "Draft", "Red up to": ws.draft.bands.red_max,
                     "Green above": ws.draft.bands.yellow_max}]
        for g in wanted:
            s = results[g.kind]["suggestion"]
            label = objectives.OBJECTIVE_LABELS[g.kind]
            weights[f"{label} %"] = [round(s.weights[n], 1) for n in names]
            cut_rows.append({"Candidate": label, "Red up to": s.red_max,
                             "Green above": s.yellow_max})
            for note in s.notes:
                st.caption(f"{label}: {note}")
        st.dataframe(weights, hide_index=True, width="stretch")
        st.dataframe(pd.DataFrame(cut_rows), hide_index=True, width="stretch")


    def _apply(kind_: str) -> None:
        ws.set_draft(results[kind_]["suggestion"].config, reset_widgets=True)
        st.session_state["sg::applied"] = objectives.OBJECTIVE_LABELS[kind_]
        st.session_state["goal::applied"] = kind_  # Export judges the draft by this goal


    buttons = st.columns(len(wanted))
    for column, g in zip(buttons, wanted, strict=True):
        s = results[g.kind]["suggestion"]
        column.button(f"Apply the {objectives.OBJECTIVE_LABELS[g.kind]} weights and bands "
                      f"(red ≤ {s.red_max}, green > {s.yellow_max})", on_click=_apply,
                      args=(g.kind,), disabled=not s.feasible, key=f"sg::apply::{g.kind}",
                      type="primary" if g.kind == kind else "secondary")
    if applied := st.session_state.pop("sg::applied", None):
        st.success(f"Applied the {applied} suggestion: the draft now shows the in-sample numbers "
                   "above. Judge it against the baseline on **Export**.")


if len(results) == len(wanted):
    show_candidates()
else:
    st.info("The suggestions are being fitted (progress above); they appear here "
            "when ready.")


# --------------------------------------------------------------------------- curves
st.header("3. Fitted point curves")
st.caption("Weights cannot bend a factor's curve. Here each factor's points are fitted on "
           "renewal outcomes together with all the weights (a binned logistic regression with "
           "points that only rise or only fall, unless the data clearly peaks): at most 6 "
           "steps, each holding at least 5% of accounts; small categories pooled.")
def show_curves(outcome: dict[str, Any]) -> None:
    """Fitted curves, their out-of-sample check and the Use buttons."""
    fit, check = outcome["fit"], outcome["check"]
    split = check.get("split")
    summary = (f"{check['folds']}-fold cross-validation AUC: fitted curves "
               f"{check['kfold']['fitted_curves']:.3f} vs your draft {check['kfold']['draft']:.3f}")
    if split:
        lo, hi = split["ci"] or (math.nan, math.nan)
        summary += (f"; time split: {split['auc']['fitted_curves']:.3f} vs "
                    f"{split['auc']['draft']:.3f} (gain {split['diff']:+.3f}, 95% CI {lo:+.3f} to "
                    f"{hi:+.3f}); weights alone reach {split['auc']['weights_only']:.3f}")
    (st.success if check["offer"] else st.warning)(
        summary + (". The curves rank renewals better than the draft on renewals they never saw."
                   if check["offer"] else ". Not clearly better than your draft out of sample: "
                   "accept a curve only where it matches what you know."))
    for note in fit.notes:
        st.caption(md_escape(note))
    factors = {f.name: f for f in ws.draft.factors}
    for name, curve in fit.curves.items():
        if curve.rule is None:
            continue
        with st.expander(f"{md_escape(name)}: {curve.shape} curve, weight {curve.weight:.1f}% "
                         f"(now {round_to_total(flat_weights(ws.draft), digits=1)[name]:.1f}%)"):
            left, right = st.columns([3, 2])
            left.altair_chart(charts.curve_chart(curves.chart_data(curve, factors[name],
                                                                   values[name][1]),
                                                 numeric=curve.kind == "numeric"),
                              width="stretch")
            right.dataframe(curve.table.drop(columns=["factor", "from"]).rename(columns={
                "bin": "Values", "points": "Points", "accounts": "Accounts",
                "churn_rate": "Churn rate"}), hide_index=True, width="stretch",
                column_config={"Churn rate": st.column_config.NumberColumn(format="percent")})
            if curve.missing_points is not None:
                right.caption(f"A missing value would score {curve.missing_points:g} points "
                              "instead of being skipped.")
            right.button(f"Use this curve for {md_escape(name)}", key=f"sg::curve::{name}",
                         on_click=lambda n=name: ws.set_draft(fit.apply_to(ws.draft, [n]),
                                                              reset_widgets=True))
    st.button("Use every fitted curve with its weights", key="sg::curves::all",
              on_click=lambda: ws.set_draft(fit.apply_to(ws.draft), reset_widgets=True),
              type="primary" if check["offer"] else "secondary")


if curves_job.done():
    show_curves(curves_job.value())
else:
    jobs.wait_then_rerun(curves_job, key="curves-job")
    st.info("The point curves are being fitted and checked on held-out renewals; they "
            "appear here when ready.")


# --------------------------------------------------------------------------- headroom
st.header("4. Headroom: keep tuning or find new data?")
st.caption("Your draft beside the best additive points table and a gradient-boosting model "
           "(free to combine factors), all cross-validated on the same folds.")


@st.cache_resource(max_entries=4, show_spinner="Cross-validating the reference models "
                   "(about a minute)...")
def _headroom(key: tuple, _values, _points, _churned, _score, _config) -> dict[str, Any]:
    return headroom.headroom(_values, _points, _churned, _score, _config)


if st.toggle("Measure headroom", key="sg::headroom"):
    room = _headroom(data_key, values, draft.judged_matrix.points, churned,
                     draft.judged_result.score, ws.draft)
    st.info(room["sentence"][0].upper() + room["sentence"][1:] + ".")
    st.dataframe(pd.DataFrame([{"Model": headroom.MODEL_LABELS[m],
                                "Cross-validated AUC": room["auc"][m]}
                               for m in headroom.MODELS]), hide_index=True, width="stretch",
                 column_config={"Cross-validated AUC": st.column_config.NumberColumn(
                     format="%.3f")})

# --------------------------------------------------------------------------- stability
def show_stability() -> None:
    """Each weight nudged by 5 points: rank correlation and band changes."""
    st.caption("Each weight nudged by ±5 points: how much the ranking of accounts moves "
               "(rank correlation, 1.0 = unchanged) and how many accounts change band. Big "
               "movers deserve debate; the rest is noise.")
    stability = fitting.weight_stability(draft.judged_matrix.points, names,
                                         round_to_total(flat_weights(ws.draft), digits=1),
                                         nudge=5, bands=(ws.draft.bands.red_max,
                                                         ws.draft.bands.yellow_max),
                                         groups=ws.draft)
    nudged = "5 pts"
    st.dataframe(pd.DataFrame({
        "Factor": stability["factor"],
        "Weight": stability["weight"].map(lambda w: f"{w:.1f}%"),
        f"Accounts changing band, weight +{nudged}": stability["band_changed_up"].map(
            formatting.percent),
        f"Accounts changing band, weight −{nudged}": stability["band_changed_down"].map(
            formatting.percent),
        f"Ranking kept, weight +{nudged}": stability["spearman_up"].map(formatting.decimal),
        f"Ranking kept, weight −{nudged}": stability["spearman_down"].map(formatting.decimal),
    }), hide_index=True, width="stretch")


# Only an open expander runs (on_change="rerun"): nudging every weight rescores the judged
# rows 2K times, work a first visit should not pay for.
stability_box = st.expander("Which weights actually matter? (stability)", key="sg::stability",
                            on_change="rerun")
with stability_box:
    if stability_box.open:
        show_stability()
