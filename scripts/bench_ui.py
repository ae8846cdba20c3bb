"""Browser benchmark (``make bench-ui``): what a leader feels at 100,000 accounts.

Generates the demo accounts at scale (``data/generate_demo.py``, cached in ``.bench/``),
starts the real app on them (``HSC_DEMO_DATA``) and two floor apps measured in the same run:
a bare one-slider Streamlit app (the framework's floor on this machine: ``x_floor``) and a
range input in a browser component whose callback reruns two named fragments, one with a
metric (the framework's floor for the path Calibrate's weights take: ``x_component_floor``).
It drives them with Debian's chromium through playwright and prints JSON: median and p90
seconds per interaction, the ratios to the floors, and the server's memory.

An interaction is timed from the keyboard step (or click) until the page has *settled*: the
server has sent ``script_finished`` for the rerun (full or fragment) and the page's DOM has
been quiet for ``--quiet`` seconds; the settle time is the later of the last
``script_finished`` and the last DOM change. ``changed`` is when a metric card's text first
changed; for a page visit, ``first numbers`` is when its first metric card appeared (pages
that fill in slow parts progressively show their numbers well before they settle).
``server CPU`` and ``browser CPU`` are the CPU seconds the app server and chromium's renderer
processes used during an interaction: ``server done`` (when ``script_finished`` reached the
page) waits for the renderer's main thread, which handles the messages in order, so a busy
renderer delays it well after the server has sent it.
Streamlit's running indicator is not used: it does not show for short reruns.

This is a benchmark, never a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.app_server import CHROMIUM_ARGS, start_server, stop_server  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from bench_ui_pages import BARE_APP, COMPONENT_APP, OBSERVER  # noqa: E402

CACHE = ROOT / ".bench"
JOB_PAGES = {"Export": "bootstrap verdict shown", "Suggest": "suggestions and curves shown"}
DOWNLOAD_TIMEOUT = 300  # seconds from a download click until the file is complete
SETTLE_TIMEOUT = 300  # seconds an interaction may take before it is recorded as timed out
PAGES = ["Accounts", "Renewals", "Segments", "Suggest", "Export", "Data", "Scenarios", "Versions",
         "Calibrate"]


# --------------------------------------------------------------------------- servers
def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) one process has used so far: unlike wall time, barely
    moved by other load on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (MB) of one process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"]), "peak_rss_mb": round(fields["VmHWM"])}


# --------------------------------------------------------------------------- timing
class Tab:
    """One browser tab (its own context, so its own Streamlit session) with probes."""

    def __init__(self, browser, url: str):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                           accept_downloads=True)
        self.context.add_init_script(OBSERVER)
        self.page = self.context.new_page()
        self.page.set_default_timeout(120_000)
        self.finished: list[float] = []
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self._browser = browser.new_browser_cdp_session()
        self.url = url
        self.server_pid = Tab.pids.get(url)

    def _frame(self, payload: Any) -> None:
        if isinstance(payload, str):
            return
        msg = self._msg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # not a ForwardMsg: ignore
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished in (0, 3):
            self.finished.append(time.time())

    def close(self) -> None:
        self.context.close()

    def mark(self) -> float:
        """Start an interaction: reset the probes, return the start time."""
        self.page.evaluate("window.__hscMetric = 0; window.__hscShown = 0")
        return time.time()

    def settle(self, t0: float, quiet: float, timeout: float = SETTLE_TIMEOUT
               ) -> dict[str, float | None]:
        """Wait until the rerun(s) after ``t0`` finished and the DOM is quiet."""
        deadline = t0 + timeout
        while not any(t > t0 for t in self.finished):
            if time.time() > deadline:
                raise TimeoutError("no script_finished after the interaction")
            self.page.wait_for_timeout(10)
        while True:
            last_dom = self.page.evaluate("window.__hscLast") / 1000
            last_run = max(t for t in self.finished if t > t0)
            if time.time() - max(last_dom, last_run) >= quiet:
                break
            if time.time() > deadline:
                raise TimeoutError("the page never settled")
            self.page.wait_for_timeout(25)
        metric = self.page.evaluate("window.__hscMetric") / 1000
        shown = self.page.evaluate("window.__hscShown") / 1000
        first = min([t for t in (metric, shown) if t > t0], default=None)
        return {"settled": max(last_dom, last_run) - t0,
                "changed": (metric - t0) if metric > t0 else None,
                "first_numbers": None if first is None else first - t0,
                "server_done": last_run - t0}

    def open(self, quiet: float, query: str = "") -> dict[str, float | None]:
        """A new session: load the app until its metrics show and the page settles."""
        t0 = time.time()
        self.page.goto(self.url + query, wait_until="domcontentloaded")
        self.page.get_by_test_id("stMetric").first.wait_for(timeout=600_000)
        return self.settle(t0, quiet, timeout=600)

    pids: ClassVar[dict[str, int]] = {}  # server URL -> process id (CPU time per interaction)

    def _cpu(self) -> float | None:
        return server_cpu_s(self.server_pid) if self.server_pid else None

    def _browser_cpu(self) -> float:
        """CPU seconds chromium's renderer processes (every open tab's) have used so far."""
        info = self._browser.send("SystemInfo.getProcessInfo")["processInfo"]
        return sum(p["cpuTime"] for p in info if p["type"] == "renderer")

    def _timed(self, act, quiet: float) -> dict[str, float | None]:
        before, browser_before = self._cpu(), self._browser_cpu()
        t0 = self.mark()
        act()
        timing = self.settle(t0, quiet)
        after = self._cpu()
        timing["server_cpu"] = None if before is None or after is None else after - before
        timing["browser_cpu"] = self._browser_cpu() - browser_before
        return timing

    def press(self, locator, key: str, quiet: float) -> dict[str, float | None]:
        """One key press on a focused widget: the element is found before the clock starts
        (a locator's query runs over the whole page, and a big page's query is no part of
        what the user waits for)."""
        handle = locator.element_handle()
        handle.focus()
        try:
            return self._timed(lambda: handle.press(key), quiet)
        finally:
            handle.dispose()

    def click(self, locator, quiet: float) -> dict[str, float | None]:
        """One click (navigation, a stepper button)."""
        return self._timed(locator.click, quiet)

    def until_no_progress(self, t0: float, timeout: float = SETTLE_TIMEOUT) -> float:
        """Seconds from ``t0`` until no progress bar shows (the page's background jobs,
        e.g. Export's bootstrap verdict or Suggest's suggestions, are done and shown)."""
        bars = self.page.get_by_test_id("stProgress")
        while bars.count():
            if time.time() - t0 > timeout:
                raise TimeoutError("a background job never finished")
            self.page.wait_for_timeout(100)
        return time.time() - t0

    def download(self, label: str) -> float:
        """Seconds from the click on a download button until the file is complete."""
        button = self.page.get_by_test_id("stDownloadButton").filter(has_text=label).locator(
            "button")
        button.wait_for(timeout=180_000)
        t0 = time.time()
        with self.page.expect_download(timeout=DOWNLOAD_TIMEOUT * 1000) as info:
            button.click()
        info.value.path()
        return time.time() - t0


class Samples:
    """Timings per interaction, summarised as median and p90 seconds."""

    def __init__(self) -> None:
        self.data: dict[str, list[float]] = {}

    def add(self, name: str, value: float | None) -> None:
        if value is not None:
            self.data.setdefault(name, []).append(value)

    def timed_out(self, name: str, seconds: float) -> None:
        print(f"  {name}: no result within {seconds:.0f} s", file=sys.stderr, flush=True)
        self.data.setdefault(f"{name} (timed out)", []).append(seconds)

    def add_timing(self, name: str, timing: dict[str, float | None]) -> None:
        changed = "" if timing["changed"] is None else f" (metrics changed {timing['changed']:.2f})"
        first = timing.get("first_numbers")
        shown = "" if first is None or not name.startswith("first visit") else (
            f" (first numbers {first:.2f})")
        print(f"  {name}: {timing['settled']:.2f} s{changed}{shown}", file=sys.stderr,
              flush=True)
        self.add(name, timing["settled"])
        self.add(f"{name} (metrics changed)", timing["changed"])
        if name.startswith("first visit"):  # a page's first metric cards on screen
            self.add(f"{name} (first numbers)", first)
        self.add(f"{name} (server done)", timing["server_done"])
        self.add(f"{name} (server CPU)", timing.get("server_cpu"))
        self.add(f"{name} (browser CPU)", timing.get("browser_cpu"))

    def summary(self, floor: float | None = None, component: float | None = None
                ) -> dict[str, dict[str, Any]]:
        """Median and p90 per interaction; ``x_floor``: the median over the bare app's step
        (the issue's ratio); ``x_component_floor``: over the component app's step (the part
        of a weight step that is not the framework's own path)."""
        out = {}
        for name, values in self.data.items():
            ordered = sorted(values)
            p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
            entry = {"median_s": round(statistics.median(ordered), 3), "p90_s": round(p90, 3),
                     "n": len(ordered)}
            if floor:
                entry["x_floor"] = round(statistics.median(ordered) / floor, 1)
            if component and " step" in name:
                entry["x_component_floor"] = round(statistics.median(ordered) / component, 1)
            out[name] = entry
        return out


# --------------------------------------------------------------------------- scenarios
COMPONENT_STEP = "component step"  # the component floor app's key step (x_component_floor)


def bench_floor(browser, url: str, steps: int, quiet: float, samples: Samples,
                name: str = "Bare slider", step: str = "slider step") -> None:
    """A floor app (bare one-slider, or the component path): new session and key steps."""
    tab = Tab(browser, url)
    try:
        samples.add_timing("new session" if step == "slider step" else f"new session ({step})",
                           tab.open(quiet))
        slider = tab.page.get_by_role("slider", name=name)
        for i in range(steps):
            samples.add_timing(step, tab.press(slider, ("ArrowRight", "ArrowLeft")[i % 2],
                                               quiet))
    finally:
        tab.close()


def bench_floors(browser, urls: tuple[str, str], steps: int, quiet: float,
                 samples: Samples) -> None:
    """Both floor apps, one after the other."""
    bench_floor(browser, urls[0], steps, quiet, samples)
    bench_floor(browser, urls[1], steps, quiet, samples, "Component slider", COMPONENT_STEP)


def open_tab(tab: Tab, name: str) -> None:
    tab.page.get_by_role("tab", name=name).click()
    tab.page.wait_for_timeout(200)


def one_session(browser, url: str, rep: int, args, samples: Samples,
                factors: list[str]) -> None:
    """One leader's session: open, weights, a threshold, bands, every page, downloads.

    Each repetition moves a different factor, so every config it scores is new to the
    server (no cache hit from an earlier repetition)."""
    tab = Tab(browser, url)
    page = tab.page
    try:
        samples.add_timing("new session (cold server)" if rep == 0 else "new session",
                           tab.open(args.quiet))
        factor = factors[rep % len(factors)]
        slider = page.get_by_role("slider", name=re.compile(re.escape(factor)))
        for _ in range(args.steps):
            samples.add_timing("weight step", tab.press(slider, "ArrowRight", args.quiet))
        open_tab(tab, "Scoring rules")
        # the selected factor's (Active users, linear) range slider: its left handle
        ends = page.get_by_test_id("stSlider").filter(has_text="points rise between")
        for i in range(args.steps):
            samples.add_timing("threshold step", tab.press(
                ends.get_by_role("slider").first, ("ArrowRight", "ArrowLeft")[i % 2],
                args.quiet))
        open_tab(tab, "Weights, bands & guardrails")
        band = page.get_by_test_id("stSlider").filter(has_text="Band cut-offs").get_by_role(
            "slider").first
        for i in range(args.steps):
            samples.add_timing("band step", tab.press(band, ("ArrowRight", "ArrowLeft")[i % 2],
                                                      args.quiet))
        if args.only == "calibrate":
            return
        for name in args.pages:
            link = page.get_by_test_id("stSidebarNavLink").filter(has_text=name).first
            try:
                t0 = time.time()
                samples.add_timing(f"first visit: {name}", tab.click(link, args.quiet))
                if name in JOB_PAGES:  # then until its background jobs have shown results
                    seconds = tab.until_no_progress(t0)
                    print(f"  {name}: {JOB_PAGES[name]}: {seconds:.2f} s", file=sys.stderr,
                          flush=True)
                    samples.add(f"{name}: {JOB_PAGES[name]}", seconds)
            except TimeoutError:  # recorded, and the session goes on
                samples.timed_out(f"first visit: {name}", SETTLE_TIMEOUT)
                continue
            if name == "Export":
                for label, button in (("HTML report", "Calibration report (HTML)"),
                                      ("scored CSV", "Scored accounts (CSV)")):
                    try:
                        seconds = tab.download(button)
                    except Exception as error:  # playwright's timeout: recorded, go on
                        print(f"  download {label}: {type(error).__name__}", file=sys.stderr)
                        samples.timed_out(f"download: {label}", DOWNLOAD_TIMEOUT)
                        continue
                    print(f"  download {label}: {seconds:.2f} s", file=sys.stderr, flush=True)
                    samples.add(f"download: {label}", seconds)
    except Exception:
        CACHE.mkdir(exist_ok=True)
        page.screenshot(path=str(CACHE / "bench-ui-failure.png"), full_page=True)
        print(f"failed: screenshot in {CACHE / 'bench-ui-failure.png'}", file=sys.stderr)
        raise
    finally:
        tab.close()


def concurrent_sessions(browser, url: str, n: int, args, samples: Samples) -> None:
    """``n`` sessions on the same data: each presses a weight key at (nearly) the same
    time; each is timed from its own key press."""
    tabs = [Tab(browser, url) for _ in range(n)]
    try:
        for tab in tabs:
            tab.open(args.quiet)
        for _ in range(args.steps):
            starts = []
            for tab in tabs:
                slider = tab.page.get_by_role("slider", name=re.compile("Executive sponsor"))
                slider.focus()
                starts.append(tab.mark())
                slider.press("ArrowRight")
            for tab, t0 in zip(tabs, starts, strict=True):
                samples.add_timing(f"weight step ({n} sessions at once)",
                                   tab.settle(t0, args.quiet))
    finally:
        for tab in tabs:
            tab.close()


# --------------------------------------------------------------------------- main
def demo_data(accounts: int) -> Path:
    """The scaled demo accounts (generated once, cached in .bench/)."""
    path = CACHE / f"demo-{accounts}.parquet"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "data"))
        from generate_demo import generate_demo

        CACHE.mkdir(exist_ok=True)
        print(f"generating {accounts:,} demo accounts into {path} ...", file=sys.stderr)
        generate_demo(accounts).to_parquet(path, compression="zstd", index=False)
    return path


