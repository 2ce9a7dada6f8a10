"""Reading PowerShell sources without PowerShell: the PyPI tree-sitter grammars.

Two grammars exist; each wrongly flags some valid code (different code), so a
file has a syntax error when both flag it. A file that either grammar flags is
reported too when the error is one PowerShell would also see (``has_syntax_error``
is the strict reading the module's own files are held to: neither grammar may
flag them). Facts are extracted with tree-sitter-powershell, which reads
parameter blocks correctly; command lines (examples) with tree-sitter-pwsh,
which reads bare-word arrays (``Select-Object -Property Path, UserName``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter_powershell
import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser

GRAMMARS = ("powershell", "pwsh")


@cache
def _parser(grammar: str) -> Parser:
    module = tree_sitter_powershell if grammar == "powershell" else tree_sitter_pwsh
    return Parser(Language(module.language()))


def parse(source: bytes | str, grammar: str = "powershell") -> Node:
    data = source.encode("utf-8") if isinstance(source, str) else source
    return _parser(grammar).parse(data).root_node


def error_positions(source: bytes, grammar: str) -> list[tuple[int, int]]:
    root = parse(source, grammar)
    return [(n.start_point[0] + 1, n.start_point[1] + 1) for n in walk(root) if n.is_error or n.is_missing]


def has_syntax_error(source: bytes) -> bool:
    """True when both grammars find an error (each alone has false positives on valid code)."""
    return all(error_positions(source, g) for g in GRAMMARS)


def flagged_by_either(source: bytes) -> list[str]:
    """The grammars that find an error: the module's own files must parse cleanly in both."""
    return [g for g in GRAMMARS if error_positions(source, g)]


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8")


def unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
        inner = raw[1:-1]
        return inner.replace("''", "'") if raw[0] == "'" else inner.replace('`"', '"')
    return raw


def literal(raw: str) -> Any:
    """A constant as PowerShell reads it in an attribute: $true/$false, an integer, a string; else the text."""
    raw = raw.strip()
    if raw.lower() in ("$true", "$false"):
        return raw.lower() == "$true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return unquote(raw)


@dataclass
class Attribute:
    name: str
    positional: list[Any] = field(default_factory=list)
    named: dict[str, Any] = field(default_factory=dict)


@dataclass
class SetInfo:
    """One ``[Parameter()]`` attribute: the parameter's membership of one parameter set."""

    name: str
    mandatory: bool = False
    position: int | None = None
    from_pipeline: bool = False
    from_pipeline_by_name: bool = False


ALL_SETS = "__AllParameterSets"


@dataclass
class Parameter:
    name: str
    type: str
    attributes: list[Attribute] = field(default_factory=list)
    default: str | None = None

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name.lower() == name.lower()), None)

    @property
    def aliases(self) -> list[str]:
        found = self.attribute("Alias")
        return [str(v) for v in found.positional] if found else []

    @property
    def sets(self) -> list[SetInfo]:
        infos = []
        for a in self.attributes:
            if a.name.lower() != "parameter":
                continue
            infos.append(
                SetInfo(
                    name=str(a.named.get("ParameterSetName", ALL_SETS)),
                    mandatory=a.named.get("Mandatory") is True,
                    position=a.named["Position"] if isinstance(a.named.get("Position"), int) else None,
                    from_pipeline=a.named.get("ValueFromPipeline") is True,
                    from_pipeline_by_name=a.named.get("ValueFromPipelineByPropertyName") is True,
                )
            )
        return infos or [SetInfo(ALL_SETS)]

    @property
    def validate_set(self) -> list[str] | None:
        found = self.attribute("ValidateSet")
        return [str(v) for v in found.positional] if found else None

    @property
    def validate_range(self) -> tuple[int, int] | None:
        found = self.attribute("ValidateRange")
        if not found:
            return None
        low, high = found.positional
        return int(low), int(high)

    @property
    def is_switch(self) -> bool:
        return self.type in ("switch", "system.management.automation.switchparameter")


@dataclass
class HelpSection:
    name: str
    argument: str
    body: str


@dataclass
class Function:
    name: str
    node: Node
    path: Path
    parameters: list[Parameter]
    binding: dict[str, Any]
    help: list[HelpSection]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name.lower() == name.lower()), None)

    @property
    def supports_should_process(self) -> bool:
        return self.binding.get("SupportsShouldProcess") is True

    @property
    def default_set(self) -> str:
        return str(self.binding.get("DefaultParameterSetName", ALL_SETS))

    @property
    def set_names(self) -> list[str]:
        names = {s.name for p in self.parameters for s in p.sets if s.name != ALL_SETS}
        return sorted(names) or [ALL_SETS]

    def help_sections(self, name: str) -> list[HelpSection]:
        return [h for h in self.help if h.name == name.upper()]

    @property
    def examples(self) -> list[str]:
        """The code of each .EXAMPLE: its lines up to the first blank line."""
        return [h.body.split("\n\n", 1)[0].strip() for h in self.help_sections("EXAMPLE")]


