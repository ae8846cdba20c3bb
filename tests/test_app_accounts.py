"""AppTest: the Accounts page shows what calibration/ computes, explains one account, and
shows hostile account names as text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import load_accounts
from calibration.config import Config, load_config
from calibration.scoring import score_frame
from calibration.validation import judged_rows, validate
from tests import independent
from tests.apptest_support import assert_clean, metric, run_app, single_snapshot_workspace
from tests.conftest import DEMO_CONFIG, DEMO_DATA
from ui.account_lists import SHOWN, markdown_rows
from ui.layout import CSS, FOLD_SIDEBAR_JS

pytestmark = pytest.mark.xdist_group("app")

SCRIPT_ACCOUNT = "ACC-01352"
SCRIPT_NAME = '<script>alert("x")</script> Labs'


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    scored = score_frame(table.frame, config, explain=True)
    evidence = validate(table, config, scored, by_segment=False, include_logit=False,
                        include_factors=False)
    return config, table, scored, evidence


def chart_data(chart) -> pd.DataFrame:
    """The (aggregated) data a chart ships to the browser."""
    import pyarrow as pa

    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
    return pd.concat(frames, ignore_index=True)


def frame_with(at, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


def open_tab(at, label: str):
    """Select one of the Accounts tabs (only the open tab runs) and rerun."""
    at.session_state["acct::tab"] = label
    at.run()
    assert_clean(at)
    return at


def accounts_tab(label: str, draft_id: str | None = None):
    return open_tab(run_app(page="accounts", draft_id=draft_id), label)


ONE = "One account, explained"


def test_only_the_open_tab_runs():
    at = run_app(page="accounts")
    assert metric(at, "Surprise churn (accounts)")  # the first tab
    assert not any(s.key == "acct::pick" for s in at.selectbox)
    assert not any(s.key == "acct::fall_points" for s in at.slider)
    assert not at.get("vega_lite_chart")  # no factor, contribution or history chart yet
    open_tab(at, "Falling scores")
    assert any(s.key == "acct::fall_points" for s in at.slider)
    assert not any(m.label == "Surprise churn (accounts)" for m in at.metric)


def test_misses_equal_validation(demo):
    config, _, _, evidence = demo
    at = run_app(page="accounts")
    tables = [m.value for m in at.markdown if m.value.startswith("| Account |")]
    assert len(tables) == 2  # surprise churn's list, then the false alarms'
    for table_md, (key, label, what) in zip(tables, (
            ("surprise_churn", "Surprise churn (accounts)", "surprise churns"),
            ("false_alarms", "False alarms (accounts)", "false alarms")), strict=True):
        count = evidence[key]["count"]
        assert metric(at, label) == f"{count:,}"
        assert count > SHOWN  # the demo's lists are longer than what a page shows at once
        expected = listed(demo, evidence[key]["ids"])
        assert len(expected) == count
        # the largest SHOWN of the whole list, in its order, with their scores and bands
        assert table_md == markdown_rows(expected.head(SHOWN))
        first = expected.iloc[0]
        assert f"| {first['ARR']:,.0f} | {first['Score']:.1f} |".replace(".", "\\.") in table_md
        assert f"The {SHOWN} largest by ARR of {count:,} {what}:" in [c.value for c in at.caption]
        assert not frame_with(at, "Account")  # the whole list only on request
    assert metric(at, "Surprise churn (ARR)") == f"${evidence['surprise_churn']['arr']:,.0f}"
    count, arr = independent.surprise_churn(independent.judged_accounts(demo[1], config))
    assert metric(at, "Surprise churn (accounts)") == f"{count:,}"
    assert metric(at, "Surprise churn (ARR)") == f"${arr:,.0f}"
    traits = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(traits) == 10  # top 5 traits for each kind of miss
    agreement = evidence["reference"]["value"]
    assert metric(open_tab(at, "Reference accounts"), "Known accounts in the right band") == (
        f"{agreement:.1%}")
    # one factor distribution chart per weighted factor
    weighted = [f for f in config.factors if f.weight > 0 and config.group_weight(f.group) > 0]
    assert len(open_tab(at, "Factor by factor").get("vega_lite_chart")) == len(weighted)
    # one account: its contributions and its history
    assert len(open_tab(at, ONE).get("vega_lite_chart")) == 2


def listed(demo, ids) -> pd.DataFrame:
    """The judged accounts ``ids`` as the page lists them, by hand: ARR in whole dollars,
    largest first, unknown last, then by id; score and band of the judged snapshot."""
    config, table = demo[0], demo[1]
    judged = independent.judged_accounts(table, config, columns=("account_name",))
    mine = judged[judged["account_id"].isin(set(ids))]
    rows = sorted(
        ({"Account": str(r.account_id), "Name": r.account_name, "Segment": r.segment,
          "ARR": round(r.arr), "Score": r.score, "Band": ("red", "yellow", "green")[r.band]}
         for r in mine.itertuples()),
        key=lambda r: (np.isnan(r["ARR"]), -np.nan_to_num(r["ARR"]), r["Account"]))
    return pd.DataFrame(rows, columns=["Account", "Name", "Segment", "ARR", "Score", "Band"])


def test_the_whole_list_on_request_holds_every_miss(demo):
    """*All N false alarms in a table*: every miss, in the list's order, to sort and search."""
    evidence = demo[3]
    at = run_app(page="accounts")
    at.toggle(key="acct::false_alarms::all").set_value(True).run()
    assert_clean(at)
    (whole,) = frame_with(at, "Account")
    pd.testing.assert_frame_equal(whole.reset_index(drop=True),
                                  listed(demo, evidence["false_alarms"]["ids"]),
                                  check_dtype=False)


