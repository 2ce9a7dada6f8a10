"""The session state of one runspace of the WinRM TEST DOUBLE (server.py): the functions its client defined.

A real Windows host runs the script pipelines a client sends in PowerShell. The double has no
PowerShell: it parses each script with tree-sitter (tests/psmodule/psparse.py) and accepts only a
script made of function definitions it knows how to host, i.e. that have a host-side implementation
registered with :meth:`~tests.winrm_endpoint.server.WinRMEndpoint.register_hostable`
(tests/winrm_endpoint/files.py). Anything else fails, as on a host that could not run it. Run in the
global scope (``use_local_scope`` false, PowerShell's default for scripts) or declared
``function global:…``, the definitions live on in that runspace, and in no other; run in a local scope
they vanish with it, as they would in PowerShell.

A call to a defined function is bound against the parameters the sent definition declares, the way
PowerShell's binder would for what the double supports: names and unambiguous prefixes, common
parameters of ``[CmdletBinding()]`` functions, the types ``string``, ``int``, ``long``, ``bool`` and
``byte[]`` (with PowerShell's conversions between them), defaults written as literals, and the
attributes ``Parameter(Mandatory)``, ``ValidateNotNullOrEmpty``, ``ValidateRange`` and ``ValidateSet``.
A binding failure carries the FullyQualifiedErrorId PowerShell gives it. The function bodies are never
run: their behaviour on the host is the implementation's, which is what the double cannot prove.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import ErrorCategory
from tree_sitter import Node

from tests.psmodule.psparse import Function, error_positions, functions, param_block, parse_source, text, walk

COMMON_PARAMETERS = (
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ErrorVariable",
    "WarningVariable",
    "InformationVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
)
BOUNDS = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
NET_TYPE = {"string": "System.String", "int": "System.Int32", "long": "System.Int64", "byte[]": "System.Byte[]"}
ATTRIBUTES = {"Parameter", "ValidateNotNullOrEmpty", "ValidateRange", "ValidateSet"}
NO_DEFAULT = object()

Implementation = Callable[[dict[str, Any]], list[Any]]


class CommandError(Exception):
    """A command failed: becomes a terminating ErrorRecord with this FullyQualifiedErrorId."""

    def __init__(self, error_id: str, message: str, category: ErrorCategory = ErrorCategory.NotSpecified) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.category = category


@dataclass(frozen=True)
class WrittenError:
    """An item a command writes to the error stream instead of the output: a non-terminating error."""

    error_id: str
    message: str


def not_hostable(reason: str) -> CommandError:
    return CommandError(
        "TestDouble.NotHostable", f"The WinRM test double cannot run this: {reason}.", ErrorCategory.NotImplemented
    )


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str
    mandatory: bool
    default: Any
    attributes: Mapping[str, list[str]]


@dataclass(frozen=True)
class Definition:
    """A function as the client's script defined it."""

    name: str
    parameters: tuple[ParameterSpec, ...]
    cmdlet_binding: bool

    def bind(self, arguments: list[tuple[str | None, Any]]) -> dict[str, Any]:
        """The values each declared parameter gets, by declared name; errors as PowerShell's binder."""
        bound: dict[str, Any] = {}
        for given, value in arguments:
            if given is None:
                raise _binding_error("PositionalParameterNotFound", "A positional parameter cannot be found.")
            spec = self._parameter(given)
            if spec is None:
                continue  # a common parameter: accepted, no effect here
            bound[spec.name] = _validate(spec, _convert(spec, value))
        missing = [p.name for p in self.parameters if p.mandatory and p.name not in bound]
        if missing:
            raise _binding_error(
                "MissingMandatoryParameter",
                "Cannot process command because of one or more missing mandatory parameters: " + " ".join(missing),
            )
        for spec in self.parameters:
            if spec.name not in bound and spec.default is not NO_DEFAULT:
                bound[spec.name] = spec.default
        return bound

    def _parameter(self, given: str) -> ParameterSpec | None:
        names = [p.name for p in self.parameters] + (list(COMMON_PARAMETERS) if self.cmdlet_binding else [])
        exact = [n for n in names if n.lower() == given.lower()]
        matches = exact or [n for n in names if n.lower().startswith(given.lower())]
        if not matches:
            raise _binding_error(
                "NamedParameterNotFound", f"A parameter cannot be found that matches parameter name '{given}'."
            )
        if len(matches) > 1:
            raise _binding_error(
                "AmbiguousParameter",
                f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. "
                f"Possible matches include: -{' -'.join(matches)}.",
            )
        return next((p for p in self.parameters if p.name == matches[0]), None)


@dataclass
class Runspace:
    """The functions defined in one runspace (one WSMan shell with a pool of one runspace)."""

    functions: dict[str, Definition] = field(default_factory=dict)

    def run_script(self, script: str, *, use_local_scope: bool | None, hostable: Container[str]) -> None:
        """What PowerShell would do with a script pipeline, for a script of function definitions only."""
        source = script.encode("utf-8")
        if error_positions(source, "powershell") and error_positions(source, "pwsh"):
            raise CommandError("ParseException", "The script has a syntax error.", ErrorCategory.ParserError)
        definitions = read_definitions(source, hostable)
        for scope, definition in definitions:
            if scope == "global" or (scope == "" and not use_local_scope):
                self.functions[definition.name.lower()] = definition

    def lookup(self, name: str) -> Definition | None:
        return self.functions.get(name.lower())


