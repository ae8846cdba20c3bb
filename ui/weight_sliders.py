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
ACK = "weights::ack"  # the number of the last move handled (the browser counts its moves)
HELD = "lock::held"  # the factors whose weights hold (cleared with the other controls)

CSS = """
.hsc-weights { font-family: var(--st-font); color: var(--st-text-color);
               font-size: var(--st-base-font-size, 1rem); }
.hsc-group { margin: 0.75rem 0 0.25rem; }
.hsc-group:first-child { margin-top: 0; }
.hsc-row { display: grid; grid-template-columns: 1fr auto auto; align-items: center;
           column-gap: 0.5rem; margin: 0.1rem 0 0.35rem; font-size: 0.875rem; }
.hsc-row label { overflow-wrap: anywhere; }
.hsc-row output { font-variant-numeric: tabular-nums; }
.hsc-help { cursor: help; margin-left: 0.35rem; display: inline-block; width: 1.1em;
            height: 1.1em; line-height: 1.1em; border: 1px solid currentColor;
            border-radius: 50%; text-align: center; font-size: 0.7rem; opacity: 0.6; }
.hsc-hold { font: inherit; font-size: 0.75rem; color: inherit; cursor: pointer;
            background: transparent; border: 1px solid var(--st-border-color, #ccc);
            border-radius: 0.5rem; padding: 0 0.5rem; line-height: 1.4; }
.hsc-hold[aria-pressed="true"] { background: var(--st-secondary-background-color, #eee);
                                 border-color: currentColor; font-weight: 600; }
.hsc-row input { grid-column: 1 / span 3; width: 100%; margin: 0.2rem 0 0;
                 accent-color: var(--st-primary-color); }
.hsc-row :focus-visible { outline: 2px solid var(--st-primary-color); outline-offset: 2px; }
.hsc-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
              clip: rect(0 0 0 0); white-space: nowrap; }
"""

# Built once per layout (the factors, their groups and descriptions); a step only writes
# the values and hold states, so the focused input keeps the focus and the keyboard keeps
# stepping.
JS = """
const percent = (v) => `${Number(v).toFixed(1)}%`;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function factorRow(root, factor, id) {
  const row = element('div', 'hsc-row');
  const label = element('label', '', factor.name);
  label.htmlFor = id;
  const out = element('output');
  out.htmlFor = id;
  const hold = element('button', 'hsc-hold');
  hold.type = 'button';
  hold.setAttribute('aria-label', `Hold ${factor.name}`);
  hold.title = 'Held weights stay as they are while you move the others.';
  hold.addEventListener('click', () => root.__send(
    'held', {name: factor.name, held: hold.getAttribute('aria-pressed') !== 'true'}));
  const input = element('input');
  Object.assign(input, {type: 'range', id, min: 0, max: 100, step: 0.1});
  input.setAttribute('aria-label', factor.name);
  const show = () => {
    out.textContent = percent(input.value);
    input.setAttribute('aria-valuetext', percent(input.value));
  };
  input.addEventListener('input', show);
  input.addEventListener('change', () => {
    show();
    root.__sent = (root.__sent || 0) + 1;
    root.__send('moved', {name: factor.name, value: Number(input.value), seq: root.__sent});
  });
  row.append(label, out, hold, input);
  if (factor.help) {
    const mark = element('span', 'hsc-help', '?');
    mark.title = factor.help;
    mark.setAttribute('aria-hidden', 'true');
    label.append(mark);
    const described = element('span', 'hsc-hidden', factor.help);
    described.id = `${id}-help`;
    input.setAttribute('aria-describedby', described.id);
    row.append(described);
  }
  return {row, parts: {input, out, hold}};
}

function build(root, data) {
  root.replaceChildren();
  const inputs = new Map();
  const totals = [];
  data.groups.forEach((group, g) => {
    const heading = element('p', 'hsc-group');
    const total = element('span');
    heading.append(element('strong', '', group.name), ' · ', total);
    root.append(heading);
    totals.push(total);
    group.factors.forEach((factor, f) => {
      const {row, parts} = factorRow(root, factor, `hsc-weight-${g}-${f}`);
      root.append(row);
      inputs.set(factor.name, parts);
    });
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
  // values answering an older move than the last one sent would pull back a slider the
  // user is still moving: wait for the answer to the last one (it follows)
  const current = data.ack >= (root.__sent || 0);
  data.groups.forEach((group, g) => {
    if (current) root.__parts.totals[g].textContent = percent(group.total);
    for (const factor of group.factors) {
      const {input, out, hold} = root.__parts.inputs.get(factor.name);
      if (current) {
        if (Number(input.value) !== factor.weight) input.value = factor.weight;
        out.textContent = percent(factor.weight);
        input.setAttribute('aria-valuetext', percent(factor.weight));
      }
      hold.setAttribute('aria-pressed', String(factor.held));
      hold.textContent = factor.held ? 'Held' : 'Hold';
    }
  });
}
"""

