"""Static checks that a PowerShell script in a typed style runs under ``Set-StrictMode -Version Latest``.

No PowerShell runs here, so what strict mode would catch at run time is ruled out from the syntax
tree (tree-sitter, :mod:`tests.psmodule.psparse`), for scripts written so that it can be:

* a variable is read only after an assignment in a block that encloses the read, or as a parameter,
  a ``foreach`` variable inside its loop, ``$_`` inside a ``catch`` block, or an automatic variable;
* a member (property or method) is used only on an expression whose .NET type is known: a typed
  parameter or ``[Type] $variable``, a ``[Type]::Member``, a cast, a member of a known type, a
  ``foreach`` element of a typed array, or the output of a function of the same script (then the
  member must be a property of every object the function writes); and the member must exist on
  that type in :data:`MEMBERS` / :data:`STATIC`;
* indexing only where the indexer cannot fail (``PSObject.Properties[name]`` gives ``$null``);
* no statement writes a method's return value by accident (it must be cast to ``[void]``);
* the script's own functions are called as commands (never ``F(a, b)``), with parameters their
  param block declares, every mandatory one, and arguments of a convertible type; any other command
  is a cmdlet of both editions, with parameters listed in :data:`CMDLETS`;
* ``ValidateRange`` bounds are of one type. PowerShell itself accepts an Int32 bound beside an Int64 one
  (both editions convert the pair to a common type before comparing), so this is the module's own rule:
  a range reads as the type of the engine field it guards, and a value past Int32 is written as Int64 at
  both ends.

:data:`MEMBERS` and :data:`STATIC` are written by hand from the .NET API reference
(learn.microsoft.com): each entry is a member that both .NET Framework 4.6.2 (Windows PowerShell 5.1)
and .NET 8 (PowerShell 7) have, with the type it gives. A member missing from the table fails the
check until someone looks it up; the table cannot prove itself right.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from tree_sitter import Node

from tests.psmodule.psparse import Function, functions, param_block, text, walk

WRAPPERS = {
    "pipeline",
    "pipeline_chain",
    "logical_expression",
    "bitwise_expression",
    "comparison_expression",
    "additive_expression",
    "multiplicative_expression",
    "format_expression",
    "range_expression",
    "array_literal_expression",
    "unary_expression",
    "argument_expression",
    "logical_argument_expression",
    "bitwise_argument_expression",
    "comparison_argument_expression",
    "additive_argument_expression",
    "multiplicative_argument_expression",
    "format_argument_expression",
    "range_argument_expression",
    "left_assignment_expression",
    "while_condition",
    "expression_with_unary_operator",
}
BLOCKS = ("statement_block", "script_block_body")
ALIASES = {
    "string": "system.string",
    "int": "system.int32",
    "long": "system.int64",
    "bool": "system.boolean",
    "byte": "system.byte",
    "char": "system.char",
    "void": "system.void",
    "object": "system.object",
    "pscustomobject": "system.management.automation.pscustomobject",
    "psobject": "system.management.automation.psobject",
}
AUTOMATIC = {"null": "system.object", "true": "system.boolean", "false": "system.boolean"}
PSCMDLET = "system.management.automation.pscmdlet"
ERROR_RECORD = "system.management.automation.errorrecord"
INTEGERS = ("system.int32", "system.int64")


def canonical(name: str) -> str:
    """``[System.Collections.Generic.Stack[string]]`` -> ``system.collections.generic.stack[system.string]``."""
    name = name.strip().lower().replace(" ", "")
    if name.startswith("[") and name.endswith("]") and name.count("[") == name.count("]"):
        inner = name[1:-1]
        if inner.count("[") == inner.count("]"):
            name = inner
    suffix = ""
    while name.endswith("[]"):
        name, suffix = name[:-2], suffix + "[]"
    if name.endswith("]") and "[" in name:
        base, arguments = name.split("[", 1)
        return f"{ALIASES.get(base, base)}[{','.join(canonical(a) for a in _split_top(arguments[:-1]))}]{suffix}"
    return ALIASES.get(name, name) + suffix


def _split_top(arguments: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(arguments):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(arguments[start:i])
            start = i + 1
    return [*parts, arguments[start:]]


def _table(entries: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {canonical(t): {m.lower(): canonical(r) for m, r in members.items()} for t, members in entries.items()}


FILE_SYSTEM_INFO = {"Name": "string", "LastWriteTimeUtc": "System.DateTime", "Attributes": "System.IO.FileAttributes"}
PROPERTIES = "System.Management.Automation.PSMemberInfoCollection[System.Management.Automation.PSPropertyInfo]"
ENCODING = {"GetByteCount": "int", "GetBytes": "byte[]", "GetString": "string"}
MEMBERS = _table(
    {
        "System.Object": {"PSObject": "psobject", "GetType": "System.Type", "ToString": "string"},
        "string": {
            "Length": "int",
            "StartsWith": "bool",
            "Substring": "string",
            "Split": "string[]",
            "IndexOfAny": "int",
            "LastIndexOf": "int",
            "TrimEnd": "string",
            "Replace": "string",
            "ToLowerInvariant": "string",
        },
        "System.Exception": {"InnerException": "System.Exception", "HResult": "int", "Message": "string"},
        "System.Management.Automation.ErrorRecord": {"Exception": "System.Exception"},
        "System.Management.Automation.PSCmdlet": {"ThrowTerminatingError": "void"},
        "System.Text.Encoding": ENCODING,
        "System.Text.UTF8Encoding": ENCODING,
        "System.Collections.Generic.Stack[string]": {"Push": "void", "Pop": "string", "Count": "int"},
        "System.IO.FileSystemInfo": FILE_SYSTEM_INFO,
        "System.IO.DirectoryInfo": {
            **FILE_SYSTEM_INFO,
            "EnumerateFileSystemInfos": "System.Collections.Generic.IEnumerable[System.IO.FileSystemInfo]",
        },
        "System.IO.FileInfo": {**FILE_SYSTEM_INFO, "Length": "long"},
        "System.DateTime": {"Ticks": "long"},
        "System.IO.FileAttributes": {"HasFlag": "bool"},
        "psobject": {"Properties": PROPERTIES},
        PROPERTIES: {"[]": "System.Management.Automation.PSPropertyInfo"},
        "System.Management.Automation.PSPropertyInfo": {"Value": "object"},
        "System.IO.FileStream": {
            "Seek": "long",
            "Read": "int",
            "Write": "void",
            "Dispose": "void",
            "Length": "long",
            "Position": "long",
        },
        "System.Security.Cryptography.SHA256": {"ComputeHash": "byte[]", "Dispose": "void"},
    }
)
"""Instance members: type -> member -> the type it gives (``[]``: the indexer)."""

STATIC = _table(
    {
        "System.IO.Path": {"GetFullPath": "string", "GetInvalidFileNameChars": "char[]"},
        "System.StringComparison": {"Ordinal": "System.StringComparison"},
        "System.ArgumentException": {"new": "System.ArgumentException"},
        "System.IO.DirectoryNotFoundException": {"new": "System.IO.DirectoryNotFoundException"},
        "System.IO.InvalidDataException": {"new": "System.IO.InvalidDataException"},
        "System.Management.Automation.ErrorRecord": {"new": "System.Management.Automation.ErrorRecord"},
        "System.Management.Automation.ErrorCategory": {
            c: "System.Management.Automation.ErrorCategory"
            for c in (
                "ReadError",
                "ObjectNotFound",
                "PermissionDenied",
                "ResourceBusy",
                "InvalidArgument",
                "InvalidData",
            )
        },
        "System.IO.Directory": {"Exists": "bool", "CreateDirectory": "System.IO.DirectoryInfo"},
        "System.IO.DirectoryInfo": {"new": "System.IO.DirectoryInfo"},
        "System.Text.UTF8Encoding": {"new": "System.Text.UTF8Encoding"},
        "System.Text.Encoding": {"UTF8": "System.Text.Encoding"},
        "System.Collections.Generic.Stack[string]": {"new": "System.Collections.Generic.Stack[string]"},
        "System.IO.FileAttributes": {"ReparsePoint": "System.IO.FileAttributes", "Normal": "System.IO.FileAttributes"},
        "System.IO.FileStream": {"new": "System.IO.FileStream"},
        "System.IO.FileMode": {"Open": "System.IO.FileMode", "Create": "System.IO.FileMode"},
        "System.IO.FileAccess": {"Read": "System.IO.FileAccess", "Write": "System.IO.FileAccess"},
        "System.IO.FileShare": {"None": "System.IO.FileShare"},
        "System.IO.FileOptions": {"SequentialScan": "System.IO.FileOptions"},
        "System.IO.SeekOrigin": {"Begin": "System.IO.SeekOrigin"},
        "System.DateTime": {"new": "System.DateTime"},
        "System.DateTimeKind": {"Utc": "System.DateTimeKind"},
        "byte[]": {"new": "byte[]"},
        "System.Array": {"Copy": "void"},
        "System.Security.Cryptography.SHA256": {"Create": "System.Security.Cryptography.SHA256"},
        "System.BitConverter": {"ToString": "string"},
        "System.IO.File": {
            "Exists": "bool",
            "Delete": "void",
            "Move": "void",
            "Replace": "void",
            "GetAttributes": "System.IO.FileAttributes",
            "SetAttributes": "void",
            "SetLastWriteTimeUtc": "void",
        },
        "System.Management.Automation.Language.NullString": {
            "Value": "System.Management.Automation.Language.NullString"
        },
    }
)
"""Static members (``new``: a constructor) -> the type they give."""

CMDLETS = {"set-strictmode": {"version"}, "sort-object": {"property"}}
"""Cmdlets of both Windows PowerShell 5.1 and PowerShell 7 the script may call, with the parameters it may use."""


@dataclass
class Violation:
    function: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.function} line {self.line}: {self.message}"


def unwrap(node: Node) -> Node:
    """The one meaningful node inside grammar wrappers (``pipeline > … > unary_expression > variable``)."""
    while node.type in WRAPPERS:
        named = [c for c in node.named_children if c.type != "comment"]
        # -not $x and , $x keep their operator: only a lone child is unwrapped there
        operand_only = node.type != "expression_with_unary_operator" or len(node.children) == 1
        if len(named) != 1 or not operand_only:
            break
        node = named[0]
    return node


def variable_name(node: Node) -> str:
    return text(node).lstrip("$").lower()


def _member(node: Node) -> tuple[Node, str, bool]:
    """(object, member, static) of a member_access / invokation_expression / element_access node."""
    children = node.children
    if node.type == "element_access":
        return children[0], "[]", False
    name = next(c for c in children if c.type == "member_name")
    return children[0], text(name).lower(), any(c.type == "::" for c in children)


def _inside(node: Node, ancestor: Node) -> bool:
    return ancestor.start_byte <= node.start_byte and node.end_byte <= ancestor.end_byte


def _enclosing(node: Node, types: tuple[str, ...]) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in types:
        parent = parent.parent
    return parent


@dataclass
class Script:
    """A script's functions with what the checks need to know about each."""

    source: bytes
    functions: dict[str, Function] = field(init=False)

    def __post_init__(self) -> None:
        self.functions = {f.name.lower(): f for f in functions(self.source)}

    @cached_property
    def environments(self) -> dict[str, dict[str, str | None]]:
        return {name: _Environment(self, f).types for name, f in self.functions.items()}

    def type_of(self, node: Node, function: str) -> str | None:
        return _Typer(self, function).type_of(node)

    def emissions(self, function: str, seen: frozenset[str] = frozenset()) -> list[frozenset[str] | str]:
        """What a function writes: the property names of each object literal, or the type of other values."""
        if function in seen or function not in self.functions:
            return []
        typer, shapes = _Typer(self, function), []
        for statement in _statements(self.functions[function].node):
            shapes.extend(typer.emitted(statement, seen | {function}))
        return shapes

    def output_members(self, function: str) -> set[str] | None:
        """Properties every object the function writes has; None if it writes anything but objects."""
        shapes = self.emissions(function)
        if not shapes or not all(isinstance(s, frozenset) for s in shapes):
            return None
        return {m.lower() for m in frozenset.intersection(*(s for s in shapes if isinstance(s, frozenset)))}