def test_drill_down_defaults_to_largest_surprise_churn(demo):
    _, table, _, evidence = demo
    at = accounts_tab(ONE)
    ids = np.array(evidence["surprise_churn"]["ids"], dtype=object)
    rows = judged_rows(table).rows
    surprise = rows[np.isin(table.account_id[rows], ids)]
    expected = table.account_id[surprise[np.argmax(table.arr[surprise])]]
    assert at.selectbox(key="acct::pick").value == expected


def contributions_shown(at) -> pd.DataFrame:
    return frame_with(at, "Adds to score")[0]


def test_drill_down_contributions_sum_to_score(demo):
    _, table, scored, _ = demo
    at = accounts_tab(ONE)
    account = "ACC-00001"  # an open account: explained on its latest snapshot
    at.selectbox(key="acct::pick").set_value(account).run()
    assert_clean(at)
    rows = np.flatnonzero(table.account_id == account)
    row = rows[np.argmax(table.snapshot_date[rows])]
    shown = contributions_shown(at)
    assert np.allclose(shown["Adds to score"], np.nan_to_num(scored.result.contributions[row]))
    assert metric(at, "Score") == f"{scored.result.score[row]:.1f}"
    assert float(metric(at, "Score")) == pytest.approx(shown["Adds to score"].sum(), abs=0.05)


@pytest.fixture
def guardrail_draft(isolated_drafts):
    """A saved workspace whose draft has the 'No executive sponsor' guardrail on."""
    from ui.state import Workspace

    raw = load_config(DEMO_CONFIG).model_dump()
    raw["guardrails"][0]["enabled"] = True
    draft = Config.model_validate(raw)
    ws = Workspace(draft_id="guardrailon01", source_name="demo", source_path=str(DEMO_DATA),
                   baseline=load_config(DEMO_CONFIG), draft=draft)
    ws.save()
    return ws.draft_id, draft


def test_drill_down_with_guardrail_cap(demo, guardrail_draft):
    _, table, _, _ = demo
    draft_id, draft = guardrail_draft
    scored = score_frame(table.frame, draft, explain=True)
    rows = judged_rows(table).rows
    capped = rows[scored.result.guardrail_points[rows] < -5]
    row = capped[0]
    at = accounts_tab(ONE, draft_id=draft_id)
    at.selectbox(key="acct::pick").set_value(table.account_id[row]).run()
    assert_clean(at)
    shown = contributions_shown(at)
    cap = scored.result.guardrail_points[row]
    assert np.allclose(shown["Adds to score"], np.nan_to_num(scored.result.contributions[row]))
    assert shown["Adds to score"].sum() + cap == pytest.approx(scored.result.score[row])
    assert metric(at, "Score") == f"{scored.result.score[row]:.1f}"
    assert any("No executive sponsor" in m.value and "points removed" in m.value
               for m in at.markdown)
    bars = next(chart_data(c) for c in at.get("vega_lite_chart")
                if "Points added to the score" in c.proto.spec)
    assert bars.set_index("factor").loc["Guardrail cap", "points"] == pytest.approx(cap)
    assert bars["points"].sum() == pytest.approx(scored.result.score[row])


