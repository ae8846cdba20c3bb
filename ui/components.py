"""Small rendering helpers shared by pages: metric cards with deltas, band tables."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from calibration.charts import BAND_COLOURS
from calibration.glossary import HELP


def value(metric: Any) -> float | None:
    """The number inside a metric result (None when undefined)."""
    if isinstance(metric, dict):
        return metric.get("value")
    return metric


def reason(metric: Any) -> str:
    """Why a metric is undefined ('' when it is defined)."""
    return (metric.get("reason") or "") if isinstance(metric, dict) else ""


def metric_card(label: str, draft: Any, baseline: Any, fmt: str, help_key: str,
                lower_is_better: bool = False) -> None:
    """``st.metric`` with the change versus baseline, or the reason it is undefined."""
    now, before = value(draft), value(baseline)
    if now is None:
        st.metric(label, "n/a", help=f"{HELP[help_key]}\n\nNot available: {reason(draft)}")
        return
    delta = None
    if before is not None and fmt.format(now) != fmt.format(before):
        change = now - before
        delta = ("-" if change < 0 else "+") + fmt.format(abs(change))
    st.metric(label, fmt.format(now), delta=delta, help=HELP[help_key],
              delta_color="inverse" if lower_is_better else "normal")


def headline_metrics(draft: dict[str, Any], baseline: dict[str, Any]) -> None:
    """The four numbers a CS leader watches while tuning, with deltas vs baseline."""
    cols = st.columns(5)
    with cols[0]:
        metric_card("AUC", draft["auc"], baseline["auc"], "{:.3f}", "auc")
    with cols[1]:
        metric_card("Correlation with renewal", draft["point_biserial_r"],
                    baseline["point_biserial_r"], "{:.3f}", "point_biserial_r")
    with cols[2]:
        metric_card("Surprise churn (accounts)", draft["surprise_churn"]["count"],
                    baseline["surprise_churn"]["count"], "{:,.0f}", "surprise_churn",
                    lower_is_better=True)
    with cols[3]:
        metric_card("Surprise churn ARR", draft["surprise_churn"]["arr"],
                    baseline["surprise_churn"]["arr"], "${:,.0f}", "surprise_churn",
                    lower_is_better=True)
    with cols[4]:
        metric_card("Red vs green lift", draft["lift"], baseline["lift"], "{:.2f}x", "lift")
    for warning in draft.get("warnings", []):
        st.warning(warning)


def band_table(bands: list[dict[str, Any]]) -> pd.DataFrame:
    """Band rows as a display table (percentages as text, CIs as ranges)."""
    rows = []
    for b in bands:
        ci = b.get("churn_rate_ci")
        rows.append({
            "Band": b["band"].capitalize(), "Accounts": b["accounts"], "Churned": b["churned"],
            "Churn rate": None if b["churn_rate"] is None else f"{b['churn_rate']:.1%}",
            "95% CI": f"{ci[0]:.1%} – {ci[1]:.1%}" if ci else "n/a",
            "ARR": b.get("arr"), "Churned ARR": b.get("churned_arr"),
        })
    return pd.DataFrame(rows)


def show_band_table(bands: list[dict[str, Any]]) -> None:
    """Render the band table with the shared band colours."""
    frame = band_table(bands)
    colours = {name.capitalize(): colour for name, colour in BAND_COLOURS.items()}
    styled = frame.style.apply(
        lambda row: [f"background-color: {colours.get(row['Band'], '#cccccc')}33; "
                     "font-weight: 600" if c == "Band" else "" for c in row.index], axis=1
    ).format({"ARR": "${:,.0f}", "Churned ARR": "${:,.0f}"}, na_rep="n/a")
    st.dataframe(styled, hide_index=True, width="stretch")


def band_badge(name: str) -> str:
    """Coloured band label for markdown (uses Streamlit's colour syntax, no raw HTML)."""
    colour = {"red": "red", "yellow": "orange", "green": "green"}.get(name, "gray")
    return f":{colour}-badge[{name or 'unscored'}]"