def _statements(function: Node) -> Iterator[Node]:
    """Every statement-level pipeline of a function body (not in nested script blocks)."""
    for node in walk(function):
        statements = node.parent
        in_block = statements is not None and statements.parent is not None and statements.parent.type in BLOCKS
        if node.type == "pipeline" and in_block and statements.type == "statement_list":  # not in @( ) or $( )
            yield node


def _assignment(node: Node) -> tuple[Node, str, str | None, Node] | None:
    """(target variable, operator, declared type, value) of an assignment pipeline."""
    assignment = unwrap(node)
    if assignment.type != "assignment_expression":
        return None
    left = unwrap(assignment.children[0])
    operator = text(assignment.children[1])
    declared = None
    if left.type == "cast_expression":
        declared = canonical(text(left.children[0]))
        left = unwrap(left.children[1])
    return left, operator, declared, assignment.children[2]


class _Environment:
    """The types of a function's variables: declared ones, and those inferred from what is assigned."""

    def __init__(self, script: Script, function: Function) -> None:
        self.types: dict[str, str | None] = {p.name.lower(): canonical(p.type or "object") for p in function.parameters}
        self.declared = set(self.types)
        typer = _Typer(script, function.name.lower(), self.types)
        for _ in range(4):  # inferred types may depend on each other; a few passes settle them
            for node in walk(function.node):
                if node.type == "assignment_expression":
                    self._assign(node, typer)
                elif node.type == "foreach_statement":
                    variable = next(c for c in node.children if c.type == "variable")
                    collection = typer.type_of(next(c for c in node.children if c.type == "pipeline"))
                    if self.types.get(variable_name(variable)) is None:
                        self.types[variable_name(variable)] = _element(collection)

    def _assign(self, node: Node, typer: _Typer) -> None:
        parts = _assignment(node)
        if parts is None or parts[0].type != "variable":
            return
        target, operator, declared, value = parts
        name = variable_name(target)
        if declared is not None:
            self.types[name] = declared
            self.declared.add(name)
        elif name not in self.declared and operator == "=":
            self.types[name] = typer.type_of(value) or self.types.get(name)


