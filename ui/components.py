"""Small rendering helpers shared by pages: CS outcome cards with deltas, the advanced
statistics, band tables. Numbers are formatted by :mod:`calibration.formatting` only."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from calibration import formatting, outcomes, svg_histogram
from calibration.formatting import Kind
from calibration.glossary import HELP
from ui import layout
from ui.text import md_escape


def value(metric: Any) -> float | None:
    """The number inside a metric result (None when undefined)."""
    if isinstance(metric, dict):
        return metric.get("value")
    return metric


def reason(metric: Any) -> str:
    """Why a metric is undefined ('' when it is defined)."""
    return (metric.get("reason") or "") if isinstance(metric, dict) else ""


def metric_card(label: str, draft: Any, baseline: Any, kind: Kind, help_text: str,
                lower_is_better: bool = False, likely: str | None = None) -> None:
    """``st.metric`` with the change versus baseline (none drawn for no change), or n/a
    with the reason; ``likely`` (a formatted range) shows under the number."""
    now = formatting.number_or_none(draft)
    if now is None:
        why = reason(draft)
        st.metric(label, formatting.NA, help=help_text + (f"\n\nNot available: {why}"
                                                          if why else ""))
        return
    st.metric(label, formatting.fmt(now, kind), delta=formatting.delta(now, baseline, kind),
              help=help_text, delta_color="inverse" if lower_is_better else "normal")
    if likely and likely != formatting.NA:
        st.caption(f"likely range {likely}")


def outcome_metrics(draft: dict[str, Any], baseline: dict[str, Any] | None,
                    horizon_days: int | None, cross_sectional: bool, key: str) -> None:
    """The CS outcomes (churned ARR red ahead, surprise churn, green churn rate, red list
    precision) as cards with their change versus the baseline."""
    now = outcomes.cs_outcomes(draft)
    before = outcomes.cs_outcomes(baseline) if baseline is not None else {}
    shown = outcomes.outcome_list(horizon_days, cross_sectional)
    for column, outcome in zip(layout.card_row(len(shown), key), shown, strict=True):
        with column:
            result = now[outcome.key]
            metric_card(outcome.label, result, before.get(outcome.key), outcome.kind,
                        outcome.help, outcome.lower_is_better,
                        likely=formatting.likely_range(result.get("ci"), outcome.kind)
                        if result.get("ci") else None)


ADVANCED = [  # (label, metrics key, kind, glossary key)
    ("AUC", "auc", "number", "auc"),
    ("Correlation with renewal", "point_biserial_r", "number", "point_biserial_r"),
    ("KS", "ks", "number", "ks"),
    ("Red vs green lift", "lift", "ratio", "lift"),
]


def advanced_numbers(draft: dict[str, Any], baseline: dict[str, Any] | None,
                     key: str) -> None:
    """The advanced statistics' cards (the part that follows the draft)."""
    for column, (label, name, kind, glossary) in zip(
            layout.card_row(len(ADVANCED), f"{key}-advanced"), ADVANCED, strict=True):
        with column:
            metric_card(label, draft.get(name), (baseline or {}).get(name), kind,
                        HELP[glossary])


def advanced_notes(key: str) -> None:
    """One plain sentence under each advanced statistic (static: the same for any draft,
    so a page can draw it outside the fragment that redraws the numbers)."""
    for column, (_, _, _, glossary) in zip(
            layout.card_row(len(ADVANCED), f"{key}-advanced-notes"), ADVANCED, strict=True):
        with column:
            st.caption(HELP[glossary].split(". ")[0].rstrip(".") + ".")


def headline_metrics(draft: dict[str, Any], baseline: dict[str, Any],
                     horizon_days: int | None = None, cross_sectional: bool = False) -> None:
    """CS outcomes first, warnings below; the statistics behind them
    (:func:`advanced_numbers`, :func:`advanced_notes`) are drawn by the caller."""
    outcome_metrics(draft, baseline, horizon_days, cross_sectional, key="headline")
    reference_agreement(draft, baseline)
    for warning in draft.get("warnings", []):
        st.warning(md_escape(warning))


