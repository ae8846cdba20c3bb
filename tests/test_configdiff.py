"""``diff``: complete wording, score-based counts, configs with different factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.accounts import load_accounts
from calibration.cli import main
from calibration.compare import compare
from calibration.config import Config, load_config
from calibration.configdiff import config_diff, score_diff
from calibration.scoring import percentile_rule, score_frame
from tests.conftest import DEMO_CONFIG, DEMO_DATA


def demo_with_segment() -> Config:
    raw = load_config(DEMO_CONFIG).model_dump()
    raw["segments"] = [{"name": "Enterprise", "match": {"column": "segment",
                                                        "values": ["enterprise"]},
                        "weights": {"Feature adoption": 50.0}}]
    return Config.model_validate(raw)


def _with(config: Config, **changes) -> Config:
    return Config.model_validate({**config.model_dump(), **changes})


def independent_counts(frame: pd.DataFrame, a: Config, b: Config) -> tuple[int, int]:
    ra = score_frame(frame, a, explain=False).result
    rb = score_frame(frame, b, explain=False).result
    score = ~np.isclose(ra.score, rb.score, rtol=0, atol=1e-9, equal_nan=True)
    return int(score.sum()), int((ra.band != rb.band).sum())


def test_segment_override_change_is_worded_and_counted():
    base = demo_with_segment()
    raw = base.model_dump()
    raw["segments"][0]["group_weights"] = {"Support": 45.0}
    draft = Config.model_validate(raw)
    lines = config_diff(base, draft)
    assert "segment 'Enterprise': weight of group Support default -> 45" in lines
    assert any(line.startswith("segment 'Enterprise': Open tickets: weight") for line in lines)
    frame = pd.read_parquet(DEMO_DATA)
    result = score_diff(frame, base, draft)
    changed, banded = independent_counts(frame, base, draft)
    assert result.score_changed == changed > 0
    assert result.band_changed == banded
    assert result.max_move > 0 and len(result.largest) > 0


def test_small_weight_changes_are_not_hidden():
    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["groups"][0]["weight"] += 0.01  # Adoption 40 -> 40.01: shares move by ~0.003 points
    lines = config_diff(base, Config.model_validate(raw))
    assert any(line.startswith("Active users: weight 40.0") and "of the score" in line
               for line in lines), lines
    line = next(line for line in lines if line.startswith("Active users"))
    before, after = line.split("weight ")[1].split(" of the score")[0].split(" -> ")
    assert before != after


def test_percentile_rule_change_reads_differently_on_each_side():
    base = load_config(DEMO_CONFIG)
    frame = pd.read_parquet(DEMO_DATA)
    raw = base.model_dump()
    raw["factors"][0]["rule"] = percentile_rule(frame["active_user_pct"].to_numpy(float)
                                                ).model_dump()
    one = Config.model_validate(raw)
    raw["factors"][0]["rule"] = percentile_rule(frame["active_user_pct"].to_numpy(float)[:500]
                                                ).model_dump()
    two = Config.model_validate(raw)
    (line,) = [line for line in config_diff(one, two) if line.startswith("Active users")]
    before, after = line.split(": percentile rule changed: ")[1].split(" -> ")
    assert before != after


def test_scaled_weights_and_reordered_factors_are_no_difference():
    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["factors"] = [{**f, "weight": f["weight"] * 7} for f in reversed(raw["factors"])]
    other = Config.model_validate(raw)
    assert config_diff(base, other) == []
    assert other.fingerprint() == base.fingerprint()


@settings(max_examples=25, deadline=None)
@given(bump=st.floats(-0.2, 0.2), which=st.integers(0, 2))
def test_no_words_means_no_moves(bump, which):
    base = demo_with_segment()
    raw = base.model_dump()
    targets = [raw["groups"][0], raw["factors"][0], raw["factors"][1]]
    targets[which]["weight"] = max(0.0, targets[which]["weight"] + bump)
    draft = Config.model_validate(raw)
    frame = pd.read_parquet(DEMO_DATA).head(400)
    changed, banded = independent_counts(frame, base, draft)
    if not config_diff(base, draft):
        assert changed == banded == 0
        assert draft.fingerprint() == base.fingerprint()


def test_compare_accepts_a_draft_with_a_new_factor():
    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["factors"].append({"name": "Seats", "column": "logins_30d", "group": "Adoption",
                           "weight": 30.0, "rule": {"kind": "linear", "lo": 0, "hi": 200}})
    raw["factors"] = [f for f in raw["factors"] if f["name"] != "Escalations"]
    draft = Config.model_validate(raw)
    table = load_accounts(DEMO_DATA, draft)
    result = compare(table, base, draft, n_resamples=50)
    assert set(result.movers["moved_by"]) <= {*base.factor_names, "Seats", "guardrail"}
    assert "Seats" in set(result.movers["moved_by"])
    assert "factor Escalations removed" in result.differences


def test_cli_report_export_and_diff_with_an_added_factor(tmp_path, capsys):
    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["factors"].append({"name": "Seats", "column": "logins_30d", "group": "Adoption",
                           "weight": 30.0, "rule": {"kind": "linear", "lo": 0, "hi": 200}})
    draft_path, base_path = tmp_path / "draft.json", tmp_path / "base.json"
    draft_path.write_text(Config.model_validate(raw).to_json())
    base_path.write_text(base.to_json())
    common = ["--data", str(DEMO_DATA), "--config", str(draft_path), "--baseline",
              str(base_path), "--bootstrap", "50"]
    assert main(["report", *common, "--out", str(tmp_path / "r.html")]) == 0
    assert main(["export-config", *common, "--out", str(tmp_path / "e.json")]) == 0
    capsys.readouterr()
    assert main(["diff", str(base_path), str(draft_path), "--data", str(DEMO_DATA)]) == 0
    out = capsys.readouterr().out
    assert "new factor Seats" in out and "change score" in out and "largest moves" in out
