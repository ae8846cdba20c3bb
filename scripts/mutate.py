"""Mutation testing of the core modules: do the tests notice small deliberate bugs?

``make mutate`` (or ``python scripts/mutate.py``) makes small bugs ("mutants") in one core
module at a time, in a temporary copy of the repository, and runs only that module's tests
against each. A mutant the tests fail on is *killed*; one they pass on *survived* and points
at a missing or too lenient test (or is equivalent: it changes no behaviour).

Mutants are of two kinds:

* generated from the syntax tree: a comparison loosened or flipped (``<`` / ``<=``, ``==`` /
  ``!=``), arithmetic swapped (``+`` / ``-``, ``*`` / ``/``), ``and`` / ``or`` swapped, a
  ``not`` dropped, a number nudged (integers + 1, other numbers doubled), ``True`` / ``False``
  swapped, a clamp or rounding call (``np.clip``, ``round``, ``min``, ...) dropped. A
  module has hundreds; a fixed sample (ordered by a hash of each mutant's id, so the sample
  stays put as unrelated code changes) keeps a run short;
* hand-written (:data:`HAND_WRITTEN`): the bugs of issue #18 that once survived.

Why not mutmut? mutmut 3 mutates every string and number of every function (thousands here,
error messages included) and runs them through its own trampolines; on two shared cores that
does not fit 20 minutes, and picking the relevant tests per module is what keeps this fast.

Survivors judged equivalent (no input can tell them apart) are listed in
:data:`EQUIVALENT` with the reason; they are reported, never hidden. This is a developer
tool, not part of CI.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# module -> the tests that exercise it (only these run against its mutants)
MODULES: dict[str, list[str]] = {
    "config": ["tests/test_config.py", "tests/test_mutants_config.py",
               "tests/robustness/test_bad_configs.py", "tests/test_configfile.py"],
    "scoring": ["tests/test_scoring.py", "tests/test_mutants_scoring.py",
                "tests/test_explain.py"],
    "metrics": ["tests/test_metrics.py", "tests/test_mutants_metrics.py"],
    "history": ["tests/test_history.py", "tests/test_mutants_history.py",
                "tests/test_mutants_validation.py"],
    "validation": ["tests/test_validation.py", "tests/test_mutants_validation.py",
                   "tests/test_validation_cli.py"],
    "decisions": ["tests/test_decisions_layouts.py", "tests/test_mutants_decisions.py",
                  "tests/test_mutants_validation.py", "tests/test_decisions_property.py"],
    "fitting": ["tests/test_fitting.py", "tests/test_mutants_fitting.py"],
    "compare": ["tests/test_compare.py", "tests/test_mutants_compare.py"],
    "sql": ["tests/test_sql.py", "tests/test_mutants_sql.py"],
}
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-m", "not slow and not browser and not postgres", "--no-header", "-rN"]


@dataclass(frozen=True)
class HandMutant:
    """A bug written by hand: replace ``old`` (must occur exactly once) by ``new``."""

    module: str
    name: str
    old: str
    new: str


HAND_WRITTEN: list[HandMutant] = [
    HandMutant("metrics", "bootstrap CI tail doubled (a 90% interval reported as 95%)",
               "tail = (1.0 - level) / 2.0 * 100.0", "tail = (1.0 - level) * 100.0"),
    HandMutant("metrics", "point-biserial p-value with n - 1 degrees of freedom",
               "special.stdtr(n - 2, -t)", "special.stdtr(n - 1, -t)"),
    HandMutant("metrics", "revenue metrics unknown when only some ARR is missing",
               "if arr_unknown and arr_unknown == n_scored:", "if arr_unknown:"),
    HandMutant("decisions", "default horizon 60 days instead of 90",
               "DEFAULT_HORIZON_DAYS = 90", "DEFAULT_HORIZON_DAYS = 60"),
    HandMutant("validation", "per-segment metrics select segment >= code",
               "mask = result.segment[rows] == code", "mask = result.segment[rows] >= code"),
    HandMutant("validation", "falling scores miss a fall of exactly the minimum drop",
               'falling = trend[trend["change"] <= -min_drop]',
               'falling = trend[trend["change"] < -min_drop]'),
    HandMutant("fitting", "verdict calls only improvements real (a loss is not flagged)",
               '"real": bool(lo > 0 or hi < 0)', '"real": bool(lo > 0)'),
    HandMutant("fitting", "overfitting gap doubled", "OVERFIT_GAP = 0.05",
               "OVERFIT_GAP = 0.1"),
    HandMutant("fitting", "green too generous boundary moved (green churn vs overall)",
               "GREEN_SAFETY = 0.5", "GREEN_SAFETY = 0.6"),
    HandMutant("sql", "infinity literal for Spark spelled inf",
               'word = "Infinity" if self.name in ("postgres", "spark") else "inf"',
               'word = "Infinity" if self.name in ("postgres",) else "inf"'),
    HandMutant("sql", "BigQuery labels starting with a digit not prefixed",
               'text = "_" + text', "text = text"),
    HandMutant("sql", "SQL score not clamped at 100",
               "WHEN hs_raw0 > 100 THEN 100.0 ", ""),
    HandMutant("scoring", "Python score not clamped to 0-100",
               "    np.clip(raw, 0.0, 100.0, out=raw)\n", ""),
    HandMutant("config", "red_max == yellow_max accepted",
               "if self.red_max >= self.yellow_max:", "if self.red_max > self.yellow_max:"),
    HandMutant("config", "equal step cut-offs accepted",
               "if any(b <= a for a, b in zip(self.cutoffs, self.cutoffs[1:], strict=False)):",
               "if any(b < a for a, b in zip(self.cutoffs, self.cutoffs[1:], strict=False)):"),
    HandMutant("config", "segment band overrides not validated",
               "    bands: Bands | None = None\n", "    bands: dict | None = None\n"),
    HandMutant("config", "duplicate keys in a mapping not detected",
               "            if norm in seen:", "            if norm in seen and False:"),
    HandMutant("config", "schema version 0 accepted", "if version < 1:", "if version < 0:"),
    HandMutant("config", "a value listed as both churned and renewed accepted",
               "if key in owner and owner[key] != label:", "if key in owner and False:"),
]

# Survivors judged harmless, with the reason (by mutant id): equivalent (no input can tell
# them apart from the original) unless the reason says otherwise.
EQUIVALENT: dict[str, str] = {
    "scoring:hand:1":
        "every factor's points lie in 0-100 (linear rules clip, steps/mapping/boolean/missing "
        "points and percentile targets are validated 0-100, interpolation stays between "
        "them) and weights are >= 0, so the weighted mean lies in 0-100 up to a few ulps "
        "(100.00000000000001 for weights 57/80.2, see tests/test_mutants_sql.py); the "
        "rounding to 1e-9 on the line before maps that back to exactly 100, and nothing "
        "negative can arise. The SQL clamp, which has no such rounding, is not equivalent "
        "and is killed (sql:hand:3)",
    "scoring:combine:call:`clip(...)` dropped (first argument kept)#1":
        "the same mutant as scoring:hand:1 (the final 0-100 clamp): equivalent for the "
        "reason given there",
    "scoring:combine:number:`100.0` -> `200.0`#1":
        "the upper clamp never acts (see scoring:hand:1), so raising it changes nothing",
    "sql:Dialect.number:number:`0` -> `1`#1":
        "only +inf and -inf reach `\"-\" if value < 0`: value < 1 splits them the same way",
    "metrics:_cells:number:`3` -> `4`#2":
        "only the length of the bincount buffer (minlength): extra empty cells are dropped "
        "by flatnonzero right after",
    "sql:Dialect.string:number:`32` -> `33`#1":
        "a space is then written as an escape (\\x20 or \\u0020) that the engine reads as "
        "the same space (tests/test_mutants_sql.py reads every literal back)",
    "scoring:combine:compare0:`<` -> `<=`#2":
        "`cap <= NO_CAP` also marks uncapped rows, but their guardrail_hits rule is -1, the "
        "same value the unmarked rows get",
    "scoring:_combine_plan:compare0:`>` -> `>=`#4":
        "where the total group weight is 0 every group is off, so the raw score is 0 / 0 = "
        "NaN already: `total >= 0` keeps that NaN",
    "scoring:<module>:number:`2` -> `3`#2":
        "NO_CAP only has to differ from the red (0) and yellow (1) caps, the only caps a "
        "guardrail may set; every use compares against the constant itself",
    "scoring:combine:bool:`False` -> `True`#1":
        "explain=True by default only computes contributions nobody asked for: the scores "
        "are identical (tests/test_scoring.py::test_fast_and_explain_paths_give_identical_"
        "scores); a speed difference, not a result",
    "scoring:plans:bool:`True` -> `False`#1":
        "zip(strict=False) over a list built from the same groups: the lengths always match",
    "metrics:band_table:number:`0.0` -> `1.0`#2":
        "with no ARR supplied _add_arr ignores the totals it is passed (missing=None)",
    "metrics:_ks_p_value:call:`clip(...)` dropped (first argument kept)#1":
        "scipy's kstwo.sf is a probability, already within 0-1",
    "scoring:guardrail_condition:bool:`False` -> `True`#1":
        "the missing texts that fillna fills are removed by `known &` on the next line",
    "scoring:Plan.flat_weights:compare0:`>` -> `>=`#2":
        "a group of weight 0 marked used still gets np.where(used, 0, 0) = 0 share",
    "scoring:Plan.flat_weights:number:`1.0` -> `2.0`#1":
        "the divisor only replaces a zero group total, whose factors all weigh 0: 0 / 1 and "
        "0 / 2 are both 0",
    "validation:by_config_segment:bool:`True` -> `False`#1":
        "zip(strict=False) over two lists built with the same length",
    "validation:lead_time_by_segment:number:`365` -> `366`#1":
        "not equivalent for a direct caller, harmless in the app: validate always passes its "
        "own lookback_days to this helper, so the helper's default is never used",
    "validation:validate:number:`0` -> `1`#2":
        "the default bootstrap seed: any fixed seed is reproducible and the seed used is "
        "recorded in the evidence (and validate bootstraps nothing unless asked)",
    "validation:by_config_segment:bool:`False` -> `True`#2":
        "by_config_segment then also fits a logistic regression per segment: slower, but "
        "every number it returns is the same (the logit is an extra key)",
    "validation:segment_labels:boolop:`or` -> `and`#1":
        "unreachable through accounts.prepare, which refuses a segment role naming a column "
        "that is not in the data (\"the segment column 'tier' is not in the file\")",
    "config:Config.rules_fingerprint:number:`12` -> `13`#1":
        "rules_fingerprint is only a cache key compared with other rules_fingerprint values: "
        "13 hex digits identify a rule set as well as 12",
    "config:Config.group_weight:number:`0.0` -> `1.0`#1":
        "unreachable: once groups are declared, validation refuses a factor in an undeclared "
        "group, so group_weight is only asked about declared names",
    "config:write_json_schema:bool:`True` -> `False`#1":
        "key order of the generated schema file only; its content (what the committed-schema "
        "test compares) is the same",
}

_COMPARE_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                 ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
                 ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
           ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
           ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
           ast.FloorDiv: "//", ast.Pow: "**", ast.Mod: "%", ast.And: "and", ast.Or: "or"}
_LAYOUT_KEYWORDS = {"indent", "stacklevel", "width", "max_width", "separators"}
_DROPPABLE_CALLS = {"clip", "round", "abs", "min", "max", "minimum", "maximum", "fmax", "fmin",
                    "nan_to_num", "sorted", "rint"}


@dataclass
class Mutant:
    """One mutant: where it is, what it does, and (after a run) what happened."""

    id: str
    module: str
    line: int
    description: str
    source_line: str = ""
    index: int | None = None  # position in the syntax-tree walk (generated mutants)
    path: str = ""  # the file mutated, relative to the repository
    hand: HandMutant | None = None
    outcome: str = ""  # killed / survived / timeout / error / stale
    seconds: float = 0.0
    detail: str = ""
    equivalent: str = ""

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("hand")
        return out


@dataclass
class _Site:
    node: ast.AST
    kind: str
    what: str


@dataclass
class _Walker:
    """Every mutation site of a module, in a fixed walk order, with its function's name."""

    sites: list[tuple[str, _Site]] = field(default_factory=list)

    def walk(self, node: ast.AST, scope: str = "<module>") -> None:
        if isinstance(node, ast.JoinedStr | ast.Raise | ast.Assert):
            return  # message text and assertions are not behaviour worth mutating
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # docstring
        if isinstance(node, ast.keyword) and node.arg in _LAYOUT_KEYWORDS:
            return  # output layout (JSON indent, ...), not behaviour
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
            if not isinstance(node, ast.ClassDef):
                for arg_default in [*node.args.defaults, *node.args.kw_defaults]:
                    if arg_default is not None:
                        self.walk(arg_default, scope)
                for statement in node.body:
                    self.walk(statement, scope)
                return
        for site in self._sites(node):
            self.sites.append((scope, site))
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment"):
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.walk(item, scope)
            elif isinstance(value, ast.AST):
                self.walk(value, scope)

    @staticmethod
    def _sites(node: ast.AST) -> list[_Site]:
        out = []
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _COMPARE_SWAP:
                    new = _COMPARE_SWAP[type(op)]
                    out.append(_Site(node, f"compare{i}",
                                     f"`{_SYMBOL[type(op)]}` -> `{_SYMBOL[new]}`"))
        elif (isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAP
              and not _is_text(node.left) and not _is_text(node.right)):
            new = _BINOP_SWAP[type(node.op)]
            out.append(_Site(node, "binop", f"`{_SYMBOL[type(node.op)]}` -> `{_SYMBOL[new]}`"))
        elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOP_SWAP:
            new = _BINOP_SWAP[type(node.op)]
            out.append(_Site(node, "augassign",
                             f"`{_SYMBOL[type(node.op)]}=` -> `{_SYMBOL[new]}=`"))
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            out.append(_Site(node, "boolop", f"`{_SYMBOL[type(node.op)]}` -> `{_SYMBOL[new]}`"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out.append(_Site(node, "not", "`not` dropped"))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            out.append(_Site(node, "number", f"`{node.value!r}` -> `{_nudge(node.value)!r}`"))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            out.append(_Site(node, "bool", f"`{node.value}` -> `{not node.value}`"))
        elif isinstance(node, ast.Call) and node.args and _call_name(node) in _DROPPABLE_CALLS:
            out.append(_Site(node, "call", f"`{_call_name(node)}(...)` dropped (first "
                             "argument kept)"))
        return out


def _is_text(node: ast.AST) -> bool:
    """A string literal or f-string (``+`` there joins text: swapping it only crashes)."""
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str))