def _element(collection: str | None) -> str | None:
    if collection is None:
        return None
    if collection.endswith("[]"):
        return collection[:-2]
    match = re.fullmatch(r"system\.collections\.generic\.ienumerable\[(.+)\]", collection)
    return match.group(1) if match else None


class _Typer:
    def __init__(self, script: Script, function: str, types: dict[str, str | None] | None = None) -> None:
        self.script = script
        self.function = function
        self._types = types

    @property
    def types(self) -> dict[str, str | None]:
        return self._types if self._types is not None else self.script.environments[self.function]

    def type_of(self, node: Node) -> str | None:
        node = unwrap(node)
        kind = node.type
        if kind == "variable":
            name = variable_name(node)
            if name == "_":
                return ERROR_RECORD
            if name == "pscmdlet":
                return PSCMDLET
            return AUTOMATIC.get(name) or self.types.get(name)
        if kind in ("string_literal", "expandable_string_literal"):
            return "system.string"
        if kind == "integer_literal":
            return "system.int32" if abs(int(text(node), 0)) < 2**31 else "system.int64"
        if kind == "cast_expression":
            return canonical(text(node.children[0]))
        if kind == "parenthesized_expression":
            return self.type_of(node.children[1])
        if kind == "command":
            name = text(next(c for c in node.children if c.type == "command_name")).lower()
            return f"output:{name}" if name in self.script.functions else None
        if kind == "format_expression" or (
            kind == "additive_expression" and self.type_of(node.children[0]) == "system.string"
        ):
            return "system.string"
        if kind in ("member_access", "invokation_expression", "element_access"):
            return self.member_type(node)
        if kind == "expression_with_unary_operator" and text(node.children[0]) == ",":
            inner = self.type_of(node.children[1])
            return f"{inner}[]" if inner else None
        return None

    def member_type(self, node: Node) -> str | None:
        target, member, static = _member(node)
        if static:
            return STATIC.get(canonical(text(target)), {}).get(member)
        owner = self.type_of(target)
        if owner is None or owner.startswith("output:"):
            return None
        return members_of(owner).get(member)

    def emitted(self, statement: Node, seen: frozenset[str]) -> list[frozenset[str] | str]:
        node = unwrap(statement)
        if node.type == "assignment_expression":
            return []
        if node.type == "command":
            name = text(next(c for c in node.children if c.type == "command_name")).lower()
            return self.script.emissions(name, seen) if name in self.script.functions else []
        if node.type == "cast_expression" and canonical(text(node.children[0])) == ALIASES["pscustomobject"]:
            literal = next(n for n in walk(node) if n.type == "hash_literal_expression")
            keys = [text(k) for k in walk(literal) if k.type == "key_expression"]
            return [frozenset(keys)]
        if node.type == "cast_expression" and canonical(text(node.children[0])) == "system.void":
            return []
        if node.type == "expression_with_unary_operator" and text(node.children[0]) == ",":
            return [self.type_of(node.children[1]) or "unknown"]  # , $array writes the array as one object
        kind = self.type_of(node)
        if kind is not None and kind.startswith("output:"):
            return self.script.emissions(kind.removeprefix("output:"), seen)
        return [] if kind == "system.void" else [kind or "unknown"]