def run(args) -> dict[str, Any]:
    import pandas as pd
    from playwright.sync_api import sync_playwright

    data = Path(args.data) if args.data else demo_data(args.accounts)
    shape = pd.read_parquet(data, columns=["account_id"])
    with open(ROOT / "data" / "demo_config.json", encoding="utf-8") as handle:
        factors = [f["name"] for f in json.load(handle)["factors"]]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    floor, app, memory = Samples(), Samples(), {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        component = Path(tmp) / "component_app.py"
        component.write_text(COMPONENT_APP, encoding="utf-8")
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        env = {"HSC_DEMO_DATA": str(data), "HSC_DRAFTS_DIR": str(Path(tmp) / "drafts")}
        bare_url, bare_process = start_server(bare, {})
        component_url, component_process = start_server(component, {})
        floors = (bare_url, component_url)
        app_url, app_process = start_server(ROOT / "app.py", env)
        Tab.pids.update({bare_url: bare_process.pid, component_url: component_process.pid,
                         app_url: app_process.pid})
        try:
            memory["server_started"] = rss_mb(app_process.pid)
            bench_floors(browser, floors, args.steps * 2, args.quiet, floor)
            for rep in range(args.reps):
                print(f"session {rep + 1}/{args.reps} ...", file=sys.stderr)
                one_session(browser, app_url, rep, args, app, factors)
                if rep == 0:
                    memory["after_one_session"] = rss_mb(app_process.pid)
                bench_floors(browser, floors, args.steps, args.quiet, floor)
            memory["after_all_sessions"] = rss_mb(app_process.pid)
            if args.concurrent:
                print(f"{args.concurrent} sessions at once ...", file=sys.stderr)
                concurrent_sessions(browser, app_url, args.concurrent, args, app)
                memory[f"after_{args.concurrent}_concurrent"] = rss_mb(app_process.pid)
        finally:
            browser.close()
            stop_server(app_process)
            stop_server(bare_process)
            stop_server(component_process)
    floor_step = statistics.median(floor.data["slider step"])
    component_step = statistics.median(floor.data[COMPONENT_STEP])
    return {
        "accounts": int(shape["account_id"].nunique()), "rows": len(shape),
        "data": str(data), "machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg(),
                                       "python": platform.python_version()},
        "method": "seconds from key press/click until script_finished and a quiet DOM "
                  f"({args.quiet}s); 'metrics changed' = first metric text change",
        "floor": floor.summary(floor_step),
        "app": app.summary(floor_step, component_step), "memory": memory,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--data", help="use this account file (demo columns) instead")
    parser.add_argument("--reps", type=int, default=3,
                        help="browser sessions, each moving a different factor (default 3)")
    parser.add_argument("--steps", type=int, default=3,
                        help="key steps per control per session (default 3)")
    parser.add_argument("--concurrent", type=int, default=5,
                        help="sessions stepping a weight at once (0 = skip; default 5)")
    parser.add_argument("--only", choices=["all", "calibrate"], default="all",
                        help="calibrate: sessions, Calibrate sliders and concurrent sessions "
                             "only (no page visits or downloads)")
    parser.add_argument("--pages", type=lambda text: [p.strip() for p in text.split(",")],
                        default=PAGES, help="pages to visit, in order, comma-separated "
                        f"(default: {','.join(PAGES)})")
    parser.add_argument("--quiet", type=float, default=0.4,
                        help="seconds without DOM change that count as settled")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
