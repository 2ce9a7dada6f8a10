"""PowerShell's parameter binding, for the AzsBackup cmdlets, without PowerShell.

Given a cmdlet's declared parameters (parsed from its param block by
:mod:`tests.psmodule.psparse`) and a call (parsed from a command line by the
tree-sitter-pwsh grammar, or received over PSRP as name/value pairs), this binds
as PowerShell's binder does, and fails where it fails:

* names, unambiguous prefixes and aliases (case-insensitive), and the common parameters;
* ``[switch]`` parameters take no argument (``-X:$false`` sets one), ``[bool]`` ones need one;
* positional arguments fill the ``Position`` slots of the remaining parameter sets in order
  (every parameter gets one, in declaration order, when none declares a position);
* pipeline input binds ``ValueFromPipelineByPropertyName`` parameters from the properties of the
  objects the upstream cmdlet returns (their shapes, :mod:`azsbackup.pwsh.shapes`);
* the parameter set is the one that contains every bound parameter (the default set when more
  than one does), and its mandatory parameters must all be bound;
* literal values are converted to the parameter's type (a string does not become a ``[bool]``, a
  ``[securestring]`` or a ``[pscredential]``) and checked against ``ValidateSet``, ``ValidateRange``
  and ``ValidateNotNullOrEmpty``.

Values that are variables or expressions are unknown here: they bind, and the caller supplies a
sample of the parameter's type where it needs a value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from tests.psmodule.psparse import ALL_SETS, Function, Parameter, parse, text, unquote, walk

__all__ = ["BindingError", "Bound", "Parameter", "bind", "bind_command", "calls"]

COMMON_PARAMETERS = {
    "Verbose": ("vb",),
    "Debug": ("db",),
    "ErrorAction": ("ea",),
    "WarningAction": ("wa",),
    "InformationAction": ("infa",),
    "ProgressAction": ("proga",),
    "ErrorVariable": ("ev",),
    "WarningVariable": ("wv",),
    "InformationVariable": ("iv",),
    "OutVariable": ("ov",),
    "OutBuffer": ("ob",),
    "PipelineVariable": ("pv",),
}
SHOULD_PROCESS_PARAMETERS = {"WhatIf": ("wi",), "Confirm": ("cf",)}
COMMON_SWITCHES = {"Verbose", "Debug", "WhatIf", "Confirm"}


class BindingError(Exception):
    """The call does not bind; ``error_id`` is PowerShell's FullyQualifiedErrorId for the same failure."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(f"{error_id}: {message}")
        self.error_id = error_id


class SecureValue(str):
    """A SecureString argument (over PSRP: decrypted with the session key)."""

    __slots__ = ()


@dataclass(frozen=True)
class CredentialValue:
    """A PSCredential argument."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Value:
    """An argument: a known Python value, or an unknown one (a variable or an expression) with its text."""

    known: bool
    value: Any = None
    text: str = ""

    @staticmethod
    def of(value: Any) -> Value:
        return Value(True, value, repr(value))

    @staticmethod
    def unknown(source: str) -> Value:
        return Value(False, None, source)


@dataclass
class Bound:
    function: Function
    parameter_set: str
    values: dict[str, Value] = field(default_factory=dict)
    """canonical parameter name → converted value (common parameters included)"""
    from_pipeline: dict[str, str] = field(default_factory=dict)
    """parameter → the input property it was bound from"""


# --- reading a command line ------------------------------------------------------------------------------


@dataclass
class Token:
    parameter: str | None = None
    colon: bool = False
    nodes: list[Node] = field(default_factory=list)


def _tokens(command: Node) -> list[Token]:
    """The command's elements, grouped as PowerShell reads them: a token ends at whitespace (the grammar
    splits ``(Get-Date).AddDays(-7)`` in two; it is one argument)."""
    elements = next((c for c in command.children if c.type == "command_elements"), None)
    tokens: list[Token] = []
    current: Token | None = None
    for child in elements.children if elements else []:
        if child.type == "command_argument_sep":
            if text(child).strip() == ":" and current is not None and current.parameter is not None:
                current.colon = True
            else:
                current = None
            continue
        if child.type == "command_parameter":
            current = Token(parameter=text(child).lstrip("-").rstrip(":"), colon=text(child).endswith(":"))
            tokens.append(current)
            continue
        if current is None or (current.parameter is not None and not current.colon):
            current = Token()
            tokens.append(current)
        current.nodes.append(child)
    return tokens


def evaluate(nodes: list[Node], variables: dict[str, Any]) -> Value:
    """A constant argument's value; variables from ``variables`` (assigned literals); else unknown."""
    source = "".join(text(n) for n in nodes).strip()
    if len(nodes) == 1 and nodes[0].type == "bareword_argument_list":
        words = [text(n) for n in nodes[0].children if n.type == "generic_token"]
        return Value.of(words)
    lowered = source.lower()
    if lowered in ("$true", "$false"):
        return Value.of(lowered == "$true")
    if lowered == "$null":
        return Value.of(None)
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", source):
        name = source[1:].lower()
        return Value.of(variables[name]) if name in variables else Value.unknown(source)
    number = re.fullmatch(r"(-?\d+)(kb|mb|gb|tb|pb)?l?", source, re.IGNORECASE)
    if number:  # PowerShell's numeric literals: 10GB is 10 * 1024^3, 5L an Int64
        multiplier = 1024 ** (1 + "kmgtp".index(number.group(2)[0].lower())) if number.group(2) else 1
        return Value.of(int(number.group(1)) * multiplier)
    if re.fullmatch(r"'([^']|'')*'", source) or (re.fullmatch(r'"[^"$`]*"', source)):
        return Value.of(unquote(source))
    if "," in source and not source.startswith(("(", "@", "$", "{", "[")):
        parts = [evaluate(list(parse(p.strip(), "pwsh").children), variables) for p in source.split(",")]
        if all(p.known for p in parts):
            return Value.of([p.value for p in parts])
    if source and not source.startswith(("(", "@", "$", "{", "[", "'", '"')):
        return Value.of(source)  # a bare word: a string
    return Value.unknown(source)


