"""`validate`'s text skips what it does not print (segment bootstraps, logits, lead times,
per-factor signal), yet prints exactly the text of the full evidence (`--format json`)."""

from __future__ import annotations

import json

import pandas as pd

from calibration.cli import main
from calibration.config import load_config
from calibration.report_text import validation_text
from tests.conftest import DEMO_CONFIG, DEMO_DATA, ROOT, TELCO


def _small_demo(tmp_path):
    """The first 150 demo accounts, one segment without any churned decision, some scores
    missing (every factor blank): too few churned, an undefined segment AUC, unscored rows."""
    frame = pd.read_parquet(DEMO_DATA)
    frame = frame[frame["account_id"].isin(frame["account_id"].unique()[:150])].copy()
    frame.loc[frame["segment"] == "Enterprise", "outcome"] = frame.loc[
        frame["segment"] == "Enterprise", "outcome"].replace("churned", "renewed")
    factors = [f["column"] for f in json.loads(DEMO_CONFIG.read_text())["factors"]]
    blank = frame.index[::7]
    for column in (c for c in factors if c in frame.columns):
        frame[column] = frame[column].astype(object)
        frame.loc[blank, column] = None
    path = tmp_path / "small.parquet"
    frame.to_parquet(path)
    return path


def _cases(tmp_path):
    demo = ["--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG)]
    yield "demo", [*demo, "--bootstrap", "200"]
    yield "demo 30 days, 200 resamples", [*demo, "--horizon-days", "30", "--bootstrap", "200",
                                          "--seed", "7"]
    tags = tmp_path / "tags.csv"
    ids = pd.read_parquet(DEMO_DATA, columns=["account_id"])["account_id"].unique()
    tags.write_text("account_id,tag\n" + "".join(
        f"{a},{'healthy' if i % 2 else 'struggling'}\n" for i, a in enumerate(ids[:80])))
    yield "tags", [*demo, "--tags", str(tags), "--bootstrap", "0"]
    yield "small", ["--data", str(_small_demo(tmp_path)), "--config", str(DEMO_CONFIG),
                    "--bootstrap", "100"]
    if TELCO.exists():  # one snapshot per account: no history, no lead time
        yield "telco", ["--data", str(TELCO), "--config",
                        str(ROOT / "examples" / "telco_config.json"), "--bootstrap", "100"]


def test_text_is_the_text_of_the_full_evidence(tmp_path, capsys):
    seen = []
    for name, args in _cases(tmp_path):
        assert main(["validate", *args, "--format", "json"]) == 0, name
        full = json.loads(capsys.readouterr().out)
        assert main(["validate", *args]) == 0, name
        text = capsys.readouterr().out
        config = load_config(args[args.index("--config") + 1])
        assert text == validation_text(full, config) + "\n", name
        seen.append((name, full))
    # the cases reach what they are meant to: segments (one without churn), unscored rows,
    # known accounts, single-snapshot data
    by_name = dict(seen)
    assert len(by_name["demo"]["segments"]) == 3
    small = by_name["small"]
    assert small["n_unscored"] > 0 and small["warnings"]
    assert any(seg["auc"]["value"] is None for seg in small["segments"].values())
    assert by_name["tags"]["reference"]["value"] is not None
    if "telco" in by_name:
        assert by_name["telco"]["cross_sectional"] is True


def test_json_evidence_is_that_of_the_explained_scores(tmp_path, capsys):
    # validate scores without the per-factor explanation (explain=False): the evidence is
    # exactly what the explained scores (the app's Explain path) give
    from calibration.cli import build_parser
    from calibration.cli_common import load_table
    from calibration.scoring import score_frame
    from calibration.validation import validate

    for name, args in list(_cases(tmp_path))[:4:3]:  # the demo and the small data
        assert main(["validate", *args, "--format", "json"]) == 0, name
        got = json.loads(capsys.readouterr().out)
        parsed = build_parser().parse_args(["validate", *args])
        config = load_config(parsed.config)
        table = load_table(parsed, config)
        explained = score_frame(table.frame, config, explain=True)
        assert explained.result.contributions is not None
        evidence = validate(table, config, explained, horizon_days=parsed.horizon_days,
                            bootstrap_resamples=parsed.bootstrap, seed=parsed.seed)
        evidence["data"] = table.fingerprint()
        assert got == json.loads(json.dumps(evidence, allow_nan=False, default=str)), name


def _imported_by_validate(fmt: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` one ``validate --format fmt`` of the demo imports (a module
    counts when it or one of its submodules is loaded), in a fresh interpreter."""
    import subprocess
    import sys

    probe = ("import json, sys\nfrom calibration.cli import main\n"
             f"main(['validate', '--data', {str(DEMO_DATA)!r}, '--config', "
             f"{str(DEMO_CONFIG)!r}, '--bootstrap', '20', '--format', {fmt!r}])\n"
             f"print(json.dumps(sorted({{name for name in {modules!r} for m in sys.modules "
             "if m == name or m.startswith(name + '.')})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_validate_imports_neither_scipy_stats_nor_statsmodels():
    # the JSON evidence has p-values (scipy.special), computed without scipy.stats
    assert _imported_by_validate("json", ("scipy.stats", "statsmodels")) == []
    assert _imported_by_validate("json", ("scipy.special",)) == ["scipy.special"]


def test_the_text_report_imports_no_scipy():
    # it prints no p-value: no scipy at all (~0.2 s of start-up), nor the other heavy
    # packages validate never needs
    assert _imported_by_validate("text", ("scipy", "statsmodels", "sklearn", "streamlit",
                                          "altair", "matplotlib", "duckdb", "sqlalchemy")) == []
