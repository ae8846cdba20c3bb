"""First guesses for new data: roles, outcome labels, factor rules, starter configs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import prepare
from calibration.autoconfig.outcome_values import (
    churn_flags,
    describe_outcomes,
    detect_outcome_values,
    outcome_counts,
)
from calibration.autoconfig.probes import prettify
from calibration.autoconfig.roles import detect_roles, initial_roles, roles_with_outcomes
from calibration.autoconfig.starter import (
    candidate_factor_columns,
    default_factor_columns,
    rank_factor_columns,
    starter_config,
    suggest_factor,
    with_roles,
)
from calibration.config import (
    BooleanRule,
    ColumnRoles,
    ConfigError,
    LinearRule,
    MappingRule,
    config_from_json,
)
from calibration.data_files import read_table
from calibration.scoring import rule_points, score_frame
from tests.conftest import DEMO_DATA, TELCO, make_config

needs_telco = pytest.mark.skipif(not TELCO.exists(), reason=f"telco CSV not found at {TELCO}")


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    if not TELCO.exists():
        pytest.skip(f"telco CSV not found at {TELCO}")
    return read_table(TELCO)


def saas(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """A small dated SaaS table where low usage and many tickets churn."""
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    tickets = rng.integers(0, 12, n)
    churn = (usage < 35) | (tickets > 9)
    return pd.DataFrame({
        "Account ID": [f"A{i:04d}" for i in range(n)],
        "As of": pd.date_range("2026-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "Renewal Date": pd.date_range("2026-06-01", periods=n, freq="D"),
        "Customer Segment": rng.choice(["SMB", "Enterprise"], n),
        "ARR": rng.uniform(1e4, 1e5, n).round(2),
        "MonthlyCharges": rng.uniform(10, 100, n),
        "Renewal outcome": np.where(churn, "Churned", "Renewed"),
        "usage": usage,
        "tickets": tickets,
        "exec_sponsor": rng.choice(["yes", "no"], n),
        "notes": [f"free text {i}" for i in range(n)],
        "region": "EMEA",
    })


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(("column", "name"), [
    ("TotalCharges", "Total charges"), ("tenure", "Tenure"), ("NPS", "NPS"),
    ("Months_on_book", "Months on book"), ("SeniorCitizen", "Senior citizen"),
    ("active_user_pct", "Active user pct"),
])
def test_prettify(column, name):
    assert prettify(column) == name


# --------------------------------------------------------------------------- roles
@needs_telco
def test_telco_roles(telco):
    roles = detect_roles(telco)
    assert roles.account_id == "customerID"
    assert roles.outcome == "Churn"
    assert roles.churned_values == ["Yes"] and roles.renewed_values == ["No"]
    assert roles.snapshot_date is None and roles.renewal_date is None
    assert roles.arr is None, "MonthlyCharges x 12 is not ARR"
    assert roles.segment is None and roles.reference_label is None
    table = prepare(telco, roles)
    assert table.cross_sectional and len(table) == 7043


def test_saas_roles_from_names_and_values():
    roles = detect_roles(saas())
    assert roles.account_id == "Account ID"
    assert roles.snapshot_date == "As of"
    assert roles.renewal_date == "Renewal Date"
    assert roles.segment == "Customer Segment"
    assert roles.arr == "ARR"
    assert roles.outcome == "Renewal outcome"
    assert roles.churned_values == ["Churned"] and roles.renewed_values == ["Renewed"]


def test_demo_roles():
    frame = read_table(DEMO_DATA)
    roles = detect_roles(frame)
    assert (roles.account_id, roles.snapshot_date, roles.renewal_date, roles.outcome,
            roles.arr, roles.segment) == ("account_id", "snapshot_date", "renewal_date",
                                          "outcome", "arr", "segment")
    prepare(frame, roles)  # usable as detected


def test_roles_not_found_are_none_and_id_falls_back_to_unique_column():
    frame = pd.DataFrame({"code": ["x1", "x2", "x3"], "score": [1.0, 2.0, 3.0]})
    roles = detect_roles(frame)
    assert roles.account_id == "code"
    assert (roles.snapshot_date, roles.renewal_date, roles.outcome, roles.arr,
            roles.segment) == (None, None, None, None, None)


def test_date_name_with_non_date_values_is_not_a_snapshot_date():
    frame = pd.DataFrame({"id": [1, 2, 3], "month": [1, 2, 3], "churn": ["yes", "no", "no"]})
    roles = detect_roles(frame)
    assert roles.snapshot_date is None and roles.outcome == "churn"


def test_bank_churners_style_attrition_flag():
    frame = pd.DataFrame({"CLIENTNUM": [11, 12, 13, 14],
                          "Attrition_Flag": ["Existing Customer", "Attrited Customer",
                                             "Existing Customer", "Existing Customer"]})
    roles = detect_roles(frame)
    assert roles.account_id == "CLIENTNUM" and roles.outcome == "Attrition_Flag"
    assert roles.churned_values == ["Attrited Customer"]
    assert roles.renewed_values == ["Existing Customer"]


# --------------------------------------------------------------------------- outcomes
@pytest.mark.parametrize(("values", "churned", "renewed"), [
    (["Yes", "No", "No"], ["Yes"], ["No"]),
    ([1, 0, 0, 1], ["1"], ["0"]),
    ([1.0, 0.0, np.nan], ["1"], ["0"]),
    ([True, False], ["true"], ["false"]),
    (["TRUE", "false"], ["TRUE"], ["false"]),
    (["churned", "renewed", "open", ""], ["churned"], ["renewed"]),
    (["Attrited Customer", "Existing Customer"], ["Attrited Customer"], ["Existing Customer"]),
    (["Closed Lost", "Closed Won", "won"], ["Closed Lost"], ["won", "Closed Won"]),
    (["cancelled", "active", "Active"], ["cancelled"], ["active"]),
])
def test_outcome_vocabulary(values, churned, renewed):
    guess = detect_outcome_values(pd.Series(values, name="outcome"))
    assert guess.confident, guess.reason
    assert guess.churned_values == churned
    assert sorted(guess.renewed_values) == sorted(renewed)
    assert "" in guess.open_values


def test_yes_means_renewed_when_the_column_says_renewed():
    guess = detect_outcome_values(pd.Series(["Yes", "No", "Yes"], name="Renewed"))
    assert guess.churned_values == ["No"] and guess.renewed_values == ["Yes"]


def test_outcome_sentence():
    guess = detect_outcome_values(pd.Series(["Yes", "No", "pending"], name="Churn"))
    assert guess.sentence == "'Yes' means churned, 'No' means renewed, 'pending' means still open"
    assert guess.open_values == ["pending", ""]


def test_ambiguous_outcomes_ask_the_user():
    guess = detect_outcome_values(pd.Series(["Ja", "Nein", "Ja"], name="outcome"))
    assert not guess.confident
    assert guess.unknown_values == ["Ja", "Nein"]
    assert "'Ja' and 'Nein'" in guess.reason and "choose" in guess.reason
    only_churn = detect_outcome_values(pd.Series(["churned", "open"]))
    assert "no value clearly means renewed" in only_churn.reason.lower()


def test_outcome_counts_and_description():
    series = pd.Series(["Yes", "No", "no", "No", None, "open"])
    counts = outcome_counts(series)
    assert counts.to_dict("list") == {"value": ["No", "(blank)", "open", "Yes"],
                                      "rows": [3, 1, 1, 1]}
    text = describe_outcomes(series, ["yes"], ["NO"])
    assert text == ("Churned = 'Yes' (1 rows) · Renewed = 'No' (3 rows) · "
                    "Open = the rest (2 rows)")


def test_roles_with_outcomes_puts_the_rest_in_open():
    series = pd.Series(["Ja", "Nein", "Offen", None])
    roles = roles_with_outcomes({"account_id": "id", "outcome": "o"}, series, ["Ja"], ["Nein"])
    assert roles.churned_values == ["Ja"] and roles.renewed_values == ["Nein"]
    assert roles.open_values == ["Offen", ""]
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "o": series})
    assert list(prepare(frame, roles).outcome) == ["churned", "renewed", "open", "open"]


@pytest.mark.parametrize(("roles", "churned", "renewed", "message"), [
    ({"outcome": "o"}, ["Ja"], ["Nein"], "account id"),
    ({"account_id": "id", "outcome": "o"}, [], ["Nein"], "at least one value"),
    ({"account_id": "id", "outcome": "o"}, ["Ja"], ["ja"], "both churned and renewed"),
    ({"account_id": "o", "outcome": "o"}, ["Ja"], ["Nein"], "only one role"),
])
def test_roles_with_outcomes_refuses(roles, churned, renewed, message):
    with pytest.raises(ValueError, match=message):
        roles_with_outcomes(roles, pd.Series(["Ja", "Nein"]), churned, renewed)


def test_initial_roles_keeps_current_columns_when_present():
    frame = saas()
    current = ColumnRoles(account_id="Account ID", snapshot_date=None, segment="region",
                          arr=None, outcome="Renewal outcome", renewal_date=None,
                          reference_label=None, churned_values=["churned"],
                          renewed_values=["renewed"], open_values=[""])
    roles = initial_roles(frame, current)
    assert roles.segment == "region" and roles.arr is None  # unmapped stays unmapped
    assert roles.renewal_date is None
    assert roles.churned_values == ["churned"]  # they cover every value (case-insensitive)
    other = initial_roles(frame, ColumnRoles())  # demo-style roles absent here: detected
    assert other == detect_roles(frame)


def test_churn_flags():
    frame = pd.DataFrame({"o": ["Yes", "no", "maybe", None]})
    roles = ColumnRoles(account_id="o", outcome="o", churned_values=["yes"],
                        renewed_values=["No"])
    np.testing.assert_array_equal(churn_flags(frame, roles), [1.0, 0.0, np.nan, np.nan])
    assert np.isnan(churn_flags(frame, roles.model_copy(update={"outcome": None}))).all()


# --------------------------------------------------------------------------- factors
def test_numeric_factor_direction_follows_churn():
    frame = saas(500)
    flags = (frame["Renewal outcome"] == "Churned").to_numpy()
    usage = suggest_factor(frame, "usage", flags)
    assert usage.name == "Usage" and usage.direction == "higher_is_better"
    assert isinstance(usage.rule, LinearRule)
    lo, hi = np.percentile(frame["usage"], [10, 90])
    assert usage.rule.lo == pytest.approx(lo, rel=1e-3)
    assert usage.rule.hi == pytest.approx(hi, rel=1e-3)
    tickets = suggest_factor(frame, "tickets", flags)
    assert tickets.direction == "lower_is_better"
    assert suggest_factor(frame, "tickets").direction == "higher_is_better"  # no outcomes


def test_text_numbers_with_blanks_become_numeric_with_a_note():
    frame = pd.DataFrame({"TotalCharges": ["10.5", " ", "20", "", "1,030.25", "40", "55"]})
    factor = suggest_factor(frame, "TotalCharges")
    assert isinstance(factor.rule, LinearRule) and factor.name == "Total charges"
    assert "2 blank" in factor.description
    points = rule_points(frame["TotalCharges"], factor)
    assert np.isnan(points[[1, 3]]).all() and not np.isnan(points[[0, 2, 4]]).any()


def test_yes_no_becomes_boolean_flipped_when_yes_churns():
    frame = pd.DataFrame({"PaperlessBilling": ["Yes", "Yes", "No", "No", "yes", "No"]})
    plain = suggest_factor(frame, "PaperlessBilling")
    assert isinstance(plain.rule, BooleanRule) and plain.rule.true_points == 100
    flipped = suggest_factor(frame, "PaperlessBilling", [1, 1, 0, 0, 0, 0])
    assert (flipped.rule.true_points, flipped.rule.false_points) == (0, 100)
    assert isinstance(suggest_factor(pd.DataFrame({"s": [0, 1, 1]}), "s").rule, BooleanRule)


def test_category_points_are_rescaled_renewal_rates():
    contract = ["Month-to-month"] * 4 + ["One year"] * 4 + ["Two year"] * 2 + [None]
    churned = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0, np.nan]
    factor = suggest_factor(pd.DataFrame({"Contract": contract}), "Contract", churned)
    assert isinstance(factor.rule, MappingRule) and factor.rule.default is None
    # renewal rates 25%, 75%, 100% -> 0, 66.7, 100
    assert factor.rule.points == {"Month-to-month": 0.0, "One year": 66.7, "Two year": 100.0}
    even = suggest_factor(pd.DataFrame({"Contract": contract}), "Contract")
    assert even.rule.points == {"Month-to-month": 0.0, "One year": 50.0, "Two year": 100.0}


def test_unscorable_columns_are_refused():
    frame = saas()
    with pytest.raises(ValueError, match="free text"):
        suggest_factor(frame, "notes")
    with pytest.raises(ValueError, match="fewer than two"):
        suggest_factor(frame, "region")
    with pytest.raises(ValueError, match="not in the data"):
        suggest_factor(frame, "nope")


def test_candidate_columns_exclude_roles_ids_constants_and_free_text():
    frame = saas()
    roles = detect_roles(frame)
    assert candidate_factor_columns(frame, roles) == ["MonthlyCharges", "usage", "tickets",
                                                       "exec_sponsor"]


def test_ranking_puts_separating_columns_first():
    frame = saas(500)
    flags = (frame["Renewal outcome"] == "Churned").to_numpy()
    ranked = rank_factor_columns(frame, ["MonthlyCharges", "exec_sponsor", "usage"], flags)
    assert ranked[0] == "usage"
    assert rank_factor_columns(frame, ["b", "a"]) == ["b", "a"]


# --------------------------------------------------------------------------- starter
def test_starter_config_is_valid_with_equal_weights():
    frame = saas(400)
    roles = detect_roles(frame)
    config = starter_config(frame, roles, ["usage", "tickets", "exec_sponsor"], "Starter")
    assert config.name == "Starter" and config.columns == roles
    assert [f.weight for f in config.factors] == pytest.approx([100 / 3] * 3)
    assert config.group_names() == ["Overall"]
    assert (config.bands.red_max, config.bands.yellow_max) == (30, 70)
    assert config_from_json(config.to_json()) == config
    scored = score_frame(frame, config, explain=False)
    churned = frame["Renewal outcome"] == "Churned"
    assert scored.result.score[churned].mean() < scored.result.score[~churned].mean()


def test_starter_config_lists_every_bad_column():
    frame = saas()
    with pytest.raises(ConfigError) as info:
        starter_config(frame, detect_roles(frame), ["notes", "region", "usage"])
    assert len(info.value.problems) == 2
    with pytest.raises(ConfigError, match="at least one"):
        starter_config(frame, detect_roles(frame), [])


@needs_telco
def test_telco_starter(telco):
    roles = detect_roles(telco)
    columns = default_factor_columns(telco, roles)
    assert len(columns) == 12
    assert {"Contract", "tenure", "TotalCharges"} <= set(columns)
    assert "customerID" not in candidate_factor_columns(telco, roles)
    config = starter_config(telco, roles, columns)
    factors = {f.column: f for f in config.factors}
    assert factors["Contract"].rule.points["Month-to-month"] == 0.0
    assert factors["Contract"].rule.points["Two year"] == 100.0
    assert factors["tenure"].direction == "higher_is_better"
    assert factors["MonthlyCharges"].direction == "lower_is_better"
    report = prepare(telco, roles, config).report
    blank = [i for i in report.issues if i.column == "TotalCharges"]
    assert len(blank) == 1 and blank[0].n_rows == 11 and len(blank[0].rows) == 11
    assert "11 rows" in blank[0].message and report.n_rows_used == 7043


def test_with_roles_replaces_columns_only():
    config = make_config()
    roles = ColumnRoles(account_id="acct", snapshot_date=None, outcome="status")
    changed = with_roles(config, roles)
    assert changed.columns == roles and changed.factors == config.factors