def _nudge(value: int | float) -> int | float:
    if isinstance(value, int):
        return value + 1
    return value * 2 if value else 1.0


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


class _Apply(ast.NodeTransformer):
    """Apply the mutation at one site (found by identity in a fresh parse)."""

    def __init__(self, target: ast.AST, kind: str) -> None:
        self.target, self.kind = target, kind

    def visit(self, node: ast.AST) -> ast.AST:
        if node is not self.target:
            return self.generic_visit(node)
        kind = self.kind
        if kind.startswith("compare"):
            i = int(kind.removeprefix("compare"))
            node.ops[i] = _COMPARE_SWAP[type(node.ops[i])]()
        elif kind in ("binop", "augassign"):
            node.op = _BINOP_SWAP[type(node.op)]()
        elif kind == "boolop":
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif kind == "not":
            return node.operand
        elif kind == "number":
            node.value = _nudge(node.value)
        elif kind == "bool":
            node.value = not node.value
        elif kind == "call":
            return node.args[0]
        return node


def _sites(source: str) -> tuple[ast.Module, list[tuple[str, _Site]]]:
    tree = ast.parse(source)
    walker = _Walker()
    walker.walk(tree)
    return tree, walker.sites


def module_sources(module: str) -> dict[str, str]:
    """The source files of a core module (``calibration/<module>.py``, or every file of the
    package ``calibration/<module>/``) by path relative to the repository, in a fixed order."""
    single = ROOT / "calibration" / f"{module}.py"
    paths = [single] if single.is_file() else sorted((ROOT / "calibration" / module).glob("*.py"))
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in paths}


