"""Mutants of a core module: generated from its syntax tree, or hand-written (see
:mod:`mutation.catalogue`), each with a stable id; a fixed sample of them."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import asdict, dataclass, field

from .catalogue import HAND_WRITTEN, ROOT, HandMutant

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
        if isinstance(node, ast.keyword) and node.arg == "strict":
            return  # zip(strict=...) only asserts equal lengths, like an assert statement
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