def members_of(kind: str) -> dict[str, str]:
    """Members of a type: its own, its base types' (as listed), and those of every object."""
    own = {"length": "system.int32"} if kind.endswith("[]") else dict(MEMBERS.get(kind, {}))
    if kind.endswith("exception"):
        own = {**MEMBERS[canonical("System.Exception")], **own}
    return {**MEMBERS[canonical("System.Object")], **own}


def check(source: bytes) -> list[Violation]:
    """Every strict-mode hazard the checks find in a script."""
    script = Script(source)
    violations: list[Violation] = []
    for name, function in script.functions.items():
        typer = _Typer(script, name)
        found: list[tuple[Node, str]] = [
            *_unset_reads(function, script.environments[name]),
            *_members(function, typer, script),
            *_accidental_output(function, typer),
            *_commands(function, typer, script),
            *_validate_range(function),
        ]
        violations += [Violation(function.name, n.start_point[0] + 1, message) for n, message in found]
    return violations


def _unset_reads(function: Function, types: dict[str, str | None]) -> Iterator[tuple[Node, str]]:
    parameters = {p.name.lower() for p in function.parameters}
    assignments: dict[str, list[Node]] = {}
    writes: set[int] = set()
    for node in walk(function.node):
        parts = _assignment(node) if node.type == "assignment_expression" else None
        if parts is not None and parts[0].type == "variable":
            assignments.setdefault(variable_name(parts[0]), []).append(node)
            if parts[1] == "=":
                writes.add(parts[0].id)
        if node.type == "foreach_statement":
            variable = next(c for c in node.children if c.type == "variable")
            assignments.setdefault(variable_name(variable), []).append(node)
            writes.add(variable.id)
    block = param_block(function.node)
    for node in walk(function.node):
        if node.type != "variable" or node.id in writes or (block is not None and _inside(node, block)):
            continue
        name = variable_name(node)
        if name == "_":
            if _enclosing(node, ("catch_clause",)) is None:
                yield node, "$_ is read outside a catch block (unset there under strict mode)"
            continue
        if name in parameters or name in AUTOMATIC or name == "pscmdlet":
            continue
        if not any(_assigned_before(a, node) for a in assignments.get(name, [])):
            yield node, f"${name} may be read before it is assigned"