def generated_mutants(module: str, sources: dict[str, str]) -> list[Mutant]:
    """Every syntax-tree mutant of the module's ``sources`` with a stable id (scope, kind,
    occurrence): the id does not name the file, so it survives moving a function."""
    seen: dict[str, int] = {}
    out = []
    for path, source in sources.items():
        _, sites = _sites(source)
        lines = source.splitlines()
        for index, (scope, site) in enumerate(sites):
            line = getattr(site.node, "lineno", 0)
            text = lines[line - 1].strip() if line else ""
            key = f"{module}:{scope}:{site.kind}:{site.what}"
            seen[key] = seen.get(key, 0) + 1
            out.append(Mutant(id=f"{key}#{seen[key]}", module=module, line=line,
                              description=f"{site.what} in {scope}", source_line=text,
                              index=index, path=path))
    return out


def mutated_source(source: str, mutant: Mutant) -> str:
    """The module text with ``mutant`` applied (generated: re-parsed and unparsed)."""
    if mutant.hand is not None:
        return source.replace(mutant.hand.old, mutant.hand.new)
    tree, sites = _sites(source)
    _, site = sites[mutant.index]
    new_tree = _Apply(site.node, site.kind).visit(tree)
    ast.fix_missing_locations(new_tree)
    return ast.unparse(new_tree)


