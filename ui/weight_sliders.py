"""Calibrate's factor weights as one browser component: a native range input per factor,
grouped by sub-score, instead of one ``st.slider`` per factor.

Moving one weight rescales the others (weights add up to 100%), so every slider changes
on every step. Thirteen ``st.slider`` widgets re-rendered by React cost the browser
0.06-0.1 s of a step; this component keeps its inputs and only writes their new values
(the server still does the rebalancing: :func:`calibration.weights.rebalance`).

What the browser sends is one event, ``actions``: every move (``{"kind": "move", "name",
"value", "seq"}``) and hold (``{"kind": "hold", "held": [names], "seq"}``) the page has not
acknowledged yet, numbered in order. The page applies those newer than the last it handled
(:func:`new_actions`, checked like any other input: the browser is not trusted) and sends
that number back (``ack``), with a per-session ``epoch``. So no move is lost when Streamlit
batches or coalesces events, and the browser keeps showing what the user did until the
page has answered their last action (values answering an older one would pull back a
slider they are still moving); a refused move's slider then goes back.

Everything shown is set as text (``textContent``, attributes), never as markup: factor
names and descriptions come from configs and uploads.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from calibration.config import Config
from calibration.weights import flat_weights

COMPONENT = "hsc_weights"
KEY = "weights::sliders"  # not "w::": the values come from the draft, nothing to reset
ACK = "weights::ack"  # the number of the last action handled (the browser counts them)
EPOCH = "weights::epoch"  # this session's mark: a browser that meets a new one starts over
MAX_ACTIONS = 200  # unanswered actions the browser keeps (and the page reads) at most
ANSWERS = "weights::answers"  # counts the page's answers: each one differs from the last
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
                                 border: 2px solid currentColor; font-weight: 700; }
.hsc-row input { grid-column: 1 / span 3; width: 100%; margin: 0.2rem 0 0;
                 accent-color: var(--st-primary-color); }
.hsc-row :focus-visible { outline: 2px solid var(--st-primary-color); outline-offset: 2px; }
.hsc-desc { grid-column: 1 / span 3; font-size: 0.8rem; opacity: 0.8;
            position: absolute; width: 1px; height: 1px; overflow: hidden;
            clip: rect(0 0 0 0); white-space: nowrap; }
.hsc-row:focus-within .hsc-desc {
  position: static; width: auto; height: auto; clip: auto; white-space: normal; }
"""

# Built once per layout (the factors, their groups and descriptions); a step only writes
# the values and hold states, so the focused input keeps the focus and the keyboard keeps
# stepping.
JS = """
const percent = (v) => `${Number(v).toFixed(1)}%`;
const MAX_ACTIONS = __MAX_ACTIONS__;
const RESEND_MS = 4000;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Number an action, keep it until the page acknowledges it, send every unanswered one.
function act(root, action) {
  root.__sent += 1;
  root.__pending.push({...action, seq: root.__sent});
  root.__pending = root.__pending.slice(-MAX_ACTIONS);
  send(root);
}

function send(root) {
  clearTimeout(root.__resend);
  root.__send('actions', {actions: root.__pending});
  // an answer lost on the way (a reconnect): ask again rather than wait for the next move
  root.__resend = setTimeout(
    () => root.isConnected && root.__pending.length && send(root), RESEND_MS);
}

function factorRow(root, factor, id) {
  const row = element('div', 'hsc-row');
  const label = element('label', '', factor.name);
  label.htmlFor = id;
  const out = element('output');
  out.htmlFor = id;
  const hold = element('button', 'hsc-hold', 'Hold');
  hold.type = 'button';
  hold.setAttribute('aria-label', `Hold ${factor.name}`);
  hold.title = 'Held weights stay as they are while you move the others.';
  hold.addEventListener('click', () => {
    hold.setAttribute('aria-pressed', String(hold.getAttribute('aria-pressed') !== 'true'));
    const held = [...root.__parts.inputs].filter(
      ([, parts]) => parts.hold.getAttribute('aria-pressed') === 'true').map(([name]) => name);
    act(root, {kind: 'hold', held});
  });
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
    act(root, {kind: 'move', name: factor.name, value: Number(input.value)});
  });
  row.append(label, out, hold, input);
  if (factor.help) {
    const mark = element('span', 'hsc-help', '?');
    mark.title = factor.help;
    mark.setAttribute('aria-hidden', 'true');
    label.append(mark);
    const described = element('span', 'hsc-desc', factor.help);  // shown on focus
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
  if (root.__epoch !== data.epoch) {  // a new mount or a new session: start from its count
    root.__epoch = data.epoch;
    root.__sent = data.ack;
    root.__pending = [];
  }
  // a new mount of the same session: never number an action the page has handled already
  root.__sent = Math.max(root.__sent, data.ack);
  root.__pending = root.__pending.filter((action) => action.seq > data.ack);
  const layout = JSON.stringify(data.groups.map(
    (g) => [g.name, g.factors.map((f) => [f.name, f.help])]));
  const rebuilt = root.__layout !== layout;
  if (rebuilt) {
    root.__parts = build(root, data);
    root.__layout = layout;
  }
  // Values answering an older action than the last one sent would undo what the user did
  // since: keep showing that until the answer to the last one comes (it follows).
  if (root.__pending.length && !rebuilt) return cleanup(root);
  if (!root.__pending.length) clearTimeout(root.__resend);  // else the resend stays due
  data.groups.forEach((group, g) => {
    root.__parts.totals[g].textContent = percent(group.total);
    for (const factor of group.factors) {
      const {input, out, hold} = root.__parts.inputs.get(factor.name);
      if (Number(input.value) !== factor.weight) input.value = factor.weight;
      out.textContent = percent(factor.weight);
      input.setAttribute('aria-valuetext', percent(factor.weight));
      hold.setAttribute('aria-pressed', String(factor.held));
    }
  });
  return cleanup(root);
}

// Streamlit calls this when the component leaves the page: no resend from a removed
// component (it would rerun whatever page is open, and replay a stale move later).
function cleanup(root) {
  return () => {
    clearTimeout(root.__resend);
    root.__pending = [];
  };
}
""".replace("__MAX_ACTIONS__", str(MAX_ACTIONS))

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