def _assigned_before(assignment: Node, read: Node) -> bool:
    if assignment.type == "foreach_statement":
        body = next(c for c in assignment.children if c.type == "statement_block")
        return _inside(read, body)
    block = _enclosing(assignment, BLOCKS)
    return assignment.end_byte <= read.start_byte and block is not None and _inside(read, block)


def _members(function: Function, typer: _Typer, script: Script) -> Iterator[tuple[Node, str]]:
    for node in walk(function.node):
        if node.type not in ("member_access", "invokation_expression", "element_access"):
            continue
        target, member, static = _member(node)
        if static:
            owner = canonical(text(target))
            if member not in STATIC.get(owner, {}):
                yield node, f"[{owner}]::{member} is not a known static member of both editions"
            continue
        owner_type = typer.type_of(target)
        if owner_type is None:
            yield node, f"the type of {text(target)!r} is not known; declare it to read .{member}"
        elif owner_type.startswith("output:"):
            producer = owner_type.removeprefix("output:")
            available = script.output_members(producer)
            if available is None or member not in available:
                yield node, f"{text(target)}.{member}: not a property of every object {producer} writes"
        elif member not in members_of(owner_type):
            what = "an indexer" if member == "[]" else f"a member {member}"
            yield node, f"{owner_type} has no {what} known on both editions ({text(node)!r})"


