"""Screenshots of every page for the README and docs (real server + Debian chromium).

Usage: ``.venv/bin/python scripts/screenshots.py`` (or ``make screenshots``). Writes
``docs/screenshots/<page>.png`` on the demo data (plus ``calibrate-thresholds.png``: the
threshold sliders, and ``accounts-tag.png``: one account with its reference tag) and
``docs/screenshots/telco-<page>.png`` on the IBM Telco table from ``../shared/data/telco``
when it is present. Each PNG is reduced to a 256-colour palette (a third of the bytes).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    start_server,
    stop_server,
)

OUT = ROOT / "docs" / "screenshots"
TELCO = ROOT.parent / "shared" / "data" / "telco" / "Telco-Customer-Churn.csv"
PAGES = ["data", "calibrate", "accounts", "renewals", "segments", "suggest", "scenarios",
         "export", "versions"]
DEMO_ONLY = {"scenarios", "versions"}  # saved scenarios and a published version: demo only
# (file name, page, tab to open, element to scroll into view)
DETAILS = [("calibrate-thresholds", "calibrate", "Scoring rules",
            "[data-testid='stSlider'] >> visible=true"),
           ("accounts-tag", "accounts", "One account, explained",
            "[data-testid='stRadio'] >> visible=true")]


def telco_draft(drafts: Path) -> str:
    """A saved workspace on the Telco CSV with the starter config (as the Data page makes)."""
    import os

    os.environ["HSC_DRAFTS_DIR"] = str(drafts)
    import ui.state as state
    from calibration.autoconfig.roles import detect_roles
    from calibration.autoconfig.starter import default_factor_columns, starter_config
    from calibration.data_files import read_table

    frame = read_table(TELCO)
    roles = detect_roles(frame)
    from calibration.config import load_config

    starter = starter_config(frame, roles, default_factor_columns(frame, roles),
                             "Telco starter")
    tuned = load_config(ROOT / "examples" / "telco_config.json")  # docs/example-telco.md
    ws = state.Workspace(draft_id="telcoexample1", source_name=TELCO.name,
                         source_path=str(TELCO), baseline=starter, draft=tuned)
    ws.save()
    return ws.draft_id


def demo_draft(drafts: Path) -> str:
    """The demo data with the gut-feel baseline and a tuned draft (suggested weights and
    bands), i.e. what a leader sees after taking the Suggest page's advice."""
    import os

    os.environ["HSC_DRAFTS_DIR"] = str(drafts)
    import ui.state as state
    from calibration import fitting
    from calibration.accounts import load_accounts
    from calibration.config import config_from_dict, load_config
    from calibration.demo import DEMO_CONFIG, DEMO_DATA
    from calibration.scoring import score_frame
    from calibration.validation import judged_rows
    from calibration.weights import apply_flat_weights

    baseline = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, baseline)
    judged = judged_rows(table, 90)
    rows, churned = judged.rows, judged.churned
    points = score_frame(table.frame, baseline).matrix.points[rows]
    weights = fitting.suggest(points, churned, baseline.factor_names, method="auc",
                              groups=baseline).weights
    draft = apply_flat_weights(baseline, weights)
    score = score_frame(table.frame, draft).result.score[rows]
    bands = fitting.suggest_bands(score, churned, table.arr[rows], red_risk=0.4,
                                  yellow_risk=0.1)
    raw = draft.model_dump()
    raw["name"] = "Q4 recalibration"
    raw["bands"] = {"red_max": round(bands.red_max), "yellow_max": round(bands.yellow_max)}
    ws = state.Workspace(draft_id="demoexample01", source_name=state.DEMO_NAME,
                         source_path=str(DEMO_DATA), baseline=baseline,
                         draft=config_from_dict(raw))
    ws.save()
    state.Workspace(draft_id=GUT_FEEL_DRAFT, source_name=state.DEMO_NAME,
                    source_path=str(DEMO_DATA), baseline=baseline, draft=baseline).save()
    demo_store(ws, table, baseline)
    return ws.draft_id


