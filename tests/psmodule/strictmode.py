"""Which properties PowerShell code reads from engine documents, and whether every read is safe under
``Set-StrictMode -Version Latest``: the strict-mode contract, checked without PowerShell.

Under strict mode, reading a property an object does not have is an error (``PropertyNotFoundStrict``);
reading one of ``$null`` is not. So a read is safe when the property is present in every value the
variable can hold there, or a step before it is ``$null``, or it goes through ``.PSObject``.

The checker reads the PowerShell files with tree-sitter. A variable holds engine data when it is
assigned from ``ConvertFrom-Json`` or ``Import-PowerShellDataFile``; the caller says, for each such
``(function, variable)``, every value it can receive there, generated from the engine itself. From
there values flow through assignments (``$result = $message``, ``$e = $x.error``), ``foreach``
loops, indexing and parameters of the file's own functions (``-EngineError $result.error``).
``switch ($m.kind) { 'result' {…} }`` and ``if ($m.kind -eq 'error') {…}`` narrow the values to the
matching ones inside their blocks. Every member read of such a variable is followed through every
value it can hold, and each missing property is a violation; an engine-data assignment nobody
declared is one too, so a new read of the engine cannot escape the contract.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

from tests.psmodule.psparse import parse, text, unquote, walk

SOURCES = ("convertfrom-json", "import-powershelldatafile")
INTRINSIC = {"psobject", "pstypenames", "psbase", "psadapted", "psextended"}
HASHTABLE_MEMBERS = {"keys", "values", "count"}


class Hashtable(dict[str, Any]):
    """A value read from a .psd1: a missing key reads as $null (a hashtable is a dictionary), and
    Keys/Values/Count are its own members. Keys are still checked: a misspelt key is a silent bug."""


@dataclass
class Violation:
    file: str
    line: int
    expression: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.expression}: {self.reason}"


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    reads: list[tuple[str, int, str]] = field(default_factory=list)
    """Every read of engine data that was checked: (file, line, expression)."""


Samples = list[Any]


def _variable(node: Node) -> str:
    """``$script:AzsBackupEngine`` → ``azsbackupengine``: one name per variable, scope prefixes dropped."""
    name = text(node).lstrip("$").lower()
    return name.split(":", 1)[1] if ":" in name else name


@dataclass
class _Step:
    name: str | None  # None: an index
    key: str | None = None  # a literal index
    method: bool = False


def _chain(node: Node) -> tuple[Node, list[_Step]] | None:
    """``$a.b[0].c`` → (the ``$a`` node, [b, [0], c]); None when the chain does not start at a variable."""
    steps: list[_Step] = []
    current = node
    while True:
        if current.type == "variable":
            return current, list(reversed(steps))
        if current.type == "member_access":
            member = next((c for c in current.children if c.type == "member_name"), None)
            steps.append(_Step(text(member) if member else "?"))
            current = current.children[0]
        elif current.type == "element_access":
            index = [c for c in current.children if c.type not in ("[", "]")][1:]
            literal = unquote(text(index[0])) if index and text(index[0]).startswith(("'", '"')) else None
            steps.append(_Step(None, literal))
            current = current.children[0]
        elif current.type in ("unary_expression", "array_literal_expression", "pipeline", "pipeline_chain") or (
            current.type.endswith("_expression") and len(current.children) == 1
        ):
            if len(current.children) != 1:
                return None
            current = current.children[0]
        else:
            return None


def _key(value: dict[str, Any], name: str) -> str | None:
    return next((k for k in value if k.lower() == name.lower()), None)


def follow(values: Samples, steps: list[_Step]) -> tuple[Samples, list[str]]:
    """What the chain reads from each value, and the reads that would fail under strict mode."""
    problems: list[str] = []
    current = list(values)
    for position, step in enumerate(steps):
        shown = "".join(f".{s.name}" if s.name else "[…]" for s in steps[: position + 1])
        if step.method or (step.name and step.name.lower() in INTRINSIC):
            return [], problems
        following: Samples = []
        for value in current:
            if value is None:
                continue
            if step.name is None:
                if isinstance(value, dict):
                    following += [value[k] for k in value if step.key is None or k.lower() == step.key.lower()]
                elif isinstance(value, list):
                    following += value
                continue
            if isinstance(value, Hashtable) and step.name.lower() in HASHTABLE_MEMBERS:
                members = {"keys": list(value), "values": list(value.values()), "count": len(value)}
                following.append(members[step.name.lower()])
            elif isinstance(value, dict):
                key = _key(value, step.name)
                if key is None:
                    problems.append(f"{shown}: no property {step.name!r} in {_describe(value)}")
                else:
                    following.append(value[key])
            elif isinstance(value, list):  # member enumeration: every element needs it
                for item in value:
                    if isinstance(item, dict) and _key(item, step.name) is None:
                        problems.append(f"{shown}: an element has no property {step.name!r}: {_describe(item)}")
                    elif isinstance(item, dict):
                        following.append(item[_key(item, step.name) or ""])
            elif step.name.lower() not in ("length", "count"):
                problems.append(f"{shown}: {type(value).__name__} {value!r} has no property {step.name!r}")
        current = following
    return current, problems


def _describe(value: dict[str, Any]) -> str:
    kind = value.get("kind") or value.get("type")
    keys = ", ".join(sorted(value)[:8])
    return f"{'the ' + str(kind) + ' object' if kind else 'an object'} {{{keys}{', …' if len(value) > 8 else ''}}}"


def _narrowing(condition: Node) -> tuple[str, list[_Step], str] | None:
    """``$m.kind -eq 'result'`` (joined only by -and): (variable, steps, value)."""
    source = text(condition).lower()
    if "-or" in source or "-not" in source or "!" in source:
        return None
    for comparison in (n for n in walk(condition) if n.type == "comparison_expression"):
        operator = next((c for c in comparison.children if text(c).lower() == "-eq"), None)
        if operator is None:
            continue
        left, right = comparison.children[0], comparison.children[-1]
        chain = _chain(left)
        if chain is not None and text(right).strip().startswith(("'", '"')):
            return _variable(chain[0]), chain[1], unquote(text(right))
    return None


def _merge(outer: dict[str, Samples], inner: dict[str, Samples], narrowed: str | None) -> None:
    """A block's assignments are visible after it (PowerShell blocks are not scopes)."""
    for name, values in inner.items():
        if name == narrowed or outer.get(name) is values:
            continue
        merged = list(outer.get(name, []))
        merged += [v for v in values if not any(v is m for m in merged)]
        outer[name] = merged


