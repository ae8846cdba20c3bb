"""The Accounts page's miss lists (ui/account_lists.py), cached per config for every
session: each config's misses, their order and what they have in common are the ones
computed from scratch for that config, also when an earlier config's trait values are
reused (a threshold or weight change) or must not be (another best category)."""

from __future__ import annotations

import numpy as np
import pytest

from calibration import explain
from calibration.config import Config, load_config
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def variant(base: Config, change) -> Config:
    raw = base.model_dump()
    change(raw)
    return Config.model_validate(raw)


def by_hand(evaluation, mask: np.ndarray) -> list[int]:
    """The list's order: ARR in whole dollars descending, unknown last, then id as text."""
    arr = np.round(evaluation.judged.arr)
    ids = evaluation.judged.account_id
    return sorted(np.flatnonzero(mask).tolist(),
                  key=lambda i: (np.isnan(arr[i]), -np.nan_to_num(arr[i]), str(ids[i]), i))


def test_misses_per_config_equal_a_fresh_computation():
    from ui import account_lists, state

    base = load_config(DEMO_CONFIG)

    def factor(raw, name):
        return next(f for f in raw["factors"] if f["name"] == name)

    configs = [
        base,
        variant(base, lambda raw: factor(raw, "Active users")["rule"].update(lo=35.0)),
        variant(base, lambda raw: factor(raw, "Logins").update(weight=0)),
        # yellow is now the best CSM category: its trait reads "'yellow'", not "'green'"
        variant(base, lambda raw: factor(raw, "CSM assessment")["rule"]["points"].update(
            yellow=100.0, green=60.0)),
    ]
    ws = state.Workspace(draft_id="misslists001", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=base, draft=base)
    bests = set()
    for config in configs:
        evaluation = state.evaluate(ws, config)
        fresh = explain.trait_columns(evaluation.view.frame, config)
        groups = explain.misscored_groups(evaluation.judged_result.band, evaluation.churned)
        traits = account_lists.trait_columns(evaluation)
        np.testing.assert_array_equal(traits.values, fresh.values)
        assert (traits.names, traits.kinds, traits.labels) == (
            fresh.names, fresh.kinds, fresh.labels)
        bests.add(traits.labels[config.factor_names.index("CSM assessment")])
        got = account_lists.misses(evaluation)
        assert got is account_lists.misses(evaluation)  # cached
        for key, group in groups.items():
            np.testing.assert_array_equal(got[key]["mask"], group["mask"])
            assert got[key]["order"].tolist() == by_hand(evaluation, group["mask"])
            want = explain.common_traits(
                fresh.values, group["mask"], group["reference"], fresh.names,
                kinds=fresh.kinds, labels=fresh.labels,
                reference_label=group["reference_label"], top=account_lists.TRAITS)
            assert got[key]["common"] == want
    assert bests == {"'green'", "'yellow'"}


def test_markdown_rows_keep_each_account_on_one_row():
    """A name, id or segment holding a line break (a quoted multi-line CSV cell) must not end
    the Markdown table row: GFM would start a new row there and shift the rest of the cells
    (ARR shown under Segment, the score under ARR)."""
    from markdown_it import MarkdownIt

    from ui import account_lists

    frame = explain.account_list(
        np.array(["A\r\n1", "A2"], dtype=object), np.array([5000.0, 100.0]),
        np.array([10.0, 80.0]), np.array([0, 2]),
        names=np.array(["Acme\nCorp", "Beta | Ltd"], dtype=object),
        segments=np.array(["SMB\rEU", "Ent"], dtype=object))
    html = MarkdownIt("commonmark").enable("table").render(account_lists.markdown_rows(frame))
    assert html.count("<tr>") == 3  # the header and one row per account
    assert "<td>5,000</td>" in html.split("</tr>")[1]  # the first account's ARR, in its row


def test_the_caption_says_largest_by_arr_only_when_the_rows_have_an_arr():
    """Without an ARR column every decision's ARR is unknown and the list is in account id
    order: "the 10 largest by ARR" would not be true."""
    from ui import account_lists

    assert account_lists.lead_in(np.array([900.0, np.nan]), 40, "false alarms") == (
        "The 2 largest by ARR of 40 false alarms:")
    caption = account_lists.lead_in(np.full(10, np.nan), 4_000, "surprise churns")
    assert "largest by ARR" not in caption
    assert caption.startswith("The first 10 by account id of 4,000 surprise churns")
