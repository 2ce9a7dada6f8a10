"""The AzsBackup cmdlets on the test double of a Windows host: what a host with the module installed serves.

For each public cmdlet of psmodule/AzsBackup, the double binds the parameters it receives over PSRP as
PowerShell would, from the cmdlet's own parsed parameter block (names, prefixes, aliases, switches and
booleans, SecureStrings and PSCredentials, parameter sets, mandatory parameters, ValidateSet and
ValidateRange: tests/psmodule/binder.py), and then speaks the module's protocol to the real engine
(``python -m azsbackup.pwsh``, tests/psmodule/wire.py), as ``Invoke-AzsBackupEngine`` does on a real
host. It holds no knowledge of its own about what a cmdlet does: that is the engine's table.

What a cmdlet's PowerShell body does around that call is modelled only as PowerShell itself does it:
``-WhatIf`` runs nothing, and a cmdlet that asks first (ConfirmImpact High) fails without
``-Confirm:$false`` or ``-Force``, since a remote host cannot prompt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from psrpcore.types import ErrorCategory, PSCredential, PSCustomObject, PSSecureString

from tests.psmodule import wire
from tests.psmodule.binder import BindingError, CredentialValue, SecureValue, Value, bind
from tests.psmodule.psparse import Function, functions
from tests.winrm_endpoint.server import CommandError, StreamRecord, WinRMEndpoint

CATEGORIES = {c.name: c for c in ErrorCategory}


def _plain(value: Any) -> Any:
    """A PSRP parameter value as PowerShell's binder sees it."""
    if isinstance(value, PSSecureString):
        return SecureValue(str(value.decrypt()))
    if isinstance(value, PSCredential):
        return CredentialValue(str(value.UserName), str(value.Password.decrypt()))
    if isinstance(value, bool | int | float | dt.datetime):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _ps_object(value: Any, type_name: str | None = None, dates: list[str] | None = None) -> Any:
    """A result object as the module writes it: typed, DateTime properties, nested objects as objects."""
    if isinstance(value, dict):
        properties = {
            k: dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            if k in (dates or []) and isinstance(v, str)
            else _ps_object(v)
            for k, v in value.items()
        }
        return PSCustomObject(**({"PSTypeName": type_name} if type_name else {}), **properties)
    if isinstance(value, list):
        return [_ps_object(v) for v in value]
    return value


def _asks_first(function: Function, values: dict[str, Value]) -> bool:
    confirm = values.get("Confirm")
    if confirm is not None and confirm.value is False:
        return False
    force = values.get("Force")
    return function.binding.get("ConfirmImpact") == "High" and not (force is not None and force.value is True)


def _handler(function: Function, home: Path) -> Any:
    def handle(parameters: dict[str, Any]) -> list[Any]:
        named = [(name, None if value is None else Value.of(_plain(value))) for name, value in parameters.items()]
        try:
            bound = bind(function, named)
        except BindingError as exc:
            raise CommandError(f"{exc.error_id},{function.name}", str(exc), ErrorCategory.InvalidArgument) from None
        if bound.values.get("WhatIf") is not None and bound.values["WhatIf"].value is True:
            return []
        if function.supports_should_process and _asks_first(function, bound.values):
            raise CommandError(
                "HostException",
                f"{function.name} asks for confirmation, and the host cannot prompt: give -Confirm:$false or -Force",
                ErrorCategory.ResourceUnavailable,
            )
        answer = wire.run(wire.request(bound), home)
        records: list[Any] = []
        for message in answer.messages:
            if message["kind"] in ("warning", "verbose"):
                records.append(StreamRecord(message["kind"], message["message"]))
        result = answer.result
        if result is None:
            raise CommandError("AzsBackup.engine-failed", f"the engine exited with {answer.exit_code}: {answer.stderr}")
        records += [_ps_object(o, result["type_name"], result["dates"]) for o in result["objects"]]
        error = result["error"]
        if error is not None:
            category = CATEGORIES.get(error["category"], ErrorCategory.NotSpecified)
            if error["terminating"]:
                raise CommandError(f"AzsBackup.{error['code']}", error["message"], category)
            records.append(StreamRecord("error", error["message"], f"AzsBackup.{error['code']}", category))
        return records

    return handle


def register_azsbackup_cmdlets(endpoint: WinRMEndpoint, home: Path) -> None:
    """Serve every public AzsBackup cmdlet (and its deprecated aliases) against the controller at ``home``."""
    served = {}
    for path in sorted((wire.MODULE / "Public").glob("*.ps1")):
        for function in functions(path):
            served[function.name] = _handler(function, home)
            endpoint.register(function.name, served[function.name])
    for alias, target in wire.engine_data()["DeprecatedAliases"].items():
        endpoint.register(alias, served[target])
