"""Suggest: data-driven weights and band cut-offs, judged out of sample before you apply them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from calibration import fitting
from calibration.config import config_from_dict
from calibration.weights import apply_flat_weights, flat_weights, round_to_total
from ui import state

ws, table = state.workspace_and_table()

st.title("Suggest")
st.caption("Let the data propose weights and band cut-offs. Every suggestion is checked on "
           "accounts it was **not** fitted on (k-fold cross-validation and a time split: fit "
           "on older renewals, test on the latest) so you do not overfit last quarter.")

draft = state.evaluate(ws, ws.draft, table)
rows = draft.rows
points = draft.matrix.points[rows]
churned = draft.judged.churned  # outcomes of the renewal decisions, never the judged rows
names = ws.draft.factor_names
current = round_to_total(flat_weights(ws.draft), digits=1)

MIN_CHURNED_TO_FIT = 10
if churned.sum() < MIN_CHURNED_TO_FIT:
    st.warning(f"Only {int(churned.sum())} churned accounts are judged: too few to fit "
               "weights. Load more history or shorten the horizon in the sidebar.")
    st.stop()


@st.cache_resource(max_entries=16, show_spinner="Fitting and checking out of sample...")
def run_suggestion(key: tuple, method: str, options: dict[str, Any], test_months: int,
                   _points: np.ndarray, _churned: np.ndarray, _dates: np.ndarray,
                   _baseline_scores: np.ndarray, _judge_dates: np.ndarray | None = None
                   ) -> dict[str, Any]:
    """Suggestion + 5-fold CV + time split (cached per data, draft, horizon and options)."""
    suggestion = fitting.suggest(_points, _churned, names, method=method, groups=ws.draft,
                                 **options)
    cv = fitting.cross_validate(_points, _churned, method, k=5, names=names,
                                baseline=current, groups=ws.draft, **options)
    split: dict[str, Any]
    if table.cross_sectional or np.isnat(_dates).all():
        split = {"reason": "single-snapshot data has no renewal dates: no time split"}
    else:
        try:
            split = fitting.time_split(_points, _churned, _dates, method=method,
                                       test_months=test_months, names=names,
                                       judge_dates=_judge_dates,
                                       baseline=_baseline_scores, groups=ws.draft, **options)
        except ValueError as error:
            split = {"reason": str(error)}
    return {"suggestion": suggestion, "cv": cv, "split": split}


# --------------------------------------------------------------------------- weights
METHODS = {"auc": "AUC search", "logit": "Logistic regression"}
st.subheader("Suggested weights")
st.caption("**AUC search** finds the weights that best rank renewed above churned accounts. "
           "**Logistic regression** turns each factor's churn coefficient into a weight. Both "
           "are shown beside the current draft; apply the one you trust.")
left, middle, right = st.columns(3)
test_months = left.selectbox("Time split: test on renewals of the last", [3, 6, 9, 12],
                             index=[3, 6, 9, 12].index(fitting.DEFAULT_TEST_MONTHS),
                             format_func=lambda m: f"{m} months", key="sg::months")
locked = middle.multiselect("AUC search: keep these weights as they are", names,
                            key="sg::locked")
l2 = right.slider("Logistic regression: regularisation", 0.0, 1.0, 0.0, 0.05, key="sg::l2",
                  help="Shrinks the weights of weak factors towards zero.")
method_options: dict[str, dict[str, Any]] = {
    "auc": {"locked": {n: current[n] for n in locked}} if locked else {},
    "logit": {"l2": l2},
}
key = (ws.source_path, ws.draft.fingerprint(), ws.horizon_days)
outcomes: dict[str, dict[str, Any]] = {}
for method, label in METHODS.items():
    try:
        outcomes[method] = run_suggestion(key, method, method_options[method], test_months,
                                          points, churned, draft.judged.renewal_date,
                                          draft.result.score[rows], draft.judged.judge_date)
    except ValueError as error:
        st.error(f"{label}: no suggestion ({error})")
if not outcomes:
    st.stop()

weights = pd.DataFrame({"Factor": names, "Draft %": [current[n] for n in names]})
for method, outcome in outcomes.items():
    suggested = outcome["suggestion"].weights
    weights[f"{METHODS[method]} %"] = [round(suggested.get(n, 0.0), 1) for n in names]
st.dataframe(weights.sort_values(weights.columns[2], ascending=False), hide_index=True,
             width="stretch")

st.markdown("**Is it really better?** In-sample numbers flatter any fit; trust the "
            "out-of-sample ones.")
checks = pd.DataFrame({"Check": ["In sample (all judged accounts)",
                                 "5-fold cross-validation (held-out folds)",
                                 f"Time split (latest {test_months} months)"]})
first = next(iter(outcomes.values()))
checks["Draft AUC"] = [draft.metrics["auc"]["value"], first["cv"].get("baseline_auc"),
                       first["split"].get("baseline_test_auc")]
for method, outcome in outcomes.items():
    checks[f"{METHODS[method]} AUC"] = [outcome["suggestion"].auc,
                                        outcome["cv"].get("out_of_sample_auc"),
                                        outcome["split"].get("test_auc")]
st.dataframe(checks, hide_index=True, width="stretch", column_config={
    c: st.column_config.NumberColumn(format="%.3f") for c in checks.columns[1:]})
for method, outcome in outcomes.items():
    split = outcome["split"]
    if split.get("test_auc") is None:
        st.info(f"{METHODS[method]}: time split not available ({split.get('reason')}).")
    else:
        text = (f"**{METHODS[method]}**, time split: tested on the {split['n_test']:,} "
                f"renewals from {split['test_from']} ({split['n_test_churned']:,} churned), "
                f"fitted on the {split['n_train']:,} renewals decided before "
                f"{split.get('train_before', split['test_from'])}, the first test judge date "
                f"(a purge gap: no fitting renewal happened after a test account was judged; "
                f"{split.get('n_purged', 0):,} renewals in the gap left out): "
                f"{split['verdict']}.")
        (st.success if split.get("real") else st.warning)(text)
    for warning in [*outcome["cv"].get("warnings", []), *split.get("warnings", [])]:
        st.warning(f"{METHODS[method]}: {warning}")
with st.expander("How each suggestion was fitted"):
    for method, outcome in outcomes.items():
        for note in outcome["suggestion"].notes:
            st.caption(f"{METHODS[method]}: {note}")


def apply_weights(method: str) -> None:
    ws.set_draft(apply_flat_weights(ws.draft, outcomes[method]["suggestion"].weights),
                 reset_widgets=True)
    st.session_state["sg::applied"] = METHODS[method]


buttons = st.columns(len(outcomes))
for column, method in zip(buttons, outcomes, strict=True):
    column.button(f"Apply {METHODS[method]} weights to the draft", on_click=apply_weights,
                  args=(method,), type="primary" if method == "auc" else "secondary",
                  key=f"sg::apply::{method}")
if applied := st.session_state.pop("sg::applied", None):
    st.success(f"Applied the {applied} weights. Check the bands below: new weights often "
               "shift the whole score.")

# --------------------------------------------------------------------------- bands
st.subheader("Suggested band cut-offs")
st.caption("Pick what red should mean for your team; yellow/green follow from the churn you "
           "accept in green.")
target = st.radio("Red should hold", ["risk", "capture", "capacity"], horizontal=True,
                  key="sg::target", format_func={
                      "risk": "accounts above a churn risk",
                      "capture": "a share of churned ARR",
                      "capacity": "what the team can work"}.get)
cols = st.columns(3)
band_options: dict[str, Any] = {}
if target == "risk":
    band_options["red_risk"] = cols[0].slider("Churn risk at least", 5, 80, 30, 5,
                                              format="%d%%", key="sg::risk") / 100
elif target == "capture":
    band_options["red_capture"] = cols[0].slider("Share of churned ARR in red", 10, 90, 50,
                                                  5, format="%d%%", key="sg::capture") / 100
    band_options["red_max_accounts"] = cols[1].slider(
        "...while red holds at most", 5, 60, 25, 5, format="%d%% of accounts",
        key="sg::capture_max") / 100
else:
    csms = cols[0].number_input("CSMs", 1, 500, 5, key="sg::csms")
    each = cols[1].number_input("Red accounts each can work per quarter", 1, 500, 20,
                                key="sg::each")
    band_options["capacity"] = int(csms * each)
band_options["green_max_churn"] = cols[2].slider(
    "Churn accepted in green at most", 1, 30, 8, 1, format="%d%%", key="sg::green") / 100
bands = fitting.suggest_bands(draft.result.score[rows], churned, draft.judged.arr,
                              current=(ws.draft.bands.red_max, ws.draft.bands.yellow_max),
                              **band_options)
for message in bands.messages:
    st.caption(message)
achieved = pd.DataFrame([
    {"Band": name.capitalize(), "Accounts": info["accounts"],
     "Share of accounts": info["share_of_accounts"], "Churn rate": info["churn_rate"],
     "Share of churned ARR": info["share_of_churned_arr"]}
    for name in ("red", "yellow", "green") if (info := bands.achieved.get(name))])
st.dataframe(achieved, hide_index=True, width="stretch", column_config={
    c: st.column_config.NumberColumn(format="percent") for c in (
        "Share of accounts", "Churn rate", "Share of churned ARR")})
for warning in bands.achieved.get("warnings", []):
    st.warning(warning)


def apply_bands() -> None:
    raw = ws.draft.model_dump()
    raw["bands"] = {"red_max": bands.red_max if bands.red_max is not None else
                    ws.draft.bands.red_max,
                    "yellow_max": bands.yellow_max if bands.yellow_max is not None else
                    ws.draft.bands.yellow_max}
    ws.set_draft(config_from_dict(raw), reset_widgets=True)


usable = bands.red_max is not None and (bands.yellow_max or ws.draft.bands.yellow_max) > (
    bands.red_max)
st.button(f"Apply bands: red ≤ {bands.red_max if bands.red_max is not None else '—'}, green > "
          f"{bands.yellow_max if bands.yellow_max is not None else ws.draft.bands.yellow_max}",
          on_click=apply_bands, disabled=not usable)
for warning in fitting.band_warnings(draft.result.band[rows], churned):
    st.warning(f"Current draft bands: {warning}")

# --------------------------------------------------------------------------- stability
with st.expander("Which weights actually matter? (stability)"):
    st.caption("Each weight nudged by ±5 points: how much the ranking of accounts moves "
               "(rank correlation, 1.0 = unchanged) and how many accounts change band. Big "
               "movers deserve debate; the rest is noise.")
    stability = fitting.weight_stability(points, names, current, nudge=5,
                                         bands=(ws.draft.bands.red_max,
                                                ws.draft.bands.yellow_max), groups=ws.draft)
    st.dataframe(stability, hide_index=True, width="stretch")