def _accidental_output(function: Function, typer: _Typer) -> Iterator[tuple[Node, str]]:
    for statement in _statements(function.node):
        node = unwrap(statement)
        if node.type == "invokation_expression" and _member(node)[1] != "new":  # a constructed object is meant
            kind = typer.type_of(node)
            if kind != "system.void":
                yield node, f"{text(node)[:60]!r} writes its return value ({kind}) to the output; cast it to [void]"


def _commands(function: Function, typer: _Typer, script: Script) -> Iterator[tuple[Node, str]]:
    for node in walk(function.node):
        if node.type != "command":
            continue
        name = text(next(c for c in node.children if c.type == "command_name"))
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        items = [c for c in elements.children if c.type != "command_argument_sep"] if elements else []
        if elements is not None and elements.children and elements.children[0].type != "command_argument_sep":
            yield node, f"{name} is called with method syntax; strict mode forbids it"
            continue
        given = _arguments(items)
        callee = script.functions.get(name.lower())
        if callee is None:
            allowed = CMDLETS.get(name.lower())
            if allowed is None:
                yield node, f"{name} is neither a function of this script nor a cmdlet known on both editions"
            elif set(given) - allowed:
                yield (
                    node,
                    f"{name} is called with parameters not checked for both editions: {sorted(set(given) - allowed)}",
                )
            continue
        declared = {p.name.lower(): p for p in callee.parameters}
        for parameter, value in given.items():
            if parameter not in declared:
                yield node, f"{name} declares no parameter -{parameter}"
            elif value is not None and not _convertible(typer.type_of(value), canonical(declared[parameter].type)):
                yield node, f"{name} -{parameter} takes [{declared[parameter].type}], given {typer.type_of(value)}"
        for parameter in callee.parameters:
            mandatory = any(s.mandatory for s in parameter.sets)
            if mandatory and parameter.name.lower() not in given:
                yield node, f"{name} is called without its mandatory -{parameter.name}"


def _arguments(items: list[Node]) -> dict[str, Node | None]:
    given: dict[str, Node | None] = {}
    for i, item in enumerate(items):
        if item.type == "command_parameter":
            following = items[i + 1] if i + 1 < len(items) and items[i + 1].type != "command_parameter" else None
            given[text(item).lstrip("-").rstrip(":").lower()] = following
    return given


def _convertible(given: str | None, declared: str) -> bool:
    if given is None or given == declared or declared in ("system.string", "system.object"):
        return True
    return given in INTEGERS and declared in INTEGERS and not (given == "system.int64" and declared == "system.int32")


def _validate_range(function: Function) -> Iterator[tuple[Node, str]]:
    for parameter in function.parameters:
        found = parameter.attribute("ValidateRange")
        bounds = found.positional if found else []
        if len({isinstance(b, int) and -(2**31) <= b < 2**31 for b in bounds}) > 1:
            yield function.node, f"-{parameter.name}: ValidateRange bounds of two types ({', '.join(map(str, bounds))})"
