"""Renewals: how well the draft score predicted renewals, overall or per segment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calibration import evidence_words, formatting, svg_lines
from calibration.evidence_words import ALL_ACCOUNTS
from calibration.glossary import help_text
from calibration.weights import flat_weights
from ui import components, jobs, layout, renewal_evidence, state
from ui.text import md_escape

ws, table = state.workspace_and_table()

st.title("Renewals")
draft = state.evaluate(ws, ws.draft, table)
judged = draft.judged
# The page shows one selection; its numbers come in parts (ui.renewal_evidence): the cards,
# statistics and charts at once; the logistic fit, factor table, lead time and bootstrap
# intervals from background jobs, each shown when done (a progress bar until then).
st.caption(f"How well the draft (**{md_escape(ws.draft.name)}**) predicted what happened. "
           f"{judged.summary()['description']}")

segments = renewal_evidence.segment_names(draft)
if segments:
    choice = st.selectbox("Accounts", [ALL_ACCOUNTS, *segments], key="renewals::segment",
                          help="Everything below is computed on this selection only.")
else:
    choice = ALL_ACCOUNTS
    st.caption("The data has no segment column, so results are for all accounts.")
ev = renewal_evidence.selection_metrics(draft, choice)
READY_WAIT_SECONDS = 0.5  # small data sets are done by then: no progress bar, no rerun
WAIT_UP_TO_DECISIONS = 20_000  # larger data: draw at once, with a progress bar meanwhile


def metric(label: str, result: dict, key: str) -> None:
    """A statistic's card with plain help and the reason when undefined."""
    extra = "" if components.value(result) is not None else (
        f"\n\nNot available: {components.reason(result)}")
    st.metric(label, formatting.decimal(result), help=help_text(key) + extra)


st.caption(f"{ev['n_churned']:,} churned and {ev['n_renewed']:,} renewed accounts judged"
           + ("" if choice == ALL_ACCOUNTS else f" in **{md_escape(choice)}**") + ".")
for warning in ev.get("warnings", []):
    st.warning(md_escape(warning))

# --------------------------------------------------------------------------- headline
baseline_ev = renewal_evidence.selection_metrics(  # only its point values are shown
    state.evaluate(ws, ws.baseline, table), choice)
st.caption(f"Changes are against the baseline (**{md_escape(ws.baseline.name)}**) on the same "
           "accounts.")
checking = st.container()
cards = st.empty()
with cards.container():
    components.outcome_metrics(ev, baseline_ev, judged.horizon_days, judged.cross_sectional,
                               key="renewals")


def auc_range(ci: dict | None) -> None:
    """The AUC's bootstrap interval (None: still computing)."""
    if ci is None:
        st.metric("AUC likely range", "checking...", help=help_text("auc_ci"))
        return
    st.metric("AUC likely range", formatting.likely_range(ci),
              help=help_text("auc_ci") + ("" if ci.get("value") is not None else
                                          f"\n\nNot available: {ci.get('reason')}"))


with st.expander("Advanced statistics: how well the score ranks churn"):
    stats = layout.card_row(3, "renewals-stats-1") + layout.card_row(3, "renewals-stats-2")
    with stats[0]:
        metric("AUC", ev["auc"], "auc")
        st.caption("Chance a renewed account outscores a churned one (0.5 = coin flip).")
    with stats[1]:
        auc_slot = st.empty()
        with auc_slot.container():
            auc_range(None)
        st.caption("Where the AUC would plausibly land on another sample (95%).")
    with stats[2]:
        metric("Revenue-weighted AUC", ev["arr_weighted"]["auc"], "arr_weighted")
        st.caption("The same, with each pair of accounts counted by its ARR.")
    with stats[3]:
        metric("KS", ev["ks"], "ks")
        st.caption("Widest gap between churned and renewed score curves (0 to 1).")
    with stats[4]:
        metric("Correlation with renewal", ev["point_biserial_r"], "point_biserial_r")
        st.caption("Do higher scores go with renewals? 0 = no relation.")
    with stats[5]:
        metric("Rank correlation", ev["spearman"], "spearman")
        st.caption("The same, judging only the order of accounts.")

left, right = layout.panes(2, key="renewals-charts")
with left:
    st.header("Catching churn (ROC)", help=help_text("auc"))
    if ev["roc"].get("value") is None:
        st.info(f"No ROC curve: {ev['roc']['reason']}.")
    else:
        # inline SVG, not Vega-Lite: the page's first visit loads no chart library
        components.svg_chart(svg_lines.roc_svg(ev["roc"]), key="roc")
        st.caption("Each point is a score cut-off: flagging every account at or below it "
                   "catches this share of churn (up) at the cost of this share of renewals "
                   "flagged (right). The further above the dashed diagonal, the better.")
with right:
    st.header("Churn by score decile", help=help_text("calibration"))
    bins = ev["calibration"].get("bins") or []
    if not bins:
        st.info(f"Not available: {ev['calibration'].get('reason')}.")
    else:
        components.svg_chart(svg_lines.decile_svg(bins), key="deciles")
        monotone = ev["calibration"]["monotone"]
        steady = monotone.get("value")
        if steady is False and monotone.get("noise_only"):
            st.caption("Churn falls as the score rises; the small bumps are within the "
                       "95% confidence intervals (noise).")
        elif steady is False:
            st.caption("Churn does not fall steadily as the score rises: some score ranges "
                       "are ordered wrongly ("
                       + "; ".join(monotone.get("clear_reversals", [])[:3]) + ").")
        elif steady:
            st.caption("Churn falls steadily as the score rises, as it should.")