def demo_store(ws, table, baseline) -> None:
    """Two saved scenarios, last quarter's config published on 3 Dec 2025 and the largest
    surprise churn tagged known-struggling, as a team would have them."""
    from datetime import UTC, datetime

    import numpy as np

    from calibration.configfile import export_config
    from calibration.evidence import gather
    from calibration.metrics import surprise_churn
    from calibration.reference_tags import dataset_key
    from calibration.scoring import score_frame
    from calibration.store import open_store, publish, save_scenario
    from calibration.store.tags import set_tag
    from calibration.validation import judged_rows

    store = open_store()
    for name, config in (("Gut feel (last quarter)", baseline), ("Q4 recalibration", ws.draft)):
        save_scenario(store, ws.draft_id, "local", name, config.to_json(indent=None),
                      config.fingerprint())
    last_quarter = baseline.with_details(name="Q3 2025")
    evidence = gather(table, last_quarter, bootstrap_resamples=50).evidence
    frozen = export_config(last_quarter, evidence, author="CS Operations",
                           notes="Weights agreed in the Q3 QBR.")
    publish(store, name="Q3 2025", author="CS Operations", notes="Weights agreed in the Q3 QBR.",
            config_hash=frozen.fingerprint(), config_json=frozen.to_json(),
            data_name=ws.source_name, horizon_days=90, actor="local",
            published_at=datetime(2025, 12, 3, 9, tzinfo=UTC))
    judged = judged_rows(table, 90)
    band = score_frame(table.frame, ws.draft).result.band[judged.rows]
    missed = surprise_churn(band, judged.churned, judged.arr, judged.account_id)
    ids = np.asarray(missed["surprise_churn"]["ids"])
    if ids.size:
        arr = np.nan_to_num(judged.arr[np.isin(judged.account_id, ids)
                                       & judged.churned & (band == 2)], nan=-1.0)
        biggest = judged.account_id[np.isin(judged.account_id, ids) & judged.churned
                                    & (band == 2)][int(np.argmax(arr))]
        set_tag(store, "local", dataset_key(table), str(biggest), "struggling")


GUT_FEEL_DRAFT = "demogutfeel1"  # the Suggest page is shown before any suggestion is taken


def settled(page) -> None:
    """Wait for the script run, spinners, skeletons and visible charts to finish."""
    page.get_by_test_id("stSidebar").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
            && !document.querySelector('[data-testid="stSpinner"]')
            && !document.querySelector('[data-testid="stSkeleton"]')""", timeout=240_000)
    # charts in the open tab only (Accounts keeps charts in other tabs, hidden)
    shown = page.locator("[data-testid='stVegaLiteChart'] >> visible=true")
    if shown.count():
        shown.first.locator("canvas, svg").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)


def save(page, name: str) -> None:
    """A viewport screenshot reduced to a 256-colour palette (UI colours survive)."""
    from PIL import Image

    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


def shoot(url: str, prefix: str, draft_id: str | None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        query = f"?draft={draft_id}" if draft_id else ""
        page.goto(f"{url}/{query}", wait_until="domcontentloaded")
        page.get_by_test_id("stMetric").first.wait_for(timeout=90_000)
        if not draft_id:
            draft_id = page.url.split("draft=")[1].split("&")[0]

        def visit(name: str) -> None:
            path = "" if name == "calibrate" else name  # the default page lives at /
            which = GUT_FEEL_DRAFT if (name == "suggest" and not prefix) else draft_id
            page.goto(f"{url}/{path}?draft={which}", wait_until="domcontentloaded")
            settled(page)

        for name in PAGES:
            if prefix and name in DEMO_ONLY:
                continue
            visit(name)
            save(page, f"{prefix}{name}")
        if not prefix:
            for shot, name, tab, target in DETAILS:
                visit(name)
                page.get_by_role("tab", name=tab).first.click()
                settled(page)
                page.locator(target).first.scroll_into_view_if_needed(timeout=60_000)
                page.mouse.move(900, 500)
                page.mouse.wheel(0, -120)  # a little context above the control
                page.wait_for_timeout(800)
                save(page, shot)
        browser.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        demo = demo_draft(tmp_path / "drafts")
        draft = telco_draft(tmp_path / "drafts") if TELCO.exists() else None
        url, process = start_server(tmp_path)
        try:
            shoot(url, "", demo)
            if draft:
                shoot(url, "telco-", draft)
        finally:
            stop_server(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
