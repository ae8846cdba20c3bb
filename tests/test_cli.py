"""The command line, run as a user would: real files, exit codes, messages."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from calibration.cli import main
from tests.conftest import make_config


def write_inputs(tmp_path):
    data = tmp_path / "accounts.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "usage": [50, 100, "oops"], "tickets": [5, 0, 10],
                  "outcome": ["renewed", "churned", "open"], "arr": [1, 2, 3]}).to_csv(
        data, index=False)
    config = tmp_path / "config.json"
    config.write_text(make_config().to_json())
    return data, config


def test_score_writes_points_that_sum_to_the_score(tmp_path, capsys):
    data, config = write_inputs(tmp_path)
    out = tmp_path / "scored.csv"
    assert main(["score", "--data", str(data), "--config", str(config), "--out", str(out)]) == 0
    scored = pd.read_csv(out)
    np.testing.assert_allclose(scored["score"], [50, 100, 0])
    points = scored[["points: usage", "points: tickets"]].sum(axis=1)
    np.testing.assert_allclose(points, scored["score"])
    assert set(scored["config_hash"]) == {make_config().fingerprint()}
    assert "row" in capsys.readouterr().err  # the text-in-numeric-column warning names rows


def test_bad_config_exits_nonzero_with_message(tmp_path, capsys):
    data, config = write_inputs(tmp_path)
    config.write_text('{"schema_version": 1, "factors": []}')
    code = main(["score", "--data", str(data), "--config", str(config), "--out",
                 str(tmp_path / "o.csv")])
    assert code == 1
    err = capsys.readouterr().err
    assert "factors" in err and "Traceback" not in err


def test_refuses_to_overwrite(tmp_path, capsys):
    data, config = write_inputs(tmp_path)
    out = tmp_path / "o.csv"
    out.write_text("keep me")
    assert main(["score", "--data", str(data), "--config", str(config), "--out", str(out)]) == 1
    assert out.read_text() == "keep me"
    assert "already exists" in capsys.readouterr().err


def test_module_entry_point_runs(tmp_path):
    data, config = write_inputs(tmp_path)
    done = subprocess.run([sys.executable, "-m", "calibration", "score", "--data", str(data),
                           "--config", str(config), "--out", str(tmp_path / "x.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run([sys.executable, "-m", "calibration", "score", "--data",
                              str(tmp_path / "nope.csv"), "--config", str(config), "--out",
                              str(tmp_path / "y.csv")], capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 1 and "cannot read the file" in missing.stderr
    assert "Traceback" not in missing.stderr