# --- the binder -----------------------------------------------------------------------------------------


def _names(function: Function) -> dict[str, str]:
    """Every name and alias a parameter answers to (lower case) → its canonical name."""
    names: dict[str, str] = {}
    extra = dict(COMMON_PARAMETERS)
    if function.supports_should_process:
        extra |= SHOULD_PROCESS_PARAMETERS
    for name, aliases in extra.items():
        for alias in (name, *aliases):
            names[alias.lower()] = name
    for parameter in function.parameters:
        for alias in (parameter.name, *parameter.aliases):
            names[alias.lower()] = parameter.name
    return names


def resolve_name(function: Function, given: str) -> str:
    names = _names(function)
    if given.lower() in names:
        return names[given.lower()]
    matches = {canonical for alias, canonical in names.items() if alias.startswith(given.lower())}
    if not matches:
        raise BindingError("NamedParameterNotFound", f"{function.name} has no parameter -{given}")
    if len(matches) > 1:
        raise BindingError("AmbiguousParameter", f"-{given} of {function.name} matches {', '.join(sorted(matches))}")
    return matches.pop()


def _is_switch(function: Function, name: str) -> bool:
    parameter = function.parameter(name)
    return parameter.is_switch if parameter is not None else name in COMMON_SWITCHES


def _sets_of(parameter: Parameter, all_sets: list[str]) -> set[str]:
    named = {s.name for s in parameter.sets}
    return set(all_sets) if ALL_SETS in named else named


def _info(parameter: Parameter, set_name: str) -> Any:
    return next((s for s in parameter.sets if s.name in (set_name, ALL_SETS)), None)


def bind_command(
    function: Function,
    command: Node,
    variables: dict[str, Any] | None = None,
    pipeline_properties: list[str] | None = None,
    require_mandatory: bool = True,
) -> Bound:
    """Bind one parsed command (a tree-sitter-pwsh ``command`` node) to ``function``."""
    named: list[tuple[str, Value | None]] = []
    positional: list[Value] = []
    tokens = _tokens(command)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.parameter is None:
            positional.append(evaluate(token.nodes, variables or {}))
        elif token.colon:
            named.append((token.parameter, evaluate(token.nodes, variables or {})))
        elif _is_switch(function, resolve_name(function, token.parameter)):
            named.append((token.parameter, None))
        else:
            if i + 1 >= len(tokens) or tokens[i + 1].parameter is not None:
                raise BindingError("MissingArgument", f"-{token.parameter} of {function.name} needs an argument")
            i += 1
            named.append((token.parameter, evaluate(tokens[i].nodes, variables or {})))
        i += 1
    return bind(function, named, positional, pipeline_properties, require_mandatory)