def test_script_name_is_shown_as_text(demo):
    at = accounts_tab(ONE)
    at.selectbox(key="acct::pick").set_value(SCRIPT_ACCOUNT).run()
    assert_clean(at)
    pick = at.selectbox(key="acct::pick")
    assert pick.format_func(pick.value) == f"{SCRIPT_ACCOUNT} · {SCRIPT_NAME}"
    heading = next(s.value for s in at.subheader
                   if SCRIPT_ACCOUNT in s.value.replace("\\", ""))
    assert "<script>" not in heading  # markdown-escaped: the browser shows it literally
    assert heading.replace("\\", "") == f"{SCRIPT_ACCOUNT} · {SCRIPT_NAME}"
    for element in at.markdown:
        assert not (element.proto.allow_html and "script" in element.value)
    # the only raw HTML on any page is the reviewed constant layout CSS and sidebar fold
    # script, never account data
    reviewed = {CSS.strip(), FOLD_SIDEBAR_JS.strip()}
    assert all(h.proto.body.strip() in reviewed for h in at.get("html"))


def test_single_snapshot_drill_down_says_no_history(tmp_path, isolated_drafts):
    single_snapshot_workspace(tmp_path, "singlesnap0001")
    at = accounts_tab(ONE, draft_id="singlesnap0001")
    assert any("no score history" in i.value for i in at.info)


def test_falling_scores_lists_open_accounts_from_calibration():
    from calibration.validation import falling_accounts

    at = accounts_tab("Falling scores")
    at.slider(key="acct::fall_points").set_value(15).run()
    assert_clean(at)
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    expected = falling_accounts(table, score_frame(table.frame, config).result, 15, 90)
    shown = next(d.value for d in at.dataframe if "Score now" in d.value.columns
                 or "latest_score" in d.value.columns)
    assert list(shown["account_id"]) == list(expected["account_id"])
    assert any(f"{len(expected):,} open accounts" in m.value for m in at.markdown)


def test_shareable_explanation_is_offered_and_escaped():
    from calibration.report import explain_account

    at = accounts_tab(ONE)
    labels = [b.label for b in at.get("download_button")]
    assert "Explanation to share with the customer (HTML)" in labels
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    row = int(np.flatnonzero(table.frame["account_name"].str.startswith("<script>"))[0])
    html = explain_account(table.frame, config, row)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_accounts_is_in_tabs_and_factor_charts_fit_their_kind(demo):
    """Tabs instead of one 5,000 px page; a yes/no factor is two bars (share yes), a
    category factor bars per category, a number a back-to-back histogram."""
    _, table, *_ = demo
    at = accounts_tab("Factor by factor")
    labels = [t.label for t in at.tabs]
    outer = ["Accounts the score missed", "One account, explained", "Factor by factor",
             "Reference accounts", "Falling scores"]
    assert [label for label in labels if label in outer] == outer
    at.multiselect(key="acct::factors").set_value(
        ["Executive sponsor", "CSM assessment", "Logins"]).run()
    assert_clean(at)
    charts = list(at.get("vega_lite_chart"))
    rows = judged_rows(table, 90).rows
    frame = table.frame.iloc[rows]
    churned = table.outcome[rows] == "churned"
    # yes/no: share with a sponsor among renewed and among churned (pandas, by hand)
    sponsor = next(c for c in charts if "Share with Executive sponsor: yes" in c.proto.spec)
    shown = chart_data(sponsor).set_index("outcome")["share"]
    flags = frame["exec_sponsor"].map({True: 1.0, False: 0.0, "true": 1.0, "false": 0.0})
    for outcome, mask in (("renewed", ~churned), ("churned", churned)):
        assert shown[outcome] == pytest.approx(flags[mask].mean())
    # categories: each group's share per category
    csm = next(c for c in charts if '"category"' in c.proto.spec)
    data = chart_data(csm)
    want = frame.loc[churned, "csm_assessment"].astype(str).value_counts(normalize=True)
    got = data[data["outcome"] == "churned"].set_index("category")["share"]
    for category, share in got.items():
        assert share == pytest.approx(want.get(category, 0.0))
    # numbers: renewed above the axis, churned below, never overlaid
    logins = next(c for c in charts if "plotted" in c.proto.spec)
    data = chart_data(logins)
    assert (data.loc[data["outcome"] == "churned", "plotted"] <= 0).all()
    assert (data.loc[data["outcome"] == "renewed", "plotted"] >= 0).all()


