"""Accounts: renewed vs churned factor by factor, the accounts the score missed and what they
share, and one account's score explained."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from calibration import charts, explain, formatting, history, outcomes
from calibration.config import BooleanRule, MappingRule
from calibration.glossary import help_text
from calibration.report import explain_account
from calibration.scoring import band_names
from calibration.weights import flat_weights
from ui import account_lists, components, layout, reference_tags, state
from ui.text import md_escape

ws, table = state.workspace_and_table()

config = ws.draft
draft = state.evaluate(ws, config, table)
rows = draft.rows  # per judged decision, its snapshot row (scores: draft.judged_result)
frame = table.frame
judged_frame = draft.view.frame
judged = draft.judged  # one entry per renewal decision: outcome, renewal date, ARR
churned = judged.churned
band = draft.judged_result.band
name_column = table.roles.account_name if table.roles.account_name in frame.columns else None
segment_column = table.roles.segment if table.roles.segment in frame.columns else None
weights = flat_weights(config)

st.title("Accounts")
st.caption(f"Scored with the draft (**{md_escape(config.name)}**). "
           f"{draft.judged.describe()}")


# Only the open tab runs (on_change="rerun"): a tab's work is done when it is looked at, so
# the page's first visit costs the first tab only (One account and Falling scores need
# history; Factor by factor draws a chart per factor).
tab_missed, tab_one, tab_factors, tab_reference, tab_falling = st.tabs([
    "Accounts the score missed", "One account, explained", "Factor by factor",
    "Reference accounts", "Falling scores"], key="acct::tab", on_change="rerun")
groups = explain.misscored_groups(band, churned)

def factors_tab() -> None:
    """Renewed vs churned, factor by factor (judged decisions)."""
    # --------------------------------------------------------------------------- side by side
    st.header("Renewed vs churned, factor by factor")
    st.caption("Each factor on the judged accounts. Numbers: renewed accounts above the axis, "
               "churned below; yes/no factors: the share with *yes* in each group; categories: "
               "each group's share per category. A factor with signal looks different for "
               "the two groups.")
    weighted = [n for n in config.factor_names if weights.get(n, 0) > 0]
    picked = st.multiselect("Factors", config.factor_names, default=weighted,
                            key="acct::factors",
                            help="Factors in the score are picked by default; add others to see "
                                 "whether they would help.")
    by_name = {f.name: (k, f) for k, f in enumerate(config.factors)}
    grid = layout.panes(2, key="acct-factors", gap="medium")
    for i, name in enumerate(picked):
        k, factor = by_name[name]
        if isinstance(factor.rule, MappingRule):
            values, title, kind = judged_frame[factor.column].to_numpy(), factor.name, "category"
        else:
            values, title = explain.chart_values(judged_frame[factor.column], factor,
                                                 draft.judged_matrix.points[:, k])
            kind = "boolean" if isinstance(factor.rule, BooleanRule) else "number"
            title = factor.name if kind == "boolean" else title
        with grid[i % 2]:
            st.markdown(f"**{md_escape(factor.name)}**")
            st.altair_chart(charts.factor_comparison_chart(values, churned, title, kind),
                            width="stretch")

def reference_tab() -> None:
    """Agreement of the bands with the known (tagged or labelled) accounts."""
    st.subheader("Reference accounts", help=help_text("reference"))
    reference = draft.metrics["reference"]
    if reference.get("confusion") is None or not reference.get("n_labelled"):
        st.info(f"No reference accounts to check: {reference.get('reason')}. Tag accounts "
                "as known healthy or known struggling on the *One account, explained* tab, "
                "or map a reference label column (known_healthy / known_struggling) on the "
                "Data page.")
    else:
        left, right = st.columns([0.4, 0.6])
        with left:
            agreement = components.value(reference)
            st.metric(outcomes.REFERENCE_LABEL, formatting.percent(agreement),
                      help=help_text("reference"))
            st.caption(f"{reference['healthy_red']:,} known-healthy accounts are red and "
                       f"{reference['struggling_green']:,} known-struggling accounts are green.")
        with right:
            confusion = pd.DataFrame(reference["confusion"]).T[["red", "yellow", "green"]]
            confusion.index = ["Known healthy", "Known struggling"]
            confusion.columns = ["Red", "Yellow", "Green"]
            st.dataframe(confusion, width="stretch")
        labels = draft.reference  # the data's labels with the team's tags over them
        wrong = ((labels == "known_healthy") & (band == 0)) | (
            (labels == "known_struggling") & (band == 2))
        if wrong.any():
            with st.expander(f"The {int(wrong.sum()):,} reference accounts in the opposite band"):
                account_lists.show(draft, account_lists.in_list_order(draft, wrong), "reference",
                                   "reference accounts in the opposite band", name_column,
                                   segment_column)

def missed_tab() -> None:
    """Surprise churn and false alarms, and what they have in common."""
    # --------------------------------------------------------------------------- misses
    st.header("Accounts the score missed")
    surprise, alarms = draft.metrics["surprise_churn"], draft.metrics["false_alarms"]
    tab_surprise, tab_alarms = st.tabs([f"Surprise churn ({surprise['count']:,})",
                                        f"False alarms ({alarms['count']:,})"])
    MISSES = [
        (tab_surprise, "surprise_churn", "Surprise churn (accounts)", "Surprise churn (ARR)",
         "churned while green"),
        (tab_alarms, "false_alarms", "False alarms (accounts)", "False alarm ARR",
         "renewed while red"),
    ]
    LISTED = {"surprise_churn": "surprise churns", "false_alarms": "false alarms"}
    misses = account_lists.misses(draft)  # cached per config: masks, list order, traits
    for tab, key, count_label, arr_label, what in MISSES:
        group = misses[key]
        with tab:
            a, b = st.columns(2)
            a.metric(count_label, f"{draft.metrics[key]['count']:,}", help=help_text(key))
            arr_total = draft.metrics[key]["arr"]
            b.metric(arr_label, formatting.money(arr_total),
                     help=f"The ARR of the accounts that {what}.")
            if not group["mask"].any():
                st.success(f"No judged account {what}.")
                continue
            account_lists.show(draft, group["order"], key, LISTED[key], name_column,
                               segment_column)
            st.markdown("**What they have in common**", help=help_text("common_traits"))
            common = group["common"]
            if not common:
                st.caption(f"Nothing to compare with: no {group['reference_label']}.")
            for trait in common:
                in_score = "" if weights.get(trait["factor"], 0) > 0 else " *(not in the score)*"
                st.markdown(f"- {md_escape(trait['sentence'])}{in_score}")

def one_account_tab() -> None:
    """One account's score explained, its tag, and its score history."""
    # --------------------------------------------------------------------------- one account
    st.header("One account, explained")
    row_of, ids = state.explained_accounts(draft)
    names = state.account_names(ws, table, name_column)
    surprise = groups["surprise_churn"]["mask"]
    default_id = None
    if surprise.any():
        arr_known = np.nan_to_num(judged.arr[surprise], nan=-1.0)
        default_id = judged.account_id[surprise][int(np.argmax(arr_known))]
    index = ids.index(default_id) if default_id in row_of else 0


    def label(account_id: object) -> str:
        """Selectbox label: id and name (plain text, never HTML)."""
        name = names.get(account_id)
        return f"{account_id} · {name}" if name is not None and not pd.isna(name) else str(
            account_id)


    chosen = st.selectbox("Account (type an id or name to search)", ids, index=index,
                          format_func=label, key="acct::pick",
                          help="Defaults to the largest-ARR surprise churn.")
    row = row_of[chosen]
    raw_values = {f.name: frame[f.column].iloc[row] for f in config.factors}
    row_points, row_result = state.score_rows(draft, np.array([row]), explain=True)
    story = explain.account_explanation(config, row_points, row_result, 0, raw_values)
    judged_here = np.flatnonzero(rows == row)
    when = pd.Timestamp(table.snapshot_date[row])
    when_text = "its only snapshot" if pd.isna(when) else f"the snapshot of {when.date()}"
    if judged_here.size:
        decided = "; ".join(
            f"{judged.outcome[i]}" + ("" if np.isnat(judged.renewal_date[i]) else
                                      f" at the renewal of {str(judged.renewal_date[i])[:10]}")
            for i in judged_here)
        status = f" (the one validation judges). Outcome: {decided}."
    else:
        status = " (its latest). No judged renewal decision."
    st.subheader(md_escape(label(chosen)))
    st.caption(f"Explained as of {when_text}{status}")
    reference_tags.tag_control(ws, table, chosen, str(table.reference[row]))

    c = layout.card_row(5, "account")
    c[0].metric("Score", "n/a" if story["score"] is None else f"{story['score']:.1f}")
    c[1].metric("Band", story["band"] or "unscored")
    c[2].metric("Before guardrails", "n/a" if story["raw_score"] is None
                else f"{story['raw_score']:.1f}")
    row_arr = judged.arr[judged_here[-1]] if judged_here.size else table.arr[row]
    c[3].metric("ARR", "n/a" if np.isnan(row_arr) else f"${row_arr:,.0f}")
    c[4].metric("Segment config", md_escape(story["segment"]["name"]))  # values are Markdown

    left, right = st.columns([0.55, 0.45], gap="large")
    with left:
        st.markdown("**Where the points come from**")
        shown = [f for f in story["factors"] if (f["weight"] or 0) > 0]
        rail_points = story["guardrail"]["points"] if story["guardrail"] else 0.0
        if story["score"] is None:
            st.info("This account has no data for any weighted factor, so it is unscored.")
        else:
            st.altair_chart(charts.contributions_chart(
                [f["factor"] for f in shown], [f["contribution"] for f in shown], rail_points,
                height=60 + 32 * (len(shown) + bool(rail_points))), width="stretch")
        if story["total"] is not None:
            shown_sum = sum(f["contribution"] or 0 for f in story["factors"])
            st.caption(f"Factor contributions ({shown_sum:.1f}) + guardrail ({rail_points:.1f}) "
                       f"= score {story['total']:.1f}.")
    with right:
        st.markdown("**Sub-scores**")
        subscores = {g: v for g, v in story["subscores"].items() if v is not None}
        st.dataframe(pd.DataFrame({"Group": list(subscores), "Score": list(subscores.values())}),
                     hide_index=True, width="stretch",
                     column_config={"Score": st.column_config.NumberColumn(format="%.1f")})
        if len(subscores) < len(story["subscores"]):
            st.caption("Groups without weight or without data for this account are not shown.")
        st.markdown("**Guardrails**")
        rail = story["guardrail"]
        if rail is None:
            st.caption("No guardrail applies to this account.")
        elif rail["points"] < 0:
            st.write(f"Capped at {rail['cap']} by “{md_escape(rail['name'])}”: "
                     f"{-rail['points']:.1f} points removed.")
        else:
            st.write(f"“{md_escape(rail['name'])}” applies (at most {rail['cap']}); the score was "
                     "already below the cap, so no points were removed.")
        seg = story["segment"]
        st.markdown("**Config used**")
        st.write(f"{md_escape(seg['name'])} config: red at or below {seg['red_max']:g}, green "
                 f"above {seg['yellow_max']:g}.")
        used = ", ".join(f"{name} {weight:.0f}%" for name, weight in seg["weights"].items()
                         if weight > 0)
        st.caption(md_escape(f"Weights: {used}."))

    st.markdown("**Factor by factor**")
    factor_rows = pd.DataFrame([{
        "Factor": f["factor"], "Group": f["group"],
        "Value": explain.format_value(f["value"]),
        "Points (0-100)": f["points"], "Weight": (f["weight"] or 0.0) * 100,
        "Adds to score": f["contribution"],
    } for f in story["factors"]])
    st.dataframe(factor_rows, hide_index=True, width="stretch", key="acct::contributions",
                 height=38 + 35 * len(factor_rows),
                 column_config={
                     "Points (0-100)": st.column_config.NumberColumn(format="%.1f"),
                     "Weight": st.column_config.NumberColumn(
                         format="%.1f%%", help="This factor's share of this account's score "
                         "(missing factors are left out and the others scaled up)"),
                     "Adds to score": st.column_config.NumberColumn(format="%.2f"),
                 })

    safe_id = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(chosen))[:60]
    st.download_button(
        "Explanation to share with the customer (HTML)",
        lambda: explain_account(table.frame, config, int(row)).encode("utf-8"),
        file_name=f"health-score-{safe_id}.html", mime="text/html", on_click="ignore",
        key="acct::share", help="A one-page, self-contained explanation of this account's score: "
        "what each factor adds, sub-scores and guardrails. All text is escaped.")

    st.markdown("**Score history**")
    if table.cross_sectional:
        st.info("This data has a single snapshot per account, so there is no score history.")
    else:
        mine = np.flatnonzero(table.account_id == chosen)
        mine_result = state.score_rows(draft, mine)[1]  # this account's rows only
        past = history.band_history(pd.DataFrame({
            "account_id": table.account_id[mine], "snapshot_date": table.snapshot_date[mine],
            "score": mine_result.score, "band": mine_result.band}), chosen)
        seg_bands = story["segment"]
        st.altair_chart(charts.history_chart(past, seg_bands["red_max"], seg_bands["yellow_max"]),
                        width="stretch")
        changes = explain.band_changes(past)
        if changes:
            st.dataframe(pd.DataFrame(changes).rename(columns={
                "date": "Date", "from": "From", "to": "To", "score": "Score"}),
                hide_index=True, width="stretch",
                column_config={"Score": st.column_config.NumberColumn(format="%.1f")})
        else:
            st.caption(f"The band never changed over {len(past)} snapshots.")