@dataclass(frozen=True)
class Move:
    """Set ``name``'s weight to ``value`` percent (the others rebalance)."""

    name: str
    value: float


@dataclass(frozen=True)
class Hold:
    """Hold exactly these factors' weights."""

    held: tuple[str, ...]


def _seq(action: dict) -> int | None:
    seq = action.get("seq")
    ok = isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**53
    return seq if ok else None


def parse_action(action: dict, factor_names: Collection[str]) -> Move | Hold | None:
    """One action the browser sent, or None when it is not one the component sends
    (unknown factor, a weight that is not a finite number; weights are clipped to 0-100).

    Parameters
    ----------
    action : dict
        The decoded JSON of one action.
    factor_names : collection of str
        The draft's factors.
    """
    if action.get("kind") == "move":
        name, value = action.get("name"), action.get("value")
        if (not isinstance(name, str) or name not in factor_names or isinstance(value, bool)
                or not isinstance(value, int | float) or abs(value) > 1e308  # no overflow
                or not math.isfinite(value)):
            return None
        return Move(name, min(max(float(value), 0.0), 100.0))
    if action.get("kind") == "hold":
        held = action.get("held")
        if not isinstance(held, list) or not all(isinstance(n, str) for n in held):
            return None
        chosen = set(held)
        return Hold(tuple(n for n in factor_names if n in chosen))  # unknown names drop
    return None


def parse_actions(event: object, factor_names: Iterable[str], after: int
                  ) -> tuple[list[Move | Hold], int | None]:
    """The actions of an ``actions`` event numbered after ``after`` (the last handled), in
    their order, and the highest number among them (None: nothing new). An action with a
    valid number but unusable content is acknowledged and skipped.

    Parameters
    ----------
    event : object
        The decoded JSON the browser sent: ``{"actions": [...]}``.
    factor_names : iterable of str
        The draft's factors.
    after : int
        The number of the last action handled.
    """
    listed = event.get("actions") if isinstance(event, dict) else None
    if not isinstance(listed, list):
        return [], None
    numbered = ((_seq(a), a) for a in listed[-MAX_ACTIONS:] if isinstance(a, dict))
    fresh = sorted(((seq, a) for seq, a in numbered if seq is not None and seq > after),
                   key=lambda pair: pair[0])
    names = list(factor_names)
    if not fresh:
        return [], None
    parsed = [parse_action(action, names) for _, action in fresh]
    return [a for a in parsed if a is not None], fresh[-1][0]


def event() -> object:
    """The browser's ``actions`` event of this rerun (inside the component's callback)."""
    return getattr(st.session_state.get(KEY), "actions", None)


def new_actions(factor_names: Iterable[str]) -> list[Move | Hold]:
    """The browser's actions this page has not handled yet (:func:`parse_actions`), now
    acknowledged: the browser takes the values sent next, applied or refused."""
    actions, last = parse_actions(event(), factor_names, st.session_state.get(ACK, 0))
    # Streamlit calls the script only when its data changed: every answer must reach it,
    # even one that handled nothing new (it tells the browser what the page has seen)
    st.session_state[ANSWERS] = st.session_state.get(ANSWERS, 0) + 1
    if last is not None:
        st.session_state[ACK] = last
    return actions


def hold(action: Hold) -> None:
    """Hold exactly the factors of ``action`` (the draft's, in its order: :func:`parse_action`)."""
    st.session_state[HELD] = list(action.held)


def held_factors(config: Config) -> set[str]:
    """The factors of ``config`` whose weights hold (a renamed or removed factor drops)."""
    return set(st.session_state.get(HELD) or ()) & set(config.factor_names)


def render(config: Config, on_actions: Callable[[], None]) -> None:
    """Draw the weights of ``config``; ``on_actions`` runs when the browser sends actions
    (read them with :func:`new_actions`)."""
    epoch = st.session_state.setdefault(EPOCH, secrets.token_hex(8))
    _component(key=KEY, data={"groups": weights_view(config, held_factors(config)),
                              "ack": st.session_state.get(ACK, 0), "epoch": epoch,
                              "answer": st.session_state.get(ANSWERS, 0)},
               on_actions_change=on_actions)
