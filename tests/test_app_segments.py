"""AppTest: the Segments page adds an Onboarding segment and shows its own metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scoring import score_frame
from calibration.validation import by_config_segment
from tests import independent
from tests.apptest_support import assert_clean, run_app
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


def test_add_onboarding_segment_and_tune_it():
    at = run_app(page="segments")
    # the form is drawn only while its expander is open (a first visit reads no candidates)
    assert not any(s.key == "seg::new::column" for s in at.selectbox)
    assert "Add a segment" in [e.label for e in at.main.expander]
    at.session_state["seg::add_open"] = True
    at.run()
    at.selectbox(key="seg::new::column").set_value("lifecycle_stage").run()
    at.multiselect(key="seg::new::values").select("Onboarding").run()
    at.text_input(key="seg::new::name").input("Onboarding").run()
    next(b for b in at.button if b.label == "Add segment").click().run()
    assert_clean(at)
    at.slider(key="seg::0::w::Feature adoption").set_value(50).run()
    assert_clean(at)
    shown = at.dataframe[0].value.set_index("Config used")
    assert list(shown.index) == ["Onboarding", "Default"]
    # independent: score the demo data with the same segment config directly
    config = load_config(DEMO_CONFIG)
    raw = config.model_dump()
    raw["segments"] = [{"name": "Onboarding", "match": {"column": "lifecycle_stage",
                                                         "values": ["Onboarding"]}}]
    from calibration.weights import apply_segment_flat_weights, flat_weights, round_to_total

    config = type(config).model_validate(raw)
    flat = round_to_total(flat_weights(config, segment=0), digits=0)
    from calibration.weights import rebalance

    config = apply_segment_flat_weights(config, 0, rebalance(flat, "Feature adoption", 50,
                                                             digits=0))
    table = load_accounts(DEMO_DATA, config)
    summary = by_config_segment(table, config, score_frame(table.frame, config))
    for item in summary:
        assert shown.loc[item["segment"], "Accounts judged"] == item["metrics"]["n_scored"]
        auc = item["metrics"]["auc"]["value"]
        if auc is None:  # e.g. no onboarding account is judged 90 days before renewal
            assert pd.isna(shown.loc[item["segment"], "AUC"])
            assert item["metrics"]["auc"]["reason"] in shown.loc[item["segment"], "Note"]
        else:
            assert shown.loc[item["segment"], "AUC"] == pytest.approx(auc)
    assert shown["Accounts now"].sum() == 3000
    # accounts now: each account's latest snapshot (pandas, by hand) matched on its stage
    frame = pd.read_parquet(DEMO_DATA).sort_values(["account_id", "snapshot_date"])
    latest = frame.groupby("account_id").tail(1)
    onboarding = int((latest["lifecycle_stage"].str.strip().str.casefold() == "onboarding").sum())
    assert 0 < onboarding < 3000
    assert shown.loc["Onboarding", "Accounts now"] == onboarding
    assert shown.loc["Default", "Accounts now"] == 3000 - onboarding
    # and by a pandas groupby of the judged accounts (not by_config_segment)
    judged = independent.judged_accounts(table, config, columns=("lifecycle_stage",))
    judged["config"] = np.where(judged["lifecycle_stage"].str.strip().str.casefold()
                                == "onboarding", "Onboarding", "Default")
    for name, group in judged.groupby("config"):
        assert shown.loc[name, "Accounts judged"] == len(group)
        if group["churned"].any() and not group["churned"].all():
            assert shown.loc[name, "AUC"] == pytest.approx(independent.auc(group))