def _agreement(judged: pd.DataFrame) -> tuple[float, int, int, int]:
    """Reference agreement by hand: (rate, n labelled scored, healthy red, struggling green)."""
    scored = judged[judged["band"] >= 0]
    healthy = scored["label"].eq("known_healthy")
    struggling = scored["label"].eq("known_struggling")
    right = (healthy & scored["band"].eq(2)) | (struggling & scored["band"].eq(0))
    n = int(healthy.sum() + struggling.sum())
    return (right.sum() / n, n, int((healthy & scored["band"].eq(0)).sum()),
            int((struggling & scored["band"].eq(2)).sum()))


def test_tagged_accounts_count_in_the_reference_agreement_on_calibrate(demo):
    """Tag an unlabelled red account known-struggling and re-tag a labelled green account
    known-struggling on Accounts: Calibrate's agreement includes both (tag beats column)."""
    from calibration import formatting

    config, table = demo[0], demo[1]
    judged = independent.judged_accounts(table, config, columns=("reference_label",))
    judged["label"] = judged["reference_label"].fillna("").astype(str)
    before = _agreement(judged)
    red_unlabelled = judged[(judged["label"] == "") & (judged["band"] == 0)]
    green_healthy = judged[(judged["label"] == "known_healthy") & (judged["band"] == 2)]
    new_id, flipped_id = red_unlabelled["account_id"].iloc[0], green_healthy["account_id"].iloc[0]

    at = accounts_tab(ONE)
    for account, tag in ((new_id, "struggling"), (flipped_id, "struggling")):
        at.selectbox(key="acct::pick").set_value(account).run()
        at.radio(key=f"acct::tag::{account}").set_value(tag).run()
        assert_clean(at)
    at.selectbox(key="acct::pick").set_value(flipped_id).run()
    assert at.radio(key=f"acct::tag::{flipped_id}").value == "struggling"
    assert any("overrides" in c.value for c in at.caption)  # the column said known healthy
    at.switch_page("app_pages/calibrate.py").run()
    assert_clean(at)
    # stored under the data's content fingerprint, not its file name
    from calibration.reference_tags import dataset_key
    from calibration.store import open_store
    from calibration.store.tags import tags_for

    stored = {t.account_id: t.tag for t in tags_for(open_store(), "local", dataset_key(table))}
    assert stored == {str(new_id): "struggling", str(flipped_id): "struggling"}

    tagged = judged.copy()
    tagged.loc[tagged["account_id"].isin([new_id, flipped_id]), "label"] = "known_struggling"
    rate, n, healthy_red, struggling_green = _agreement(tagged)
    assert n == before[1] + 1 and rate != before[0]
    card = next(m for m in at.metric if m.label == "Known accounts in the right band")
    assert card.value == formatting.percent(rate)
    assert any(f"of {n:,} labelled" in c.value and
               f"{healthy_red:,} known-healthy accounts are red" in c.value and
               f"{struggling_green:,} known-struggling accounts are green" in c.value
               for c in at.caption)
    # the tags are stored in the workspace store (per user and data set): a new session
    # on the same data sees them
    again = run_app(page="calibrate")
    assert next(m.value for m in again.metric
                if m.label == "Known accounts in the right band") == formatting.percent(rate)
    # clearing a tag gives the column back
    open_tab(at.switch_page("app_pages/accounts.py"), ONE)
    at.selectbox(key="acct::pick").set_value(flipped_id).run()
    at.radio(key=f"acct::tag::{flipped_id}").set_value("none").run()
    at.switch_page("app_pages/calibrate.py").run()
    only_new = judged.copy()
    only_new.loc[only_new["account_id"] == new_id, "label"] = "known_struggling"
    assert next(m.value for m in at.metric if m.label == "Known accounts in the right band"
                ) == formatting.percent(_agreement(only_new)[0])