def read_definitions(source: bytes, hostable: Container[str]) -> list[tuple[str, Definition]]:
    """(scope, definition) for each function of a script made of hostable function definitions only."""
    statements = next((c for c in parse_source(source).children if c.type == "statement_list"), None)
    others = [c for c in statements.children if c.type not in ("function_statement", "comment")] if statements else []
    if others:
        raise not_hostable(f"the script runs more than function definitions ({text(others[0]).splitlines()[0]!r})")
    found = []
    for function in functions(source):
        scope, _, name = function.name.rpartition(":")
        if scope.lower() not in ("", "global", "script", "local"):
            raise not_hostable(f"function {function.name} is defined in the {scope} scope")
        if name.lower() not in hostable:
            raise not_hostable(f"it has no host-side implementation of function {name}")
        found.append((scope.lower(), _definition(function, name)))
    return found


def _definition(function: Function, name: str) -> Definition:
    if any(c.type == "function_parameter_declaration" for c in function.node.children):
        raise not_hostable(f"function {name} declares its parameters outside a param block")
    defaults = _defaults(function.node)
    specs = []
    for parameter in function.parameters:
        unknown = set(parameter.attributes) - ATTRIBUTES
        if unknown:
            raise not_hostable(
                f"parameter -{parameter.name} of {name} has attributes it cannot bind ({', '.join(sorted(unknown))})"
            )
        mandatory = any(
            a.replace(" ", "").lower() in ("mandatory", "mandatory=$true")
            for a in parameter.attributes.get("Parameter", [])
        )
        default = _literal(defaults[parameter.name], parameter.type) if parameter.name in defaults else NO_DEFAULT
        specs.append(ParameterSpec(parameter.name, parameter.type, mandatory, default, parameter.attributes))
    return Definition(name, tuple(specs), _has_cmdlet_binding(function.node))


def _has_cmdlet_binding(function: Node) -> bool:
    block = param_block(function)
    return block is not None and any(n.type == "attribute_name" and text(n) == "CmdletBinding" for n in walk(block))


def _defaults(function: Node) -> dict[str, str]:
    defaults = {}
    for parameter in (n for n in walk(function) if n.type == "script_parameter"):
        variable = next(c for c in parameter.children if c.type == "variable")
        default = next((c for c in parameter.children if c.type == "script_parameter_default"), None)
        if default is not None:
            defaults[text(variable).lstrip("$")] = text(default).removeprefix("=").strip()
    return defaults


def _literal(source: str, type_name: str) -> Any:
    if re.fullmatch(r"'[^']*'", source):
        return source[1:-1]
    if re.fullmatch(r"-?\d+", source):
        return int(source)
    if source == "@()":
        return b"" if type_name == "byte[]" else []
    if source.lower() in ("$true", "$false", "$null"):
        return {"$true": True, "$false": False, "$null": None}[source.lower()]
    raise not_hostable(f"a default value it cannot evaluate ({source})")


def _convert(spec: ParameterSpec, value: Any) -> Any:
    """PowerShell's argument conversion, for the types the double binds."""
    kind = spec.type
    try:
        if kind == "string":
            if isinstance(value, bool):
                return "True" if value else "False"
            if value is None or isinstance(value, str | int):
                return "" if value is None else str(value)
        elif kind in BOUNDS:
            number = int(value, 10) if isinstance(value, str) else value
            if isinstance(number, int):
                low, high = BOUNDS[kind]
                if not low <= number <= high:
                    raise OverflowError(f"Value was either too large or too small for an {NET_TYPE[kind][7:]}.")
                return int(number)
        elif kind == "byte[]":
            if isinstance(value, bytes):
                return bytes(value)
            if isinstance(value, list) and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
                return bytes(value)
        elif kind == "bool":
            if isinstance(value, bool | int):
                return bool(value)
        else:
            raise not_hostable(f"binding a [{kind}] parameter (-{spec.name})")
    except (ValueError, OverflowError) as exc:
        raise _transformation_error(spec, value, str(exc)) from exc
    raise _transformation_error(spec, value, f"the value is a {type(value).__name__}")


def _validate(spec: ParameterSpec, value: Any) -> Any:
    attributes = spec.attributes
    if "ValidateNotNullOrEmpty" in attributes and (value is None or value in ("", b"", [])):
        raise _validation_error(spec, "The argument is null or empty.")
    if "ValidateRange" in attributes:
        low, high = (int(v) for v in attributes["ValidateRange"])
        if not low <= value <= high:
            raise _validation_error(spec, f"The {value} argument is outside the range {low} to {high}.")
    if "ValidateSet" in attributes and str(value).lower() not in (v.lower() for v in attributes["ValidateSet"]):
        raise _validation_error(
            spec, f'The argument "{value}" does not belong to the set "{",".join(attributes["ValidateSet"])}".'
        )
    return value


def _binding_error(error_id: str, message: str) -> CommandError:
    return CommandError(error_id, message, ErrorCategory.InvalidArgument)


def _transformation_error(spec: ParameterSpec, value: Any, why: str) -> CommandError:
    shown = f"{len(value)} bytes" if isinstance(value, bytes) else repr(value)
    return CommandError(
        "ParameterArgumentTransformationError",
        f"Cannot process argument transformation on parameter '{spec.name}'. Cannot convert value {shown} "
        f'to type "{NET_TYPE.get(spec.type, spec.type)}": {why}',
        ErrorCategory.InvalidData,
    )


def _validation_error(spec: ParameterSpec, why: str) -> CommandError:
    return CommandError(
        "ParameterArgumentValidationError",
        f"Cannot validate argument on parameter '{spec.name}'. {why}",
        ErrorCategory.InvalidData,
    )