def reference_agreement(draft: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    """Agreement with the accounts the team knows (known healthy green, known struggling
    red) and its change against the baseline; nothing when no account carries a label."""
    ref = draft.get("reference") or {}
    if ref.get("value") is None:
        return
    with layout.card_row(1, "reference")[0]:
        metric_card("Known accounts in the right band", ref,
                    ((baseline or {}).get("reference") or {}).get("value"), "percent",
                    "Accounts the team already knows: known-healthy ones should be green, "
                    "known-struggling ones red. Higher is better.")
        st.caption(f"{ref['healthy_red']:,} known-healthy accounts are red and "
                   f"{ref['struggling_green']:,} known-struggling accounts are green "
                   f"(of {ref['n_labelled']:,} labelled; details on Accounts).")


def band_table(bands: list[dict[str, Any]]) -> pd.DataFrame:
    """Band rows as a display table: every number formatted, n/a where unknown."""
    no_arr = all(b.get("arr") is None for b in bands)
    rows = []
    for b in bands:
        row = {
            "Band": b["band"].capitalize(), "Accounts": formatting.count(b["accounts"]),
            "Churned": formatting.count(b["churned"]),
            "Churn rate": formatting.percent(b["churn_rate"]),
            "Likely range": formatting.likely_range(b.get("churn_rate_ci"), "percent"),
        }
        if not no_arr:
            row["ARR"] = formatting.money(b.get("arr"))
            row["Churned ARR"] = formatting.money(b.get("churned_arr"))
        rows.append(row)
    return pd.DataFrame(rows)


BAND_MARKS = {"Red": "▼ Red", "Yellow": "◆ Yellow", "Green": "▲ Green"}
BAND_BACKGROUNDS = {"Red": "red", "Yellow": "orange", "Green": "green"}


_ONE_LINE = re.compile(r"\r\n?|\n")


def markdown_table(frame: pd.DataFrame, markdown: tuple[str, ...] = ()) -> str:
    """``frame`` as a GitHub-flavoured Markdown table: headers and cells shown literally
    (escaped), except the cells of the ``markdown`` columns, which are Markdown."""
    def line(cells: list[str]) -> str:
        # a line break would end the row (GFM starts a new one: the cells after it shift)
        return "| " + " | ".join(_ONE_LINE.sub(" ", c) for c in cells) + " |"

    rows = [line([str(value) if column in markdown else md_escape(value)
                  for column, value in zip(frame.columns, row, strict=True)])
            for row in frame.itertuples(index=False)]
    return "\n".join([line([md_escape(c) for c in frame.columns]),
                      line(["---"] * len(frame.columns)), *rows])


def show_band_table(bands: list[dict[str, Any]]) -> None:
    """Render the band table: band colour plus a shape, so colour is never the only cue;
    a static table that wraps instead of clipping columns. A Markdown table, not
    ``st.table``: a new browser session then loads no Arrow table code (~0.9 MB of
    JavaScript) and a slider move sends no Arrow data. The band cell is Markdown (no pandas
    Styler: styling three rows took longer than the rest of a slider move)."""
    frame = band_table(bands)
    frame["Band"] = [f":{BAND_BACKGROUNDS[name]}-background[**{BAND_MARKS[name]}**]"
                     if name in BAND_MARKS else md_escape(name) for name in frame["Band"]]
    st.markdown(markdown_table(frame, markdown=("Band",)))
    if "ARR" not in frame.columns:
        st.caption("No ARR column in the data: revenue figures are n/a.")


def band_badge(name: str) -> str:
    """Band label for markdown (Streamlit's colour syntax, no raw HTML) with a shape."""
    colour = {"red": "red", "yellow": "orange", "green": "green"}.get(name, "gray")
    mark = {"red": "▼ ", "yellow": "◆ ", "green": "▲ "}.get(name, "")
    return f":{colour}-badge[{mark}{name or 'unscored'}]"



def score_distribution(hist: pd.DataFrame, red_max: float, yellow_max: float) -> None:
    """The renewed-vs-churned score chart as inline SVG
    (:func:`calibration.svg_histogram.score_distribution_svg`), not a Vega-Lite chart: a new
    browser session on Calibrate then loads no Vega (~0.8 MB of JavaScript) and a slider step
    re-renders a few hundred SVG nodes instead of a Vega view. Drawn by :func:`svg_chart`."""
    svg_chart(svg_histogram.score_distribution_svg(hist, red_max, yellow_max),
              key="score-distribution")


# The chart component's whole code: put the SVG string it is given into its box, and only
# when the string changed (a step that moves nothing keeps the drawn nodes). No other input,
# no request: the markup comes from our builders only.
SVG_CHART_HTML = '<div class="hsc-svg-host"></div>'
SVG_CHART_JS = """export default function ({ parentElement, data }) {
  const host = parentElement.querySelector(".hsc-svg-host");
  if (host && typeof data === "string" && host.hscSvg !== data) {
    host.innerHTML = data;
    host.hscSvg = data;
  }
}"""
# Defined once, at import (Streamlit registers it again on each new runtime when mounted).
# Its box is a shadow root (isolate_styles): the app's CSS stays out, while inherited
# properties (the theme's text colour, the font) still reach the SVG's currentColor.
_svg_component = st.components.v2.component(
    "hsc_svg_chart", html=SVG_CHART_HTML, js=SVG_CHART_JS, isolate_styles=True)
SVG_CHART_KEY = "chart::"  # + the call site's key: one stable widget key per chart


def svg_chart(svg: str, key: str) -> None:
    """An inline SVG chart built by :mod:`calibration.svg_histogram` or
    :mod:`calibration.svg_lines` (every string in it escaped there, tested): the one place
    the app renders markup it built.

    A Streamlit v2 component that sets the string as its box's ``innerHTML``, not Markdown
    with HTML allowed: the browser's Markdown parse of the SVG cost ~0.013-0.03 s per slider
    step, the component ~0.001 s. (``st.html``'s sanitiser removes ``<svg>``.)

    Parameters
    ----------
    svg : str
        The chart's markup, from one of the builders above.
    key : str
        Unique on the page and stable across reruns, so a step updates the chart in place.
    """
    _svg_component(data=svg, key=SVG_CHART_KEY + key)