def bind(
    function: Function,
    named: list[tuple[str, Value | None]],
    positional: list[Value] | None = None,
    pipeline_properties: list[str] | None = None,
    require_mandatory: bool = True,
) -> Bound:
    """Bind named (``None``: a switch given without a value) and positional arguments, then pipeline input.

    ``require_mandatory=False`` binds a call that only names a cmdlet and some of its parameters, as a hint
    in a text does; PowerShell itself would prompt for the rest."""
    all_sets = function.set_names
    values: dict[str, Value] = {}
    for given, value in named:
        name = resolve_name(function, given)
        if name in values:
            raise BindingError("ParameterAlreadyBound", f"-{name} of {function.name} is given twice")
        values[name] = _convert(function, name, value)
    candidates = set(all_sets)
    for name in values:
        parameter = function.parameter(name)
        if parameter is not None:
            candidates &= _sets_of(parameter, all_sets)
    if not candidates:
        raise BindingError("AmbiguousParameterSet", f"{function.name}: {', '.join(values)} are in no common set")
    for argument in positional or []:
        slot = _next_positional(function, values, candidates)
        if slot is None:
            raise BindingError("PositionalParameterNotFound", f"{function.name} takes no positional {argument.text}")
        values[slot.name] = _convert(function, slot.name, argument)
        candidates &= _sets_of(slot, all_sets)
    from_pipeline: dict[str, str] = {}
    if pipeline_properties is not None:
        from_pipeline = _bind_pipeline(function, values, candidates, pipeline_properties)
        for name in from_pipeline:
            parameter = function.parameter(name)
            if parameter is not None:
                candidates &= _sets_of(parameter, all_sets)
    chosen = _choose_set(function, candidates, values)
    for parameter in function.parameters:
        info = _info(parameter, chosen)
        if require_mandatory and info is not None and info.mandatory and parameter.name not in values:
            raise BindingError(
                "MissingMandatoryParameter", f"{function.name} needs -{parameter.name} in parameter set {chosen}"
            )
    if pipeline_properties is not None and not from_pipeline and _takes_pipeline(function, chosen):
        raise BindingError("InputObjectNotBound", f"{function.name} cannot bind the piped objects")
    return Bound(function, chosen, values, from_pipeline)


def _next_positional(function: Function, values: dict[str, Value], candidates: set[str]) -> Parameter | None:
    declared = any(s.position is not None for p in function.parameters for s in p.sets)
    slots: list[tuple[int, int, Parameter]] = []
    for index, parameter in enumerate(function.parameters):
        if parameter.name in values or parameter.is_switch:
            continue
        positions = [
            s.position
            for s in parameter.sets
            if s.position is not None and (s.name == ALL_SETS or s.name in candidates)
        ]
        if positions:
            slots.append((min(positions), index, parameter))
        elif not declared and function.binding.get("PositionalBinding") is not False:
            slots.append((index, index, parameter))
    return min(slots, key=lambda s: (s[0], s[1]))[2] if slots else None


def _bind_pipeline(
    function: Function, values: dict[str, Value], candidates: set[str], properties: list[str]
) -> dict[str, str]:
    lowered = {p.lower(): p for p in properties}
    bound: dict[str, str] = {}
    for parameter in function.parameters:
        if parameter.name in values:
            continue
        if not any(s.from_pipeline_by_name and (s.name == ALL_SETS or s.name in candidates) for s in parameter.sets):
            continue
        for name in (parameter.name, *parameter.aliases):
            if name.lower() in lowered:
                bound[parameter.name] = lowered[name.lower()]
                values[parameter.name] = Value.unknown(f"$_.{lowered[name.lower()]}")
                break
    return bound


def _takes_pipeline(function: Function, set_name: str) -> bool:
    return any(
        s.from_pipeline or s.from_pipeline_by_name
        for p in function.parameters
        for s in p.sets
        if s.name in (set_name, ALL_SETS)
    )


def _choose_set(function: Function, candidates: set[str], values: dict[str, Value]) -> str:
    if len(candidates) == 1:
        return next(iter(candidates))
    if function.default_set in candidates:
        return function.default_set
    # Without a default, PowerShell picks the only set whose mandatory parameters are all bound.
    complete = [
        name
        for name in sorted(candidates)
        if all(p.name in values for p in function.parameters if (info := _info(p, name)) is not None and info.mandatory)
    ]
    if len(complete) == 1:
        return complete[0]
    raise BindingError("AmbiguousParameterSet", f"{function.name}: cannot tell {sorted(candidates)} apart")


# --- conversion and validation --------------------------------------------------------------------------


def _convert(function: Function, name: str, value: Value | None) -> Value:
    parameter = function.parameter(name)
    if parameter is None:  # a common parameter
        return Value.of(True) if value is None else value
    if value is None:
        if not parameter.is_switch:
            raise BindingError("MissingArgument", f"-{name} of {function.name} needs an argument")
        return Value.of(True)
    if not value.known:
        return value
    converted = _to_type(function, parameter, value.value)
    _validate(function, parameter, converted)
    return Value.of(converted)


