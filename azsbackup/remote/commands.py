"""Which AzsBackup cmdlet runs an engine command on a remote host, and with which parameters.

``azsbackup --computer-name HOST COMMAND …`` parses COMMAND exactly as locally,
then runs the matching cmdlet on HOST through :class:`RemoteClient` and
prints the same JSON document a local run prints. The table below is the
inverse of the PowerShell module's own mapping (cmdlet parameter → engine
option); the module's contract test keeps the module side honest, and the
remote tests run both directions against the test endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azsbackup.errors import InvalidValue
from azsbackup.model import SCHEMA


@dataclass(frozen=True)
class RemoteCommand:
    cmdlet: str
    parameters: dict[str, str] = field(default_factory=dict)
    """engine parameter name (click) → cmdlet parameter name"""
    secrets: dict[str, str] = field(default_factory=dict)
    """secret key → cmdlet parameter name"""
    collection: str | None = None
    """the JSON list the local command prints, which the cmdlet returns item by item"""
    flags: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """engine bool option → (cmdlet parameter, value meaning 'on')"""
    confirm: bool = False


COMMANDS: dict[tuple[str, ...], RemoteCommand] = {
    ("config", "get"): RemoteCommand("Get-AzsBackupConfiguration"),
    ("config", "set"): RemoteCommand(
        "Set-AzsBackupConfiguration",
        {
            "path": "Path",
            "username": "Username",
            "encryption_cert": "EncryptionCertPath",
            "frequency_hours": "BackupFrequencyInHours",
            "retention_days": "BackupRetentionPeriodInDays",
            "scheduler": "IsBackupSchedulerEnabled",
            "allow_unencrypted": "AllowUnencryptedShare",
        },
        secrets={"password": "Password"},
        confirm=True,
    ),
    ("config", "clear"): RemoteCommand("Clear-AzsBackupConfiguration", confirm=True),
    ("component", "add"): RemoteCommand(
        "Add-AzsBackupComponent",
        {
            "name": "Name",
            "type_name": "Type",
            "path": "Path",
            "include": "Include",
            "exclude": "Exclude",
            "dump_command": "DumpCommand",
            "restore_command": "RestoreCommand",
            "timeout": "TimeoutSeconds",
            "host": "TargetHost",
            "remote_path": "RemotePath",
            "remote_username": "RemoteUsername",
        },
        confirm=True,
    ),
    ("component", "list"): RemoteCommand("Get-AzsBackupComponent", collection="components"),
    ("component", "remove"): RemoteCommand("Remove-AzsBackupComponent", {"name": "Name"}, confirm=True),
    ("backup", "start"): RemoteCommand("Start-AzsBackup", confirm=True),
    ("backup", "list"): RemoteCommand("Get-AzsBackup", {"external": "External"}, collection="backups"),
    ("backup", "show"): RemoteCommand("Get-AzsBackup", {"backup_id": "Id"}),
    ("backup", "delete"): RemoteCommand("Remove-AzsBackup", {"backup_id": "Id"}, confirm=True),
    ("backup", "verify"): RemoteCommand(
        "Test-AzsBackup",
        {"backup_id": "Id", "deep": "Deep", "key_path": "DecryptionCertPath"},
        secrets={"key_password": "DecryptionCertPassword"},
    ),
    ("restore",): RemoteCommand(
        "Restore-AzsBackup",
        {
            "backup_id": "Id",
            "key_path": "DecryptionCertPath",
            "components": "ComponentName",
            "to": "Destination",
            "force": "Force",
        },
        secrets={"key_password": "DecryptionCertPassword"},
        confirm=True,
    ),
    ("location", "test"): RemoteCommand("Test-AzsBackupLocation"),
    ("prune",): RemoteCommand("Invoke-AzsPruneBackupLocationExternalStore", confirm=True),
    ("job", "list"): RemoteCommand(
        "Get-AzsBackupJob", {"kind": "Kind", "status": "Status", "since": "Since", "limit": "First"}, collection="jobs"
    ),
    ("job", "show"): RemoteCommand("Get-AzsBackupJob", {"job_id": "Id"}),
    ("alert", "list"): RemoteCommand("Get-AzsBackupAlert", {"include_closed": "All"}, collection="alerts"),
    ("alert", "close"): RemoteCommand("Close-AzsBackupAlert", {"alert_id": "Id"}, confirm=True),
}


def remote_call(
    path: tuple[str, ...], params: dict[str, Any], secret: Callable[[str], str | None]
) -> tuple[RemoteCommand, dict[str, Any]]:
    """The cmdlet and its parameters for the engine command ``path`` with click's parsed ``params``."""
    command = COMMANDS.get(path)
    if command is None:
        raise InvalidValue(
            field="command",
            value=" ".join(path),
            allowed="a command the AzsBackup cmdlets cover: " + ", ".join(" ".join(p) for p in COMMANDS),
        )
    arguments: dict[str, Any] = {}
    for name, value in params.items():
        target = command.parameters.get(name)
        if (
            target is None
            or value is None
            or value == ()
            or (value is False and name not in ("scheduler", "allow_unencrypted"))
        ):
            continue
        arguments[target] = (
            list(value) if isinstance(value, tuple) else (str(value) if hasattr(value, "__fspath__") else value)
        )
    if path == ("prune",):
        arguments["Mode"] = "DryRun" if params.get("dry_run") else "Default"
    for key, target in command.secrets.items():
        value = secret(key)
        if value:
            arguments[target] = value
    if command.confirm:
        arguments["Confirm"] = False
    return command, arguments


def local_document(command: RemoteCommand, output: list[Any]) -> dict[str, Any]:
    """What the local command would print, from the cmdlet's output."""
    items = [plain(item) for item in output]
    if command.collection is not None:
        return {"schema": SCHEMA, command.collection: items}
    return items[0] if items else {"schema": SCHEMA}


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ps_type"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
