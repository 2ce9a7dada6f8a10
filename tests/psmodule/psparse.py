"""Reading PowerShell sources without PowerShell: the PyPI tree-sitter grammars.

Two grammars exist; each wrongly flags some valid code (different code), so a
file has a syntax error only when both flag it. Facts are extracted with
tree-sitter-powershell, which reads parameter blocks correctly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import tree_sitter_powershell
import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser


@cache
def _parser(grammar: str) -> Parser:
    module = tree_sitter_powershell if grammar == "powershell" else tree_sitter_pwsh
    return Parser(Language(module.language()))


def error_positions(source: bytes, grammar: str) -> list[tuple[int, int]]:
    tree = _parser(grammar).parse(source)
    return [(n.start_point[0] + 1, n.start_point[1] + 1) for n in walk(tree.root_node) if n.is_error or n.is_missing]


def has_syntax_error(source: bytes) -> bool:
    """True only when both grammars find an error (each alone has false positives)."""
    return bool(error_positions(source, "powershell")) and bool(error_positions(source, "pwsh"))


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8")


def string_value(node: Node) -> str:
    raw = text(node)
    return raw[1:-1] if raw[:1] in "'\"" and raw[-1:] == raw[:1] else raw


@dataclass
class Parameter:
    name: str
    type: str
    attributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class EngineCall:
    command: list[str]
    has_argument: bool
    has_options: bool
    secret_node: Node | None


@dataclass
class Function:
    name: str
    node: Node
    parameters: list[Parameter]
    help: str
    binding: dict[str, str]
    calls: list[EngineCall]
    options: dict[str, set[str]]
    """Engine option → names of the parameters that decide it."""


def parse_source(source: bytes) -> Node:
    return _parser("powershell").parse(source).root_node


def parse_file(path: Path) -> Node:
    return parse_source(path.read_bytes())


def _attributes(node: Node) -> tuple[dict[str, list[str]], str]:
    attributes: dict[str, list[str]] = {}
    type_name = ""
    for attribute in (n for n in node.children if n.type == "attribute_list"):
        for item in (n for n in attribute.children if n.type == "attribute"):
            literal = next((c for c in item.children if c.type == "type_literal"), None)
            if literal is not None:
                type_name = text(literal)[1:-1].lower()  # [byte[]] -> byte[]
                continue
            name = next(c for c in item.children if c.type == "attribute_name")
            arguments = next((c for c in item.children if c.type == "attribute_arguments"), None)
            values = (
                [text(a).strip() for a in arguments.children if a.type == "attribute_argument"] if arguments else []
            )
            attributes[text(name)] = [string_value_text(v) for v in values]
    return attributes, type_name


def string_value_text(raw: str) -> str:
    return raw[1:-1] if raw[:1] in "'\"" and raw[-1:] == raw[:1] else raw


def param_block(function: Node) -> Node | None:
    """The function's own param block (not one of a script block inside it), if it has one."""
    body = next((c for c in function.children if c.type == "script_block"), None)
    return next((c for c in body.children if c.type == "param_block"), None) if body is not None else None


def _parameters(function: Node) -> list[Parameter]:
    block = param_block(function)
    if block is None:
        return []
    parameters = []
    for node in (n for n in walk(block) if n.type == "script_parameter"):
        attributes, type_name = _attributes(node)
        variable = next(c for c in node.children if c.type == "variable")
        parameters.append(Parameter(text(variable).lstrip("$"), type_name, attributes))
    return parameters


def _binding(function: Node) -> dict[str, str]:
    block = param_block(function)
    if block is None:
        return {}
    for attribute in (n for n in walk(block) if n.type == "attribute"):
        name = next((c for c in attribute.children if c.type == "attribute_name"), None)
        if name is not None and text(name) == "CmdletBinding":
            result = {}
            for argument in (n for n in walk(attribute) if n.type == "attribute_argument"):
                key, _, value = text(argument).partition("=")
                result[key.strip()] = string_value_text(value.strip())
            return result
    return {}


def _engine_calls(function: Node) -> list[EngineCall]:
    calls = []
    for command in (n for n in walk(function) if n.type == "command"):
        name = next((c for c in command.children if c.type == "command_name"), None)
        if name is None or text(name) != "Invoke-AzsBackupEngine":
            continue
        elements = next(c for c in command.children if c.type == "command_elements")
        parts = [c for c in elements.children if c.type != "command_argument_sep"]
        values: dict[str, Node] = {}
        for flag, value in itertools.pairwise(parts):
            if flag.type == "command_parameter":
                values[text(flag).lstrip("-")] = value
        words = [string_value(n) for n in walk(values["Command"]) if n.type == "string_literal"]
        secret = values.get("Secret")
        calls.append(EngineCall(words, "Argument" in values, "Option" in values, secret))
    return calls


def _options(function: Node) -> dict[str, set[str]]:
    """Each ``$option['--x'] = ...`` with the parameters named in its enclosing if-condition."""
    options: dict[str, set[str]] = {}
    for access in (n for n in walk(function) if n.type == "element_access" and text(n).startswith("$option[")):
        key = next(string_value(n) for n in walk(access) if n.type == "string_literal")
        deciders: set[str] = set()
        parent = access.parent
        while parent is not None and parent.type != "if_statement":
            parent = parent.parent
        if parent is not None:
            condition = next(c for c in parent.children if c.type == "pipeline")
            deciders |= {text(v).lstrip("$") for v in walk(condition) if v.type == "variable"}
            deciders |= {string_value(s) for s in walk(condition) if s.type == "string_literal"}
        options.setdefault(key, set()).update(deciders - {"PSBoundParameters"})
    return options


def _help(function: Node) -> str:
    return "\n".join(text(n) for n in walk(function) if n.type == "comment" and ".SYNOPSIS" in text(n))


def functions(source: Path | bytes) -> list[Function]:
    """The functions a file (or a script's text) defines, at any depth."""
    root = parse_file(source) if isinstance(source, Path) else parse_source(source)
    found = []
    for node in (n for n in walk(root) if n.type == "function_statement"):
        name = text(next(c for c in node.children if c.type == "function_name"))
        found.append(
            Function(name, node, _parameters(node), _help(node), _binding(node), _engine_calls(node), _options(node))
        )
    return found


def manifest_list(path: Path, key: str) -> list[str]:
    """A string list of a .psd1 hash entry, e.g. FunctionsToExport."""
    root = parse_file(path)
    for entry in (n for n in walk(root) if n.type == "hash_entry"):
        name = next(c for c in entry.children if c.type == "key_expression")
        if text(name) == key:
            return [string_value(n) for n in walk(entry) if n.type == "string_literal"]
    raise KeyError(key)
