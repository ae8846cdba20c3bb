"""Screenshots of every page for the README and docs (real server + Debian chromium).

Usage: ``.venv/bin/python scripts/screenshots.py`` (or ``make screenshots``). Writes
``docs/screenshots/<page>.png`` on the demo data and ``docs/screenshots/telco-<page>.png`` on
the IBM Telco table from ``../shared/data/telco`` when it is present.
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
PAGES = ["data", "calibrate", "accounts", "renewals", "segments", "suggest", "export"]


def telco_draft(drafts: Path) -> str:
    """A saved workspace on the Telco CSV with the starter config (as the Data page makes)."""
    import os

    os.environ["HSC_DRAFTS_DIR"] = str(drafts)
    import ui.state as state
    from calibration.accounts import read_table
    from calibration.autoconfig.roles import detect_roles
    from calibration.autoconfig.starter import default_factor_columns, starter_config

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
    return ws.draft_id


GUT_FEEL_DRAFT = "demogutfeel1"  # the Suggest page is shown before any suggestion is taken


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
        for name in PAGES:
            path = "" if name == "calibrate" else name  # the default page lives at /
            which = GUT_FEEL_DRAFT if (name == "suggest" and not prefix) else draft_id
            page.goto(f"{url}/{path}?draft={which}", wait_until="domcontentloaded")
            page.get_by_test_id("stSidebar").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.get_by_test_id("stSpinner").first.wait_for(state="detached", timeout=90_000)
            page.wait_for_function(  # fragments drawn after the first paint
                "() => !document.querySelector('[data-testid=\"stSkeleton\"]')",
                timeout=120_000)
            # charts in the open tab only (Accounts keeps charts in other tabs, hidden)
            shown = page.locator("[data-testid='stVegaLiteChart'] >> visible=true")
            if shown.count():
                shown.first.locator("canvas, svg").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(OUT / f"{prefix}{name}.png"), full_page=False)
            print(f"wrote {OUT / f'{prefix}{name}.png'}")
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
