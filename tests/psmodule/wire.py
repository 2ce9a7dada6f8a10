"""The module ↔ engine protocol from the PowerShell side, as docs/powershell.md defines it.

:func:`request` is the request ``Invoke-AzsBackupEngine`` writes for a bound call: only the
parameters ``AzsBackup.Engine.psd1`` lists for the cmdlet (the file the module reads), switches
as booleans, DateTimes as ISO 8601 UTC text, SecureStrings and the passwords of PSCredentials in
``secrets``. :func:`run` sends it to ``python -m azsbackup.pwsh`` and reads the answer lines.
The binding contract uses it to follow each bound value to the engine; the WSMan test endpoint
uses it to serve the cmdlets.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.psmodule.binder import Bound, CredentialValue
from tests.psmodule.psparse import Parameter, data_file

MODULE = Path(__file__).resolve().parents[2] / "psmodule" / "AzsBackup"


@cache
def engine_data() -> dict[str, Any]:
    """``AzsBackup.Engine.psd1`` as the module reads it."""
    data: dict[str, Any] = data_file(MODULE / "AzsBackup.Engine.psd1")
    return data


Sample = Callable[[Parameter], Any]


def request(bound: Bound, sample: Sample | None = None) -> dict[str, Any]:
    """The request the module writes for ``bound`` (unknown values replaced by ``sample(parameter)``)."""
    entry = engine_data()["Cmdlets"][bound.function.name]
    parameters: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for name in entry["EngineParameters"]:
        if name not in bound.values:
            continue
        parameter = bound.function.parameter(name)
        assert parameter is not None, f"{bound.function.name}: {name} is in AzsBackup.Engine.psd1 but not declared"
        held = bound.values[name]
        value = held.value if held.known else (sample(parameter) if sample else None)
        if parameter.type == "securestring":
            secrets[name] = str(value)
        elif parameter.type == "pscredential":
            credential = value if isinstance(value, CredentialValue) else CredentialValue(str(value), "")
            parameters[name], secrets[name] = credential.username, credential.password
        elif isinstance(value, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            parameters[name] = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        else:
            parameters[name] = value
    return {
        "protocol": 1,
        "cmdlet": bound.function.name,
        "parameter_set": bound.parameter_set,
        "parameters": parameters,
        "secrets": secrets,
    }


@dataclass
class Answer:
    exit_code: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    stderr: str = ""

    @property
    def result(self) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["kind"] == "result"), None)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["kind"] == kind]


def run(
    request_document: dict[str, Any], home: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> Answer:
    """Send a request to ``python -m azsbackup.pwsh`` for the controller at ``home``, as the module does."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AZSBACKUP_")}
    environment |= {"AZSBACKUP_HOME": str(home), "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"} | (env or {})
    process = subprocess.run(
        [sys.executable, "-m", "azsbackup.pwsh"],
        input=json.dumps(request_document, ensure_ascii=False).encode("utf-8"),
        capture_output=True,
        env=environment,
        timeout=timeout,
    )
    lines = process.stdout.decode("utf-8").splitlines()
    return Answer(
        process.returncode, [json.loads(line) for line in lines if line.startswith("{")], process.stderr.decode()
    )