def _attribute(node: Node) -> Attribute | None:
    name_node = next((c for c in node.children if c.type == "attribute_name"), None)
    if name_node is None:
        return None
    result = Attribute(text(name_node))
    arguments = next((c for c in node.children if c.type == "attribute_arguments"), None)
    for argument in (a for a in (arguments.children if arguments else []) if a.type == "attribute_argument"):
        parts = [c for c in argument.children]
        if len(parts) >= 3 and parts[0].type == "simple_name" and text(parts[1]) == "=":
            result.named[text(parts[0])] = literal(text(parts[2]))
        elif parts and parts[0].type == "simple_name" and len(parts) == 1:
            result.named[text(parts[0])] = True  # [Parameter(Mandatory)]
        else:
            result.positional.append(literal(text(argument)))
    return result


def _script_parameter(node: Node) -> Parameter:
    attributes: list[Attribute] = []
    type_name = ""
    for attribute_list in (c for c in node.children if c.type == "attribute_list"):
        for item in (c for c in attribute_list.children if c.type == "attribute"):
            literal_node = next((c for c in item.children if c.type == "type_literal"), None)
            if literal_node is not None:
                type_name = text(literal_node).strip()[1:-1].strip().lower()
                continue
            parsed = _attribute(item)
            if parsed is not None:
                attributes.append(parsed)
    variable = next(c for c in node.children if c.type == "variable")
    default = next((c for c in node.children if c.type == "script_parameter_default"), None)
    return Parameter(
        text(variable).lstrip("$"), type_name, attributes, text(default).lstrip("= ").strip() if default else None
    )


def param_block(function: Node) -> Node | None:
    body = next((c for c in function.children if c.type == "script_block"), None)
    return next((c for c in body.children if c.type == "param_block"), None) if body else None


def _binding(block: Node | None) -> dict[str, Any]:
    if block is None:
        return {}
    for attribute_list in (c for c in block.children if c.type == "attribute_list"):
        for item in (c for c in attribute_list.children if c.type == "attribute"):
            parsed = _attribute(item)
            if parsed is not None and parsed.name.lower() == "cmdletbinding":
                return parsed.named
    return {}


_SECTION = re.compile(r"^\s*\.([A-Z]+)[ \t]*(\S*)[ \t]*$", re.M)


def _help(function: Node) -> list[HelpSection]:
    comments = [text(n) for n in walk(function) if n.type == "comment" and text(n).startswith("<#")]
    if not comments:
        return []
    body = comments[0].removeprefix("<#").removesuffix("#>")
    matches = list(_SECTION.finditer(body))
    sections = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        lines = [line.strip() for line in body[match.end() : end].strip("\n").splitlines()]
        sections.append(HelpSection(match.group(1), match.group(2), "\n".join(lines).strip()))
    return sections


def functions(source: Path | bytes) -> list[Function]:
    """The functions a file defines, or a script's text (then their path is ``<script>``)."""
    path = source if isinstance(source, Path) else Path("<script>")
    root = parse(source.read_bytes() if isinstance(source, Path) else source)
    found = []
    for node in (n for n in walk(root) if n.type == "function_statement"):
        name = text(next(c for c in node.children if c.type == "function_name"))
        block = param_block(node)
        parameters = [_script_parameter(n) for n in walk(block) if n.type == "script_parameter"] if block else []
        found.append(Function(name, node, path, parameters, _binding(block), _help(node)))
    return found


def manifest_list(path: Path, key: str) -> list[str]:
    """A string list of a .psd1 hash entry, e.g. FunctionsToExport."""
    root = parse(path.read_bytes())
    for entry in (n for n in walk(root) if n.type == "hash_entry"):
        name = next(c for c in entry.children if c.type == "key_expression")
        if text(name) == key:
            return [unquote(text(n)) for n in walk(entry) if n.type == "string_literal"]
    raise KeyError(key)


def data_file(path: Path) -> Any:
    """A .psd1 data file (hashtables, arrays, strings, numbers, booleans) as Python values."""
    root = parse(path.read_bytes())
    top = next(n for n in walk(root) if n.type == "hash_literal_expression")
    return _value(top)


def _value(node: Node) -> Any:
    if node.type == "hash_literal_expression":
        result = {}
        for entry in (n for n in walk(node) if n.type == "hash_entry" and _owner(n) == node):
            key = next(c for c in entry.children if c.type == "key_expression")
            value = entry.children[-1]
            result[unquote(text(key))] = _value(value)
        return result
    inner = [c for c in walk(node) if c.type in ("hash_literal_expression", "array_expression")]
    first = inner[0] if inner else None
    if first is not None and first != node:
        return _value(first)
    if node.type == "array_expression":
        items = [n for n in walk(node) if n.type in ("string_literal", "integer_literal")]
        return [literal(text(n)) for n in items]
    return literal(text(node))


def _owner(entry: Node) -> Node | None:
    parent = entry.parent
    while parent is not None and parent.type != "hash_literal_expression":
        parent = parent.parent
    return parent
