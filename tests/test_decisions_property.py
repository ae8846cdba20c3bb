"""Property: reordering rows or converting between layouts never changes validate's output."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.accounts import prepare
from calibration.config import ColumnRoles, Config
from calibration.renewals import attach_renewals, prepare_renewals, snapshot_roles
from calibration.scoring import score_frame
from calibration.validation import validate
from tests import layouts

CONFIG = Config.model_validate(layouts.config_dict())
ROLES = ColumnRoles(**layouts.ROLES)
LAYOUTS = ("repeated", "last row only", "pending", "renewals table", "mixed offsets",
           "local time zone")


def _table(kind: str, frame, order_seed: int):
    if kind == "renewals table":
        snapshots, renewals = layouts.layout_renewals_table(frame)
        snapshots = layouts.shuffled(snapshots, order_seed)
        roles = snapshot_roles(snapshots, ROLES)
        table = prepare(snapshots, roles, CONFIG.model_copy(update={"columns": roles}))
        canonical, _ = prepare_renewals(layouts.shuffled(renewals, order_seed), ROLES)
        return attach_renewals(table, canonical)
    render = {"repeated": layouts.layout_repeated,
              "last row only": layouts.layout_last_row_only,
              "pending": layouts.layout_pending,
              "mixed offsets": lambda f: layouts.with_mixed_offsets(layouts.layout_pending(f)),
              "local time zone": lambda f: layouts.with_local_time_zone(
                  layouts.layout_repeated(f), "Asia/Kolkata")}[kind]
    return prepare(layouts.shuffled(render(frame), order_seed), ROLES, CONFIG)


def _validated(table) -> str:
    evidence = validate(table, CONFIG, score_frame(table.frame, CONFIG), horizon_days=60,
                        bootstrap_resamples=25, seed=3)
    for key in ("source", "description"):  # name the source: the only legitimate difference
        evidence["sample"].pop(key)
    return json.dumps(evidence, sort_keys=True, default=str, allow_nan=True)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), order=st.integers(0, 10_000),
       kind=st.sampled_from(LAYOUTS))
def test_layout_and_row_order_never_change_validate(seed, order, kind):
    frame, _ = layouts.history(seed, n_accounts=30)
    reference = _validated(_table("repeated", frame, 0))
    assert _validated(_table(kind, frame, order)) == reference