def _fail(function: Function, parameter: Parameter, value: Any, why: str) -> BindingError:
    return BindingError(
        "ParameterArgumentTransformationError",
        f"{function.name} -{parameter.name} [{parameter.type}] cannot take {value!r}: {why}",
    )


def _to_type(function: Function, parameter: Parameter, value: Any) -> Any:
    kind = parameter.type
    if kind == "byte[]" and isinstance(value, bytes | bytearray):  # a byte array over PSRP (<BA>)
        return bytes(value)
    if kind.endswith("[]"):
        element = Parameter(parameter.name, kind[:-2], parameter.attributes)
        items = value if isinstance(value, list) else [value]
        return [_to_type(function, element, v) for v in items]
    if isinstance(value, list):
        if len(value) != 1:
            raise _fail(function, parameter, value, "an array for a single value")
        value = value[0]
    if kind in ("switch", "bool"):
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        raise _fail(function, parameter, value, "Boolean parameters accept only Boolean values and numbers")
    if kind in ("int", "long"):
        if isinstance(value, bool):
            return int(value)
        try:
            number = int(str(value).strip())
        except ValueError:
            raise _fail(function, parameter, value, "not a number") from None
        bits = 31 if kind == "int" else 63
        if not -(2**bits) <= number < 2**bits:
            raise _fail(function, parameter, value, f"too large or too small for an Int{bits + 1}")
        return number
    if kind == "string":
        return str(value) if not isinstance(value, bool) else ("True" if value else "False")
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        try:
            return dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise _fail(function, parameter, value, "not a date") from None
    if kind == "securestring" and isinstance(value, SecureValue):
        return value
    if kind == "pscredential" and isinstance(value, CredentialValue):
        return value
    if kind in ("securestring", "pscredential") or kind.startswith("system.management.automation.runspaces"):
        raise _fail(function, parameter, value, "no conversion from a constant")
    return value


def _validate(function: Function, parameter: Parameter, value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    fail = BindingError
    if parameter.attribute("ValidateNotNullOrEmpty") and (
        value in (None, "", []) or any(v in (None, "") for v in items)
    ):
        raise fail("ParameterArgumentValidationError", f"{function.name} -{parameter.name} may not be empty")
    allowed = parameter.validate_set
    if allowed is not None:
        for item in items:
            if str(item).lower() not in {a.lower() for a in allowed}:
                raise fail(
                    "ParameterArgumentValidationError",
                    f"{function.name} -{parameter.name} {item!r} is not one of {', '.join(allowed)}",
                )
    bounds = parameter.validate_range
    if bounds is not None:
        for item in items:
            if not bounds[0] <= int(item) <= bounds[1]:
                raise fail(
                    "ParameterArgumentValidationError",
                    f"{function.name} -{parameter.name} {item} is outside {bounds[0]}..{bounds[1]}",
                )


# --- scripts: every call of a known cmdlet, with what is piped into it ---------------------------------------

PASS_THROUGH = {"where-object", "sort-object", "?", "where"}


@dataclass
class Call:
    name: str
    node: Node
    upstream: list[str]
    """The names of the commands before it in its pipeline."""


def calls(script: str) -> tuple[list[Call], dict[str, Any]]:
    """Every command of ``script`` (tree-sitter-pwsh) and the literal variables it assigns."""
    root = parse(script, "pwsh")
    variables: dict[str, Any] = {}
    for assignment in (n for n in walk(root) if n.type == "assignment_expression"):
        target = text(assignment.children[0]).strip()
        if any(n.type == "command" for n in walk(assignment.children[-1])):
            continue  # $key = Read-Host ...: the command's output, not a bare word
        value = evaluate([assignment.children[-1]], variables)
        if value.known and re.fullmatch(r"\$[A-Za-z_]\w*", target):
            variables[target[1:].lower()] = value.value
    found = []
    for chain in (n for n in walk(root) if n.type == "pipeline_chain"):
        commands = [c for c in chain.children if c.type == "command"]
        for index, command in enumerate(commands):
            name_node = next((c for c in command.children if c.type == "command_name"), None)
            if name_node is None:
                continue
            upstream = [
                text(next(c for c in up.children if c.type == "command_name"))
                for up in commands[:index]
                if any(c.type == "command_name" for c in up.children)
            ]
            found.append(Call(text(name_node), command, upstream))
    return found, variables


def upstream_type(call: Call, output_types: dict[str, str]) -> str | None:
    """The type of the objects piped into ``call``: the last cmdlet before it that is not a pass-through filter."""
    for name in reversed(call.upstream):
        if name.lower() in PASS_THROUGH:
            continue
        return output_types.get(name.lower(), "unknown")
    return None
