"""The session state of one runspace of the WinRM TEST DOUBLE (server.py): the functions its client defined.

A real Windows host runs the script pipelines a client sends in PowerShell. The double has no
PowerShell: it parses each script with tree-sitter (tests/psmodule/psparse.py) and accepts only a
script made of function definitions it knows how to host, i.e. that have a host-side implementation
registered with :meth:`~tests.winrm_endpoint.server.WinRMEndpoint.register_hostable`
(tests/winrm_endpoint/files.py). Anything else fails, as on a host that could not run it. Run in the
global scope (``use_local_scope`` false, PowerShell's default for scripts) or declared
``function global:…``, the definitions live on in that runspace, and in no other; run in a local scope
they vanish with it, as they would in PowerShell.

A call to a defined function is bound against the parameters the sent definition declares by the
binder the module's contracts use (tests/psmodule/binder.py): names, prefixes and aliases, common
parameters, positions, parameter sets, conversions and ``ValidateSet`` / ``ValidateRange`` /
``ValidateNotNullOrEmpty``; defaults written as literals are applied. A binding failure carries the
FullyQualifiedErrorId PowerShell gives it. A definition with an attribute the binder does not model
(``ValidateScript``, ``ValidatePattern``, …) or a default it cannot evaluate is not hostable. The
function bodies are never run: their behaviour on the host is the implementation's, which is what the
double cannot prove.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import ErrorCategory

from tests.psmodule.binder import BindingError, Value, bind
from tests.psmodule.psparse import Function, Parameter, error_positions, functions, parse, text

ATTRIBUTES = {"parameter", "alias", "validatenotnullorempty", "validaterange", "validateset"}


class CommandError(Exception):
    """A command failed: becomes a terminating ErrorRecord with this FullyQualifiedErrorId."""

    def __init__(self, error_id: str, message: str, category: ErrorCategory = ErrorCategory.NotSpecified) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.category = category


def not_hostable(reason: str) -> CommandError:
    return CommandError(
        "TestDouble.NotHostable", f"The WinRM test double cannot run this: {reason}.", ErrorCategory.NotImplemented
    )


@dataclass(frozen=True)
class Definition:
    """A function as the client's script defined it, with the defaults its param block writes."""

    function: Function
    defaults: dict[str, Any]

    @property
    def name(self) -> str:
        return self.function.name.rpartition(":")[2]

    def bind(self, arguments: list[tuple[str | None, Any]]) -> dict[str, Any]:
        """The value of each declared parameter, by its declared name; errors as PowerShell's binder gives them."""
        named = [(n, None if v is None else Value.of(v)) for n, v in arguments if n is not None]
        positional = [Value.of(v) for n, v in arguments if n is None]
        try:
            bound = bind(self.function, named, positional)
        except BindingError as exc:
            raise CommandError(exc.error_id, str(exc), ErrorCategory.InvalidArgument) from exc
        declared = {n: v.value for n, v in bound.values.items() if self.function.parameter(n) is not None}
        return self.defaults | declared


@dataclass
class Runspace:
    """The functions defined in one runspace (one WSMan shell with a pool of one runspace)."""

    functions: dict[str, Definition] = field(default_factory=dict)

    def run_script(self, script: str, *, use_local_scope: bool | None, hostable: Container[str]) -> None:
        """What PowerShell would do with a script pipeline, for a script of function definitions only."""
        source = script.encode("utf-8")
        if error_positions(source, "powershell") and error_positions(source, "pwsh"):
            raise CommandError("ParseException", "The script has a syntax error.", ErrorCategory.ParserError)
        for scope, definition in read_definitions(source, hostable):
            if scope == "global" or (scope == "" and not use_local_scope):
                self.functions[definition.name.lower()] = definition

    def lookup(self, name: str) -> Definition | None:
        return self.functions.get(name.lower())


def read_definitions(source: bytes, hostable: Container[str]) -> list[tuple[str, Definition]]:
    """(scope, definition) for each function of a script made of hostable function definitions only."""
    statements = next((c for c in parse(source).children if c.type == "statement_list"), None)
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
        if any(c.type == "function_parameter_declaration" for c in function.node.children):
            raise not_hostable(f"function {name} declares its parameters outside a param block")
        for parameter in function.parameters:
            unknown = sorted(a.name for a in parameter.attributes if a.name.lower() not in ATTRIBUTES)
            if unknown:
                raise not_hostable(f"-{parameter.name} of {name} has attributes it cannot bind ({', '.join(unknown)})")
        defaults = {p.name: _default(p) for p in function.parameters if p.default is not None}
        found.append((scope.lower(), Definition(function, defaults)))
    return found


def _default(parameter: Parameter) -> Any:
    source = parameter.default or ""
    if re.fullmatch(r"'[^']*'", source):
        return source[1:-1]
    if re.fullmatch(r"-?\d+", source):
        return int(source)
    if source == "@()":
        return b"" if parameter.type == "byte[]" else []
    if source.lower() in ("$true", "$false", "$null"):
        return {"$true": True, "$false": False, "$null": None}[source.lower()]
    raise not_hostable(f"a default value it cannot evaluate ({source})")
