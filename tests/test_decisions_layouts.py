"""Every data layout is judged the same: validate, score --horizon-days --out, suggest and
compare see exactly the renewal decisions an independent pandas selection finds.

One generated history (tests/layouts.py) is written as: outcome repeated on every row, only
on the last row of each cycle, 'pending' until decided, a separate renewals table, shuffled
rows, mixed UTC offsets in the date column, and CSV vs Parquet (local time zone). Accounts have
one or two renewal cycles, so multi-cycle data is in every layout.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibration.cli import main
from calibration.config import Config
from calibration.scoring import score_frame
from tests import layouts

HORIZON = 90


@pytest.fixture(scope="module")
def generated():
    frame, truth = layouts.history(seed=11)
    return frame, truth


@pytest.fixture(scope="module")
def expected(generated):
    """Independent selection plus the score of each judged snapshot and the AUC (scipy)."""
    frame, truth = generated
    base = layouts.layout_repeated(frame)
    picked = layouts.expected_decisions(base, truth, HORIZON)
    config = Config.model_validate(layouts.config_dict())
    scores = base.assign(score=score_frame(base, config).result.score)
    picked = picked.merge(scores[["account", "as_of", "score"]].rename(
        columns={"account": "account_id"}), on=["account_id", "as_of"])
    churned = picked["outcome"] == "churned"
    u = stats.mannwhitneyu(picked.loc[~churned, "score"], picked.loc[churned, "score"]).statistic
    auc = u / (churned.sum() * (~churned).sum())
    return picked, float(auc)


def _write(tmp_path, name: str, frame: pd.DataFrame, fmt: str = "csv") -> str:
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return str(path)


def _layout_files(kind: str, frame: pd.DataFrame, tmp_path) -> list[str]:
    """The --data (and --renewals) arguments for one layout."""
    if kind == "renewals table":
        snapshots, renewals = layouts.layout_renewals_table(frame)
        return ["--data", _write(tmp_path, "snapshots", snapshots), "--renewals",
                _write(tmp_path, "renewals", renewals)]
    render = {
        "repeated": layouts.layout_repeated,
        "last row only": layouts.layout_last_row_only,
        "pending until decided": layouts.layout_pending,
        "shuffled rows": lambda f: layouts.shuffled(layouts.layout_last_row_only(f)),
        "mixed offsets": lambda f: layouts.with_mixed_offsets(layouts.layout_pending(f)),
        "parquet, local time zone": lambda f: layouts.with_local_time_zone(
            layouts.shuffled(layouts.layout_repeated(f), seed=5)),
    }[kind]
    fmt = "parquet" if kind.startswith("parquet") else "csv"
    return ["--data", _write(tmp_path, "data", render(frame), fmt)]


LAYOUTS = ["repeated", "last row only", "pending until decided", "renewals table",
           "shuffled rows", "mixed offsets", "parquet, local time zone"]


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("kind", LAYOUTS)
def test_every_command_judges_the_same_decisions(kind, generated, expected, tmp_path, capsys):
    frame, _ = generated
    picked, auc = expected
    data = _layout_files(kind, frame, tmp_path)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(layouts.config_dict()))
    common = [*data, "--config", str(config), "--horizon-days", str(HORIZON)]
    n_churned = int((picked["outcome"] == "churned").sum())

    # validate: counts and AUC
    code, out, err = _run(["validate", *common, "--format", "json", "--bootstrap", "0"], capsys)
    assert code == 0, err
    evidence = json.loads(out)
    assert evidence["sample"]["n_judged"] == len(picked)
    assert evidence["n_churned"] == n_churned
    assert evidence["auc"]["value"] == pytest.approx(auc, abs=1e-12)
    churned_arr = picked.loc[picked["outcome"] == "churned", "arr"].sum()
    assert evidence["surprise_churn"]["count"] <= n_churned
    assert evidence["sample"]["n_judged_accounts"] < len(picked)  # several cycles judged
    red_max = Config.model_validate(layouts.config_dict()).bands.red_max
    red_churned = int(((picked["score"] <= red_max) & (picked["outcome"] == "churned")).sum())
    assert evidence["lead_time_days"]["red_at_judge_date"] == {
        "n_churned": n_churned, "n_red": red_churned, "recall": red_churned / n_churned}

    # score --horizon-days --out: exactly the expected decisions, rows and outcomes
    scored_path = tmp_path / "scored.csv"
    code, _, err = _run(["score", *common, "--out", str(scored_path)], capsys)
    assert code == 0, err
    scored = pd.read_csv(scored_path, parse_dates=["snapshot_date", "renewal_date",
                                                   "judge_date"])
    scored = scored.sort_values(["account_id", "renewal_date"]).reset_index(drop=True)
    assert list(scored["account_id"]) == list(picked["account_id"])
    assert list(scored["renewal_date"]) == list(picked["renewal_date"])
    assert list(scored["outcome"]) == list(picked["outcome"])
    assert list(scored["snapshot_date"]) == list(picked["as_of"])
    assert list(scored["judge_date"]) == list(picked["judge_date"])
    np.testing.assert_allclose(scored["arr"], picked["arr"])
    np.testing.assert_allclose(scored["score"], picked["score"], atol=1e-9)
    assert scored.loc[scored["outcome"] == "churned", "arr"].sum() == pytest.approx(churned_arr)

    # suggest: the same decisions and current AUC
    code, out, err = _run(["suggest", *common, "--folds", "3", "--out",
                           str(tmp_path / "suggested.json")], capsys)
    assert code == 0, err
    assert f"Judged {len(picked):,} renewal decisions" in out
    assert f"In-sample AUC: current {auc:.3f}" in out

    # compare (the config against itself): the same decisions and AUC
    code, out, err = _run(["compare", *common, "--baseline", str(config), "--format", "json",
                           "--resamples", "20"], capsys)
    assert code == 0, err
    comparison = json.loads(out)
    assert comparison["judged"]["n_judged"] == len(picked)
    assert comparison["judged"]["n_churned"] == n_churned
    assert comparison["metrics"]["auc"]["baseline"] == pytest.approx(auc, abs=1e-12)


def test_layouts_differ_from_the_judged_row(generated, expected):
    """The layouts really differ: in most of them the judged row does not say the outcome
    (so a consumer reading the judged row would get it wrong)."""
    frame, _ = generated
    picked, _ = expected
    last_only = layouts.layout_last_row_only(frame)
    judged = last_only.merge(picked, left_on=["account", "as_of"],
                             right_on=["account_id", "as_of"])
    assert (judged["status"] != judged["outcome"]).mean() > 0.9


def test_time_split_purges_decisions_renewed_after_the_first_test_judge_date(generated):
    from calibration import fitting
    from calibration.accounts import prepare
    from calibration.config import ColumnRoles
    from calibration.validation import judged_rows

    frame, _ = generated
    config = Config.model_validate(layouts.config_dict())
    table = prepare(layouts.layout_pending(frame), ColumnRoles(**layouts.ROLES), config)
    judged = judged_rows(table, HORIZON)
    scored = score_frame(table.frame, config)
    points = scored.matrix.points[judged.rows]
    split = fitting.time_split(points, judged.churned, judged.renewal_date, method="logit",
                               test_months=6, names=config.factor_names,
                               baseline=scored.result.score[judged.rows], groups=config,
                               judge_dates=judged.judge_date)
    renewal = pd.Series(judged.renewal_date)
    test = renewal >= pd.Timestamp(split["test_from"])
    first_test_judge = pd.Series(judged.judge_date)[test].min()
    assert split["train_before"] == str(first_test_judge.date())
    train = renewal < first_test_judge
    assert renewal[train].max() < first_test_judge  # no training decision after it
    assert split["n_train"] == int(train.sum()) and split["n_test"] == int(test.sum())
    assert split["n_purged"] == int((~train & ~test).sum()) > 0
    assert split["n_train"] + split["n_purged"] + split["n_test"] == judged.n_judged
    unpurged = fitting.time_split(points, judged.churned, judged.renewal_date, method="logit",
                                  test_months=6, names=config.factor_names)
    assert unpurged["n_train"] > split["n_train"]  # the purge really removes decisions