st.header("In plain words")
a, b = layout.panes(2, key="renewals-words")
with a:
    st.markdown("**What 10 points are worth**", help=help_text("logit"))
    logit_slot = st.empty()
with b:
    st.markdown("**Where churned and renewed part ways**", help=help_text("ks"))
    st.write(evidence_words.ks_sentence(ev["ks"]))
    r, rho = ev["point_biserial_r"], ev["spearman"]
    if r.get("value") is not None:
        st.caption(f"Correlation with renewal {r['value']:.3f} "
                   f"({formatting.p_value(r['p_value'])}); rank correlation "
                   f"{formatting.decimal(rho.get('value'))}.")

# --------------------------------------------------------------------------- factors
st.header("Which factors carry signal", help=help_text("factor_auc"))
weights = flat_weights(ws.draft)
factors_slot = st.empty()

# --------------------------------------------------------------------------- lead time
st.header("Early warning", help=help_text("lead_time"))
lead_slot = st.empty()

# --------------------------------------------------------------------------- slow parts
def show_logit(logit: dict) -> None:
    """What 10 points are worth: the logistic fit in words."""
    st.write(evidence_words.logit_sentence(logit))
    if logit.get("value") is not None:
        st.caption(f"Churn odds multiply by {logit['value']:.2f} per 10 points (likely range "
                   f"{logit['ci'][0]:.2f} to {logit['ci'][1]:.2f}; "
                   f"{formatting.p_value(logit['p_value'])}), from a logistic regression.")
        if logit.get("warning"):
            st.caption(f"Fit warning: {logit['warning']}")


def show_factors(factors: dict) -> None:
    """The factor table, double counting and factors whose churn is not monotone."""
    rows = evidence_words.factor_signal_rows(factors, weights)
    if not rows:
        st.info(f"Not available: {factors.get('reason')}.")
        return
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, width="stretch", height=38 + 35 * len(rows),
        column_config={
            "Weight": st.column_config.NumberColumn(format="%.0f%%",
                                                    help="Share of the draft score"),
            "AUC alone": st.column_config.NumberColumn(format="%.3f",
                                                       help=help_text("factor_auc")),
            "Correlation": st.column_config.NumberColumn(format="%.3f",
                                                         help=help_text("factor_r")),
            "Missing": st.column_config.NumberColumn(format="percent",
                                                     help=help_text("factor_missing")),
            "Churn falls steadily": st.column_config.TextColumn(
                help=help_text("factor_monotone")),
            "Double counts with": st.column_config.TextColumn(
                help=help_text("double_counting")),
        },
    )
    pairs = evidence_words.double_counting_sentences(factors)
    if pairs:
        for sentence in pairs:
            st.warning(md_escape(sentence))
    else:
        st.caption("No two factors move together closely (|r| > 0.8): no double counting.")
    bumpy = evidence_words.not_monotone(factors)
    if bumpy:
        st.caption("Churn does not fall steadily as the points rise for: "
                   + md_escape(", ".join(bumpy)) + ". Their cut-offs or direction may need a look.")


def show_lead(lead: dict) -> None:
    """Early warning: how long before churn churned accounts turned red."""
    if lead.get("median_days") is None:
        st.info(evidence_words.lead_time_sentence(lead))
        return
    c1, c2, c3 = layout.card_row(3, "renewals-lead")
    c1.metric("Median lead time", f"{lead['median_days']:.0f} days",
              help=help_text("lead_time"))
    c2.metric("Middle half", f"{lead['p25_days']:.0f}–{lead['p75_days']:.0f} days",
              help="A quarter of the churned accounts that turned red did so later than the "
                   "first number, a quarter earlier than the second.")
    c3.metric("Churned, never red", f"{lead['n_never_red']:,}",
              help="Churned accounts with score history that were never red in the "
                   f"{lead['lookback_days']} days before churning: missed churn.")
    components.svg_chart(svg_lines.lead_time_svg(lead["distribution"]), key="lead-time")
    st.caption(evidence_words.lead_time_sentence(lead))
    red = lead.get("red_at_judge_date") or {}
    if red.get("recall") is not None:
        st.caption(f"Lead time looks at every snapshot before the churn date, including those "
                   f"after the judge date. Point in time, **{red['recall']:.0%}** of churned "
                   f"renewals ({red['n_red']:,} of {red['n_churned']:,}) were already red on "
                   "the snapshot validation judged them on.")


# the slow parts start only now, in background jobs shared by every session (ui.jobs): the
# first numbers above are drawn before the jobs compete with the page for the interpreter
parts = renewal_evidence.slow_parts(draft, choice)
pending = jobs.pending(list(parts.values()), READY_WAIT_SECONDS
                       if judged.n_judged <= WAIT_UP_TO_DECISIONS else 0.0)
done = {part: job.value() for part, job in parts.items() if job not in pending}
for part, slot, draw in (("logit", logit_slot, show_logit),
                         ("factors", factors_slot, show_factors),
                         ("lead", lead_slot, show_lead)):
    with slot.container():
        if part in done:
            draw(done[part])
        else:
            st.caption(f"{renewal_evidence.SLOW_PARTS[part]}...")
if "checked" in done:
    with cards.container():
        components.outcome_metrics(done["checked"], baseline_ev, judged.horizon_days,
                                   judged.cross_sectional, key="renewals-checked")
    with auc_slot.container():
        auc_range(done["checked"]["auc_ci"])
if pending:
    with checking:
        jobs.wait_then_rerun(pending, key="renewals-jobs")