HTML = '<div class="hsc-weights"></div>'


# Defined once, at import (Streamlit registers it again on a new runtime when it is mounted).
# Mounted in the page, not a shadow root: its classes are prefixed, and tests and assistive
# technology find its inputs like any other.
_component = st.components.v2.component(COMPONENT, html=HTML, css=CSS, js=JS,
                                        isolate_styles=False)


def weights_view(config: Config, held: Iterable[str] = ()) -> list[dict[str, Any]]:
    """What the component shows: sub-scores in order, each with its total share and its
    factors' shares (percent, one decimal, as the sliders step), descriptions and holds.

    Parameters
    ----------
    config : Config
        The draft whose weights are shown.
    held : iterable of str
        The factors whose weights hold while others move.
    """
    flat, held = flat_weights(config), set(held)
    groups = []
    for group in config.group_names():
        members = [f for f in config.factors if f.group == group]
        groups.append({
            "name": group,
            "total": round(sum(flat[f.name] for f in members), 1),
            "factors": [{"name": f.name, "weight": round(float(flat[f.name]), 1),
                         "help": f.description or "", "held": f.name in held}
                        for f in members]})
    return groups


def _factor(event: object, factor_names: Iterable[str]) -> str | None:
    name = event.get("name") if isinstance(event, dict) else None
    return name if isinstance(name, str) and name in set(factor_names) else None


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
    name = _factor(moved, factor_names)
    value = moved.get("value") if name else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return name, min(max(float(value), 0.0), 100.0)


def parse_hold(event: object, factor_names: Iterable[str]) -> tuple[str, bool] | None:
    """The factor and its new hold state of a ``held`` event, or None when it is not one
    the component sends (see :func:`parse_move`)."""
    name = _factor(event, factor_names)
    held = event.get("held") if name else None
    return (name, held) if isinstance(held, bool) else None


def event(name: str) -> object:
    """The browser's ``name`` event of this rerun (inside the component's callbacks)."""
    return getattr(st.session_state.get(KEY), name, None)


def held_factors(config: Config) -> set[str]:
    """The factors of ``config`` whose weights hold (a renamed or removed factor drops)."""
    return set(st.session_state.get(HELD) or ()) & set(config.factor_names)


def on_hold() -> None:
    """Hold or release one factor's weight (the component's own fragment then redraws)."""
    from ui.state import workspace

    config = workspace().draft
    hold = parse_hold(event("held"), config.factor_names)
    if hold is None:
        return
    name, held = hold
    now = held_factors(config) - {name} | ({name} if held else set())
    st.session_state[HELD] = [n for n in config.factor_names if n in now]


def render(config: Config, on_move: Callable[[], None]) -> None:
    """Draw the weights of ``config``; ``on_move`` runs when the user moves one (read the
    move with ``event("moved")``); holding a weight is handled here."""
    _component(key=KEY, data={"groups": weights_view(config, held_factors(config)),
                         "ack": st.session_state.get(ACK, 0)},
          on_moved_change=on_move, on_held_change=on_hold)


def acknowledge(moved: object) -> None:
    """Record that the browser's move ``moved`` was handled, applied or not: the browser
    then takes the values it is sent (a refused move's slider goes back), and ignores
    values sent for an older move while it has sent a newer one."""
    seq = moved.get("seq") if isinstance(moved, dict) else None
    if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**53:
        st.session_state[ACK] = seq
