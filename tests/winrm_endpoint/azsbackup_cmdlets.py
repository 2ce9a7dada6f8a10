"""The AzsBackup cmdlets of the test double: each runs the engine the way the module's source says it would.

The mapping from a cmdlet's parameters to the engine command, options, positional arguments and secrets
is read from the module's own .ps1 files (parsed with tree-sitter, tests/psmodule/psparse.py), so the
double cannot drift from the module it stands in for. What the double cannot read from the source it
keeps minimal: a bool parameter deciding two options picks the first for $true, the second for $false.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.psmodule.psparse import Function, functions, text, walk
from tests.winrm_endpoint.server import CommandError, WinRMEndpoint

MODULE = Path(__file__).resolve().parents[2] / "psmodule" / "AzsBackup"


def _collection(function: Function) -> str | None:
    for node in walk(function.node):
        if node.type == "member_access" and text(node).startswith("$result."):
            return text(node).split(".", 1)[1]
    return None


def _engine_argv(function: Function, parameters: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    secrets = {}
    secret_names = {p.name for p in function.parameters if p.type == "securestring"}
    positional_names = [
        p.name for p in function.parameters if p.name in ("Id", "Name") and any(c.has_argument for c in function.calls)
    ]
    positional = [str(parameters[n]) for n in positional_names if n in parameters]
    # With an id the call that takes one (e.g. "backup show"), without it the one that does not ("backup list").
    call = next((c for c in function.calls if c.has_argument == bool(positional)), function.calls[0])
    argv = [*call.command, *(positional if call.has_argument else [])]
    if call.has_options:
        decided: dict[str, list[str]] = {}
        for option, deciders in function.options.items():
            for name in deciders:
                decided.setdefault(name, []).append(option)
        for name, value in parameters.items():
            options = decided.get(name, [])
            if not options:
                continue
            if isinstance(value, bool) and len(options) == 2:
                argv.append(options[0] if value else options[1])
            elif value is True or value is None:
                argv.append(options[0])
            else:
                for item in value if isinstance(value, list) else [value]:
                    argv += [options[0], str(item)]
    for call_secret in (c.secret_node for c in function.calls if c.secret_node is not None):
        for entry in (n for n in walk(call_secret) if n.type == "hash_entry"):
            key, _, variable = text(entry).partition("=")
            name = variable.strip().lstrip("$")
            if name in secret_names and parameters.get(name):
                secrets[key.strip()] = str(parameters[name])
    return argv, secrets


def register_azsbackup_cmdlets(endpoint: WinRMEndpoint, home: Path) -> None:
    """Serve every public AzsBackup cmdlet against the controller at ``home``."""
    for path in sorted((MODULE / "Public").glob("*.ps1")):
        for function in functions(path):
            endpoint.register(function.name, _handler(function, home))


def _handler(function: Function, home: Path) -> Any:
    collection = _collection(function)

    def handle(parameters: dict[str, Any]) -> list[Any]:
        argv, secrets = _engine_argv(function, parameters)
        command = [sys.executable, "-m", "azsbackup", "--json", *(["--secrets-stdin"] if secrets else []), *argv]
        run = subprocess.run(
            command,
            input=json.dumps(secrets) if secrets else "",
            capture_output=True,
            text=True,
            env={"AZSBACKUP_HOME": str(home), "PATH": "/usr/bin:/bin"},
            timeout=300,
        )
        document = json.loads(run.stdout) if run.stdout.strip() else {}
        if document.get("type") == "error":
            raise CommandError(f"AzsBackup.{document['code']}", document["message"])
        if collection and collection in document and "Id" not in parameters:
            return list(document[collection])
        return [document]

    return handle