def hand_mutants(module: str, sources: dict[str, str]) -> list[Mutant]:
    out = []
    for k, hand in enumerate(m for m in HAND_WRITTEN if m.module == module):
        count = sum(source.count(hand.old) for source in sources.values())
        path, source = next(((p, s) for p, s in sources.items() if hand.old in s), ("", ""))
        line = source[:source.find(hand.old)].count("\n") + 1 if count else 0
        mutant = Mutant(id=f"{module}:hand:{k + 1}", module=module, line=line,
                        description=f"(issue #18) {hand.name}",
                        source_line=hand.old.strip()[:100], hand=hand, path=path)
        if count != 1:
            mutant.outcome = "stale"
            mutant.detail = f"text to replace found {count} times: update HAND_WRITTEN"
        out.append(mutant)
    return out


def _stable_rank(mutant_id: str) -> str:
    return hashlib.sha256(mutant_id.encode()).hexdigest()


def select(mutants: list[Mutant], per_module: int) -> list[Mutant]:
    """A fixed sample: the ``per_module`` mutants with the smallest hash of their id."""
    if per_module <= 0:
        return list(mutants)
    return sorted(mutants, key=lambda m: _stable_rank(m.id))[:per_module]


# --------------------------------------------------------------------------- running
def _copy_repo(dest: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for rel in listed.splitlines():
        src = ROOT / rel
        if not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _preload() -> None:
    """Import the heavy third-party libraries once; every forked test run inherits them
    (nothing of this repository is imported here: each child imports its mutated copy)."""
    for name in ("numpy", "pandas", "scipy.stats", "scipy.special", "scipy.optimize",
                 "statsmodels.api", "pydantic", "yaml", "duckdb", "pyarrow", "pyarrow.parquet",
                 "hypothesis", "pytest", "streamlit", "altair"):
        with contextlib.suppress(ImportError):
            __import__(name)


@dataclass
class _Job:
    key: int
    module: str
    texts: dict[str, str]  # path -> the text to run the tests on
    originals: dict[str, str]  # path -> the text to restore afterwards
    tests: list[str]
    timeout: float
    result: tuple[str, float, str] | None = None


def _stages(tests: list[str]) -> list[list[str]]:
    """One pytest run per test file, in the order given: the first failing file ends the
    mutant's run (a killed mutant rarely pays for collecting every file)."""
    return [[test] for test in tests]


def _pytest(copy_dir: Path, tests: list[str]) -> None:
    """Run pytest on ``tests`` in this forked process (never returns)."""
    code = 3
    try:
        os.chdir(copy_dir)
        sys.path.insert(0, str(copy_dir))
        sys.dont_write_bytecode = True
        os.environ.update(PYTHONPATH=str(copy_dir), PYTHONDONTWRITEBYTECODE="1", CI="true",
                          HSC_DRAFTS_DIR=str(copy_dir / "drafts"))
        import pytest

        code = int(pytest.main([*PYTEST_ARGS, *tests]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _child(copy_dir: Path, tests: list[str], log: Path) -> None:
    """Run each stage in its own forked pytest, stopping at the first failing one (never
    returns). The child leads a process group so a timeout kills every stage."""
    code = 3
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        for stage in _stages(tests):
            pid = os.fork()
            if pid == 0:
                _pytest(copy_dir, stage)
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            if code != 0:
                break
    finally:
        os._exit(code)


def _outcome(status: int, log: Path, seconds: float) -> tuple[str, float, str]:
    code = os.waitstatus_to_exitcode(status)
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    last = lines[-1] if lines else ""
    if code == 0:
        return "survived", seconds, last[:200]
    if code == 1:
        failed = next((t for t in lines if t.startswith("FAILED")), last)
        return "killed", seconds, failed[:200]
    return "error", seconds, f"pytest exit {code}: {last[:200]}"


class Pool:
    """One copy of the repository per slot; each job writes its mutated module into a free
    slot's copy, forks a pytest run there, and restores the module when it ends."""

    def __init__(self, n: int, base: Path) -> None:
        self.slots = []
        for i in range(n):
            path = base / f"worker{i}"
            _copy_repo(path)
            self.slots.append(path)
        _preload()

    def run(self, jobs: list[_Job], on_done) -> None:
        pending = list(jobs)
        running: dict[int, tuple[_Job, Path, float]] = {}
        free = list(self.slots)
        while pending or running:
            while pending and free:
                job, slot = pending.pop(0), free.pop(0)
                for path, text in job.texts.items():
                    (slot / path).write_text(text, "utf-8")
                pid = os.fork()
                if pid == 0:
                    _child(slot, job.tests, slot / "pytest.log")
                running[pid] = (job, slot, time.monotonic())
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for other, (job, _, began) in list(running.items()):
                    if now - began > job.timeout:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(other, signal.SIGKILL)
                        os.waitpid(other, 0)
                        job.result = ("timeout", now - began,
                                      f"no result after {job.timeout:.0f} s")
                        self._release(running.pop(other), free, on_done)
                time.sleep(0.05)
                continue
            job, slot, began = running[pid]
            job.result = _outcome(status, slot / "pytest.log", time.monotonic() - began)
            self._release(running.pop(pid), free, on_done)

    @staticmethod
    def _release(entry: tuple[_Job, Path, float], free: list[Path], on_done) -> None:
        job, slot, _ = entry
        for path, text in job.originals.items():
            (slot / path).write_text(text, "utf-8")
        free.append(slot)
        on_done(job)


def _ordered_tests(module: str) -> list[str]:
    """The module's existing test files in :data:`MODULES` order (the quickest, broadest
    first: each file is a stage that ends the run when it fails)."""
    return [t for t in MODULES[module] if (ROOT / t).is_file()]


def run_module(module: str, pool: Pool, per_module: int, log,
               only: set[str] | None = None) -> dict:
    sources = module_sources(module)
    tests = _ordered_tests(module)
    if not sources or not tests:
        log(f"{module}: skipped ({'no module' if not sources else 'no tests'})")
        return {"module": module, "skipped": True}
    unparsed = {path: ast.unparse(ast.parse(source)) for path, source in sources.items()}
    # baseline: the tests pass on the (unparsed) unmutated module, or nothing here means much
    baseline = _Job(-1, module, unparsed, sources, tests, timeout=1800)
    pool.run([baseline], lambda job: None)
    outcome, seconds, detail = baseline.result
    if outcome != "survived":
        log(f"{module}: baseline FAILED ({outcome}: {detail}); module skipped. Run its tests "
            f"to see why: python -m pytest {' '.join(tests)}")
        return {"module": module, "skipped": True, "baseline": detail}
    # generous: on a busy machine a slow run is not a detected bug (timeouts are reported)
    timeout = max(600.0, 10 * seconds)
    generated = generated_mutants(module, sources)
    chosen = select(generated, per_module) + hand_mutants(module, sources)
    if only:
        chosen = [m for m in [*generated, *hand_mutants(module, sources)] if m.id in only]
    log(f"{module}: {len(generated)} generated mutants, running {len(chosen)} "
        f"(tests: {', '.join(tests)}; baseline {seconds:.1f} s)")
    jobs = []
    for key, mutant in enumerate(chosen):
        if mutant.outcome == "stale":
            continue
        source = sources[mutant.path]
        text = mutated_source(source, mutant)
        if text == (source if mutant.hand else unparsed[mutant.path]):
            mutant.outcome, mutant.detail = "error", "mutation changed nothing"
            continue
        jobs.append(_Job(key, module, {mutant.path: text}, {mutant.path: source}, tests,
                         timeout))

    def done(job: _Job) -> None:
        mutant = chosen[job.key]
        mutant.outcome, mutant.seconds, mutant.detail = job.result
        if mutant.outcome == "survived":
            mutant.equivalent = EQUIVALENT.get(mutant.id, "")
        log(f"  {mutant.outcome:8} {mutant.seconds:5.1f}s  {mutant.id}  line {mutant.line}")

    pool.run(jobs, done)
    counted = [m for m in chosen if m.outcome != "stale"]
    killed = [m for m in counted if m.outcome in ("killed", "timeout", "error")]
    survivors = [m for m in counted if m.outcome == "survived"]
    return {"module": module, "tests": tests, "n_generated": len(generated),
            "n_run": len(counted), "n_killed": len(killed), "n_survived": len(survivors),
            "n_equivalent": sum(1 for m in survivors if m.equivalent),
            "n_timeout": sum(1 for m in counted if m.outcome == "timeout"),
            "kill_rate": len(killed) / len(counted) if counted else None,
            "baseline_seconds": seconds, "mutants": [m.to_dict() for m in chosen]}


def report_text(results: list[dict], elapsed: float) -> str:
    lines = ["", f"{'module':<12}{'killed':>8}{'run':>6}{'rate':>8}{'equivalent':>12}"
             f"{'timeouts':>10}{'generated':>11}"]
    for r in results:
        if r.get("skipped"):
            lines.append(f"{r['module']:<12}  skipped {r.get('baseline', '')}")
            continue
        rate = f"{r['kill_rate']:.0%}" if r["kill_rate"] is not None else "-"
        lines.append(f"{r['module']:<12}{r['n_killed']:>8}{r['n_run']:>6}{rate:>8}"
                     f"{r['n_equivalent']:>12}{r['n_timeout']:>10}{r['n_generated']:>11}")
    total_run = sum(r.get("n_run", 0) for r in results)
    total_killed = sum(r.get("n_killed", 0) for r in results)
    if total_run:
        lines.append(f"{'all':<12}{total_killed:>8}{total_run:>6}"
                     f"{total_killed / total_run:>8.0%}")
    lines.append(f"({elapsed / 60:.1f} min)")
    for r in results:
        for m in r.get("mutants", []):
            if m["outcome"] in ("survived", "stale"):
                why = f"  HARMLESS: {m['equivalent']}" if m["equivalent"] else ""
                lines.append(f"{m['outcome'].upper()} {m['id']} ({m['path']}:{m['line']}): "
                             f"{m['description']}: {m['source_line'][:90]}{why}")
                if m["outcome"] == "stale":
                    lines.append(f"    {m['detail']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES),
                        help=f"core modules to mutate (default: all of {', '.join(MODULES)})")
    parser.add_argument("--per-module", type=int, default=30,
                        help="generated mutants sampled per module (0: all); hand-written "
                             "ones always run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "mutation.json")
    parser.add_argument("--list", action="store_true", help="list the sampled mutants only")
    parser.add_argument("--only", nargs="+", default=None, metavar="ID",
                        help="run just these mutant ids (e.g. the survivors of a full run)")
    parser.add_argument("--min-rate", type=float, default=0.9,
                        help="exit 1 when a module kills fewer than this share")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if args.list:
        for module in args.modules:
            sources = module_sources(module)
            if not sources:
                continue
            generated = generated_mutants(module, sources)
            print(f"{module}: {len(generated)} generated")
            for m in select(generated, args.per_module) + hand_mutants(module, sources):
                print(f"  {m.id} {m.path}:{m.line}: {m.description}: {m.source_line[:80]}")
        return 0

    def log(text: str) -> None:
        print(text, flush=True)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hsc-mutate-") as tmp:
        pool = Pool(args.workers, Path(tmp))
        only = set(args.only) if args.only else None
        modules = sorted({i.split(":")[0] for i in only}, key=args.modules.index) if only else (
            args.modules)
        results = [run_module(m, pool, args.per_module, log, only) for m in modules]
    elapsed = time.monotonic() - started
    print(report_text(results, elapsed))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"elapsed_seconds": elapsed, "per_module": args.per_module,
                                     "results": results}, indent=1), encoding="utf-8")
    print(f"details: {args.json}")
    low = [r["module"] for r in results
           if not r.get("skipped") and r["kill_rate"] is not None
           and r["kill_rate"] < args.min_rate]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