def _narrow(values: Samples, steps: list[_Step], wanted: set[str], keep: bool) -> Samples:
    kept = []
    for value in values:
        found, _ = follow([value], steps)
        matches = any(str(f).lower() in wanted for f in found)
        if matches == keep:
            kept.append(value)
    return kept


class Checker:
    """Check PowerShell files; ``sources[(function, variable)]`` are the values an engine read can give there
    (``function`` is ``""`` for module-level code)."""

    def __init__(self, files: dict[str, str], sources: dict[tuple[str, str], Samples]) -> None:
        self.files = files
        self.sources = {(f.lower(), v.lower().split(":")[-1]): s for (f, v), s in sources.items()}
        self.report = Report()
        self.globals: dict[str, Samples] = {}
        self.parameters: dict[str, dict[str, Samples]] = defaultdict(dict)
        self.functions: dict[str, tuple[str, Node]] = {}
        self.used_sources: set[tuple[str, str]] = set()

    def run(self) -> Report:
        trees = {name: parse(source) for name, source in self.files.items()}
        for name, root in trees.items():
            for function in (n for n in walk(root) if n.type == "function_statement"):
                title = text(next(c for c in function.children if c.type == "function_name"))
                self.functions[title.lower()] = (name, function)
        for _ in range(4):  # parameters flow between the files' functions; a few passes reach the fixpoint
            before = {f: {p: len(v) for p, v in ps.items()} for f, ps in self.parameters.items()}
            self.report.violations.clear()
            self.report.reads.clear()
            for name, root in trees.items():  # module-level code first: it sets $script: variables
                self._visit_top(name, root)
            for title, (name, function) in self.functions.items():
                env = {p: list(v) for p, v in self.parameters[title].items()}
                self._visit(name, title, function, env)
            after = {f: {p: len(v) for p, v in ps.items()} for f, ps in self.parameters.items()}
            if after == before:
                break
        unused = set(self.sources) - self.used_sources
        for function, variable in sorted(unused):
            self.report.violations.append(
                Violation("-", 0, f"{function}:${variable}", "declared engine source not found in the code")
            )
        return self.report

    # --- visiting ---------------------------------------------------------------------------------------

    def _visit_top(self, file: str, root: Node) -> None:
        env: dict[str, Samples] = {}
        for child in root.children:
            self._visit_node(file, "", child, env, skip_functions=True)
        self.globals.update(env)

    def _visit(self, file: str, function: str, node: Node, env: dict[str, Samples]) -> None:
        body = next((c for c in node.children if c.type == "script_block"), None)
        if body is not None:
            self._visit_node(file, function, body, env, skip_functions=True)

    def _lookup(self, env: dict[str, Samples], name: str) -> Samples | None:
        if name in env:
            return env[name]
        return self.globals.get(name)

    def _visit_node(
        self, file: str, function: str, node: Node, env: dict[str, Samples], skip_functions: bool = False
    ) -> None:
        kind = node.type
        if kind == "function_statement" and skip_functions:
            return
        if kind == "assignment_expression":
            self._assignment(file, function, node, env)
            return
        if kind == "foreach_statement":
            self._foreach(file, function, node, env)
            return
        if kind == "switch_statement":
            self._switch(file, function, node, env)
            return
        if kind == "if_statement":
            self._if(file, function, node, env)
            return
        if kind == "command":
            self._command(file, function, node, env)
        outermost = node.parent is not None and node.parent.type not in ("member_access", "element_access")
        if kind in ("member_access", "element_access") and outermost and node.parent is not None:
            self._read(file, node, env)
            if node.parent.type == "invokation_expression":
                return
        for child in node.children:
            self._visit_node(file, function, child, env, skip_functions)

    def _evaluate(self, node: Node, env: dict[str, Samples]) -> Samples | None:
        chain = _chain(node)
        if chain is None:
            return None
        values = self._lookup(env, _variable(chain[0]))
        if values is None:
            return None
        found, _ = follow(values, chain[1])
        return found

    def _read(self, file: str, node: Node, env: dict[str, Samples]) -> None:
        target = node
        method = node.parent is not None and node.parent.type == "invokation_expression"
        chain = _chain(target)
        if chain is None:
            return
        values = self._lookup(env, _variable(chain[0]))
        if values is None:
            return
        steps = chain[1]
        if method and steps:
            steps[-1].method = True
        line = node.start_point[0] + 1
        self.report.reads.append((file, line, text(node)))
        _, problems = follow(values, steps)
        for problem in dict.fromkeys(problems):
            self.report.violations.append(Violation(file, line, text(node), problem))

    def _assignment(self, file: str, function: str, node: Node, env: dict[str, Samples]) -> None:
        left, right = node.children[0], node.children[-1]
        for child in node.children[1:]:
            self._visit_node(file, function, child, env)
        target = next((n for n in walk(left) if n.type == "variable"), None)
        if target is None or text(left).strip() != text(target):
            return
        name = _variable(target)
        commands = [
            text(c).lower() for n in walk(right) if n.type == "command" for c in n.children if c.type == "command_name"
        ]
        if any(c in SOURCES for c in commands):
            key = (function.lower(), name)
            self.used_sources.add(key)
            if key not in self.sources:
                self.report.violations.append(
                    Violation(
                        file, node.start_point[0] + 1, text(node)[:80], "engine data read with no declared source"
                    )
                )
                env.pop(name, None)
                return
            values = self.sources[key]
            (self.globals if text(target).lower().startswith("$script:") else env)[name] = values
            return
        values = self._evaluate(right, env)
        if values is None:
            env.pop(name, None)
        else:
            env[name] = values

    def _foreach(self, file: str, function: str, node: Node, env: dict[str, Samples]) -> None:
        variable = next(c for c in node.children if c.type == "variable")
        collection = next(c for c in node.children if c.type == "pipeline")
        self._visit_node(file, function, collection, env)
        values = self._evaluate(collection, env)
        inner = dict(env)
        if values is not None:
            items: Samples = []
            for value in values:
                items += value if isinstance(value, list) else [value]
            inner[_variable(variable)] = items
        else:
            inner.pop(_variable(variable), None)
        for child in node.children:
            if child.type == "statement_block":
                self._visit_node(file, function, child, inner)
        _merge(env, inner, _variable(variable))

    def _switch(self, file: str, function: str, node: Node, env: dict[str, Samples]) -> None:
        condition = next(c for c in node.children if c.type == "switch_condition")
        self._visit_node(file, function, condition, env)
        chain = _chain(next(c for c in condition.children if c.type == "pipeline"))
        clauses = [n for n in walk(node) if n.type == "switch_clause"]
        labels = {unquote(text(c.children[0])).lower() for c in clauses if text(c.children[0]).lower() != "default"}
        outer = dict(env)
        for clause in clauses:
            label = unquote(text(clause.children[0])).lower()
            inner = dict(outer)
            narrowed = None
            if chain is not None:
                narrowed = _variable(chain[0])
                values = self._lookup(outer, narrowed)
                if values is not None:
                    wanted, keep = ({label}, True) if label != "default" else (labels, False)
                    inner[narrowed] = _narrow(values, chain[1], wanted, keep)
            for child in clause.children[1:]:
                self._visit_node(file, function, child, inner)
            _merge(env, inner, narrowed)

    def _if(self, file: str, function: str, node: Node, env: dict[str, Samples]) -> None:
        condition = next((c for c in node.children if c.type == "pipeline"), None)
        inner = dict(env)
        narrowed = None
        if condition is not None:
            self._visit_node(file, function, condition, env)
            narrowing = _narrowing(condition)
            if narrowing is not None:
                narrowed, steps, value = narrowing
                values = self._lookup(env, narrowed)
                if values is not None:
                    inner[narrowed] = _narrow(values, steps, {value.lower()}, True)
        outer = dict(env)
        for child in node.children:
            if child.type == "statement_block":
                self._visit_node(file, function, child, inner)
                _merge(env, inner, narrowed)
            elif child.type in ("elseif_clauses", "else_clause"):
                branch = dict(outer)
                self._visit_node(file, function, child, branch)
                _merge(env, branch, None)

    def _command(self, file: str, function: str, node: Node, env: dict[str, Samples]) -> None:
        """Arguments of the files' own functions carry engine data into their parameters."""
        name_node = next((c for c in node.children if c.type == "command_name"), None)
        callee = text(name_node).lower() if name_node is not None else ""
        if callee not in self.functions:
            return
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        parts = [c for c in (elements.children if elements else []) if c.type != "command_argument_sep"]
        for flag, value in itertools.pairwise(parts):
            if flag.type != "command_parameter":
                continue
            values = self._evaluate(value, env)
            if values is not None:
                slot = self.parameters[callee].setdefault(text(flag).lstrip("-").rstrip(":").lower(), [])
                slot += [v for v in values if v not in slot]


def check(files: dict[str, str], sources: dict[tuple[str, str], Samples]) -> Report:
    return Checker(files, sources).run()


def module_files(*roots: Path) -> dict[str, str]:
    files = {}
    for root in roots:
        paths = sorted(root.rglob("*.ps*1")) if root.is_dir() else [root]
        for path in paths:
            if path.suffix in (".ps1", ".psm1"):
                files[path.name] = path.read_text(encoding="utf-8")
    return files
