"""Calibrate's factor weights as one browser component: a native range input per factor,
grouped by sub-score, instead of one ``st.slider`` per factor.

Moving one weight rescales the others (weights add up to 100%), so every slider changes
on every step. Thirteen ``st.slider`` widgets re-rendered by React cost the browser
0.06-0.1 s of a step; this component keeps its inputs and only writes their new values
(the server still does the rebalancing: :func:`calibration.weights.rebalance`). What the
browser sends back is one event, ``moved`` = ``{"name": factor, "value": percent}``,
checked here like any other input (:func:`parse_move`).

Everything shown is set as text (``textContent``, attributes), never as markup: factor
names and descriptions come from configs and uploads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from calibration.config import Config
from calibration.weights import flat_weights

COMPONENT = "hsc_weights"
KEY = "weights::sliders"  # not "w::": the values come from the draft, nothing to reset
REVISION = "weights::revision"  # bumped by every move, so a refused move is drawn back

CSS = """
.hsc-weights { font-family: var(--st-font); color: var(--st-text-color);
           font-size: var(--st-base-font-size, 1rem); }
.hsc-group { margin: 0.75rem 0 0.25rem; }
.hsc-group:first-child { margin-top: 0; }
.hsc-row { display: grid; grid-template-columns: 1fr auto; align-items: center;
       column-gap: 0.5rem; margin: 0.1rem 0 0.35rem; font-size: 0.875rem; }
.hsc-row label { overflow-wrap: anywhere; }
.hsc-row output { font-variant-numeric: tabular-nums; }
.hsc-row .hsc-help { cursor: help; margin-left: 0.35rem; display: inline-block; width: 1.1em;
             height: 1.1em; line-height: 1.1em; border: 1px solid currentColor;
             border-radius: 50%; text-align: center; font-size: 0.7rem; opacity: 0.6; }
.hsc-row input { grid-column: 1 / span 2; width: 100%; margin: 0.2rem 0 0;
             accent-color: var(--st-primary-color); }
.hsc-row input:focus-visible { outline: 2px solid var(--st-primary-color); outline-offset: 2px; }
.hsc-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
          clip: rect(0 0 0 0); white-space: nowrap; }
"""

# Built once per layout (the factors, their groups and descriptions); a step only writes
# the values, so the focused input keeps the focus and the keyboard keeps stepping.
JS = """
const percent = (v) => `${Number(v).toFixed(1)}%`;

function build(root, data) {
  root.replaceChildren();
  const inputs = new Map();
  const totals = [];
  data.groups.forEach((group, g) => {
    const heading = document.createElement('p');
    heading.className = 'hsc-group';
    const name = document.createElement('strong');
    name.textContent = group.name;
    const total = document.createElement('span');
    heading.append(name, ' · ', total);
    root.append(heading);
    group.factors.forEach((factor, f) => {
      const id = `hsc-weight-${g}-${f}`;
      const row = document.createElement('div');
      row.className = 'hsc-row';
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = factor.name;
      const out = document.createElement('output');
      out.htmlFor = id;
      const input = document.createElement('input');
      Object.assign(input, {type: 'range', id, min: 0, max: 100, step: 0.1});
      input.setAttribute('aria-label', factor.name);
      if (factor.help) {
        const mark = document.createElement('span');
        mark.className = 'hsc-help';
        mark.title = factor.help;
        mark.textContent = '?';
        mark.setAttribute('aria-hidden', 'true');
        label.append(mark);
        const described = document.createElement('span');
        described.className = 'hsc-hidden';
        described.id = `${id}-help`;
        described.textContent = factor.help;
        row.append(described);
        input.setAttribute('aria-describedby', described.id);
      }
      const show = () => {
        out.textContent = percent(input.value);
        input.setAttribute('aria-valuetext', percent(input.value));
      };
      input.addEventListener('input', show);
      input.addEventListener('change', () => {
        show();
        root.__send('moved', {name: factor.name, value: Number(input.value)});
      });
      row.prepend(label, out, input);
      root.append(row);
      inputs.set(factor.name, {input, out});
    });
    totals.push(total);
  });
  return {inputs, totals};
}

export default function ({parentElement, data, setTriggerValue}) {
  const root = parentElement.querySelector('.hsc-weights');
  root.__send = setTriggerValue;  // this render's sender (the listeners outlive it)
  const layout = JSON.stringify(data.groups.map(
    (g) => [g.name, g.factors.map((f) => [f.name, f.help])]));
  if (root.__layout !== layout) {
    root.__parts = build(root, data);
    root.__layout = layout;
  }
  data.groups.forEach((group, g) => {
    root.__parts.totals[g].textContent = percent(group.total);
    for (const factor of group.factors) {
      const {input, out} = root.__parts.inputs.get(factor.name);
      if (Number(input.value) !== factor.weight) input.value = factor.weight;
      out.textContent = percent(factor.weight);
      input.setAttribute('aria-valuetext', percent(factor.weight));
    }
  });
}
"""

HTML = '<div class="hsc-weights"></div>'


def weights_view(config: Config) -> list[dict[str, Any]]:
    """What the component shows: sub-scores in order, each with its total share and its
    factors' shares (percent, one decimal, as the sliders step) and descriptions.

    Parameters
    ----------
    config : Config
        The draft whose weights are shown.
    """
    flat = flat_weights(config)
    groups = []
    for group in config.group_names():
        members = [f for f in config.factors if f.group == group]
        groups.append({
            "name": group,
            "total": round(sum(flat[f.name] for f in members), 1),
            "factors": [{"name": f.name, "weight": round(float(flat[f.name]), 1),
                         "help": f.description or ""} for f in members]})
    return groups


def parse_move(moved: object, factor_names: Iterable[str]) -> tuple[str, float] | None:
    """The factor and percentage of a ``moved`` event from the browser, or None when the
    event is not one the component sends (unknown factor, not a finite number: the browser
    is not trusted). Values are clipped to 0-100.

    Parameters
    ----------
    moved : object
        The decoded JSON the browser sent.
    factor_names : iterable of str
        The draft's factors.
    """
    if not isinstance(moved, dict):
        return None
    name, value = moved.get("name"), moved.get("value")
    if not isinstance(name, str) or name not in set(factor_names):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return name, min(max(float(value), 0.0), 100.0)


def moved_weight() -> object:
    """The ``moved`` event of this rerun (inside the component's callback)."""
    result = st.session_state.get(KEY)
    return None if result is None else getattr(result, "moved", None)


def render(config: Config, on_move: Callable[[], None]) -> None:
    """Draw the weights of ``config``; ``on_move`` runs when the user moves one (read it
    with :func:`moved_weight`)."""
    mount = st.components.v2.component(COMPONENT, html=HTML, css=CSS, js=JS,
                                       isolate_styles=False)
    mount(key=KEY, data={"groups": weights_view(config),
                         "revision": st.session_state.get(REVISION, 0)},
          on_moved_change=on_move)


def redraw() -> None:
    """Make the next draw re-send the values even when the draft did not change (a refused
    move: the browser's input shows the value the user tried)."""
    st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1
