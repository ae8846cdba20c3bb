"""The pages ``scripts/bench_ui.py`` loads besides the real app: the two floor apps it
measures in the same run, and the probe it adds to every page (no timing here)."""

BARE_APP = '''import streamlit as st

value = st.slider("Bare slider", 0, 100, 50, key="bare")
st.metric("Value", f"{value * 3}")
'''
# The same framework path Calibrate's weight step takes, with nothing of the app: a range
# input in a browser component (st.components.v2) whose callback reruns two named fragments,
# the component's own (its new value back) and one showing a metric. Its settle time is the
# framework's floor for that path (component event, callback, keyed fragment reruns).
COMPONENT_APP = '''import streamlit as st

JS = """export default function ({parentElement, data, setTriggerValue}) {
  let input = parentElement.querySelector("input");
  if (!input) {
    input = document.createElement("input");
    Object.assign(input, {type: "range", min: 0, max: 100, step: 1});
    input.setAttribute("aria-label", "Component slider");
    input.addEventListener("input", () => input.__send("moved", Number(input.value)));
    parentElement.append(input);
  }
  input.__send = setTriggerValue;
  input.value = data.value;
}"""
slider = st.components.v2.component("bench_floor_slider", html="", js=JS)
st.session_state.setdefault("value", 50)


def moved():
    st.session_state["value"] = int(st.session_state["component"].moved)
    st.session_state["answers"] = st.session_state.get("answers", 0) + 1
    st.rerun(["slider", "shown"])


@st.fragment(key="slider")
def controls():
    slider(key="component", data={"value": st.session_state["value"],
                                  "answer": st.session_state.get("answers", 0)},
           on_moved_change=moved)


@st.fragment(key="shown")
def shown():
    st.metric("Value", f"{st.session_state['value'] * 3}")


controls()
shown()
'''
# Records the last DOM change (epoch ms), the first change of a metric card's text and the
# first metric card added (a page's first numbers: metric cards are new nodes after a page
# switch, and changed text when React reuses the old page's cards).
OBSERVER = """
(() => {
  window.__hscLast = 0; window.__hscMetric = 0; window.__hscShown = 0;
  const METRIC = '[data-testid="stMetricValue"]';
  const now = () => performance.timeOrigin + performance.now();
  const ignored = '[data-testid="stStatusWidget"], [data-testid="stToolbar"], header';
  const start = () => new MutationObserver((records) => {
    for (const r of records) {
      const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!node || node.closest(ignored)) continue;
      const t = now();
      window.__hscLast = t;
      if (!window.__hscMetric && node.closest(METRIC)) {
        window.__hscMetric = t;
      }
      if (!window.__hscShown) {
        for (const added of r.addedNodes) {
          if (added.nodeType === 1 && (added.matches(METRIC) || added.querySelector(METRIC))) {
            window.__hscShown = t;
            break;
          }
        }
      }
    }
  }).observe(document.documentElement, {subtree: true, childList: true,
                                         characterData: true, attributes: true});
  if (document.documentElement) start(); else addEventListener('DOMContentLoaded', start);
})();
"""
