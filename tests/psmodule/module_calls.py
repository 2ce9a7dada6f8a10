"""Binding the calls of a PowerShell script to the module's cmdlets, as PowerShell would (tests/psmodule/binder.py)."""

from __future__ import annotations

from azsbackup.pwsh import shapes, table
from tests.psmodule import binder
from tests.psmodule.binder import Bound, calls
from tests.psmodule.psparse import Function, functions
from tests.psmodule.wire import MODULE, engine_data

FUNCTIONS = {f.name.lower(): f for path in sorted((MODULE / "Public").glob("*.ps1")) for f in functions(path)}
ALIASES = {alias.lower(): target.lower() for alias, target in engine_data()["DeprecatedAliases"].items()}
OUTPUT_TYPES = {name.lower(): c.variants[0].shape.type_name for name, c in table.CMDLETS.items()}
OUTPUT_TYPES |= {alias: OUTPUT_TYPES[target] for alias, target in ALIASES.items()}
PROPERTIES = {shape.type_name: shape.property_names for shape in shapes.SHAPES}


def module_function(name: str) -> Function | None:
    lowered = name.lower()
    return FUNCTIONS.get(ALIASES.get(lowered, lowered))


def bind_script(
    script: str, functions_by_name: dict[str, Function] | None = None, *, require_mandatory: bool = True
) -> list[Bound]:
    """Bind every call of a module cmdlet in ``script``, with the properties of what is piped into it."""
    found, variables = calls(script)
    bound = []
    for call in found:
        lowered = call.name.lower()
        function = (functions_by_name or {}).get(lowered) or module_function(lowered)
        if function is None:
            continue
        upstream = binder.upstream_type(call, OUTPUT_TYPES)
        assert upstream != "unknown", f"{call.name}: piped from a command whose objects are not known here"
        properties = PROPERTIES[upstream] if upstream else None
        bound.append(binder.bind_command(function, call.node, variables, properties, require_mandatory))
    return bound