def falling_tab() -> None:
    """Open accounts whose score fell, and whether falls warned of churn."""
    # --------------------------------------------------------------------------- falling scores
    st.header("Falling scores", help="A green account that was 95 and is now 75 is telling you "
              "something before it turns red. Accounts with no decided renewal yet: the ones you "
              "can still act on.")
    if table.cross_sectional:
        st.info("This data has a single snapshot per account, so there are no trends.")
    else:
        left, right = st.columns(2)
        fall = left.slider("Fell by at least", 5, 50, 10, 5, format="%d points",
                           key="acct::fall_points")
        window = right.slider("Over the last", 30, 180, 90, 30, format="%d days",
                              key="acct::fall_days")
        falling, signal = state.history_signals(draft, fall, window)
        if signal.get("reason") is None and signal["with_drop"]["accounts"]:
            w, wo = signal["with_drop"], signal["without_drop"]
            st.caption(f"History check: renewals where the score had fallen {fall}+ points "
                       f"during the {window} days up to the judge date churned "
                       f"{w['churn_rate']:.0%} of the time ({w['accounts']:,} renewals) vs "
                       f"{wo['churn_rate']:.0%} for the rest.")
        if falling.empty:
            st.success(f"No open account fell {fall}+ points over the last {window} days.")
        else:
            st.markdown(f"**{len(falling):,} open accounts** fell {fall}+ points over the last "
                        f"{window} days, "
                        f"{int((falling['band'] == 2).sum()):,} of them still green.")
            shown = falling.assign(band=band_names(falling["band"].to_numpy(dtype=np.int8)),
                                   arr=falling["arr"].round())
            st.dataframe(shown[["account_id", "band", "latest_score", "earlier_score", "change",
                                "arr"]], hide_index=True, width="stretch", height=300,
                         column_config={
                             "account_id": st.column_config.TextColumn("Account"),
                             "band": st.column_config.TextColumn("Band"),
                             "latest_score": st.column_config.NumberColumn("Score now",
                                                                           format="%.1f"),
                             "earlier_score": st.column_config.NumberColumn(
                                 f"{window} days earlier", format="%.1f"),
                             "change": st.column_config.NumberColumn("Change", format="%+.1f"),
                             "arr": st.column_config.NumberColumn("ARR ($)",
                                                                  format="localized")})


for tab, body in ((tab_missed, missed_tab), (tab_one, one_account_tab),
                  (tab_factors, factors_tab), (tab_reference, reference_tab),
                  (tab_falling, falling_tab)):
    if tab.open:
        with tab:
            body()
