"""The WinRM test double knows only what a real host would: its installed commands, and the functions a
client defined in its own session, bound to the parameters the client's definition declares.

These tests talk to it with unmodified pypsrp, the way the provider's client does, and show that it
refuses what a Windows host would refuse, so that a provider relying on anything it did not send fails
here as it would there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from azsbackup.providers.winrm import remote_script
from tests.fixtures.winrm import PASSWORD, USER, Endpoint
from tests.winrm_endpoint.files import register_remote_functions

SCRIPT = remote_script()


@pytest.fixture(autouse=True)
def _host_functions(winrm_https: Endpoint) -> None:
    register_remote_functions(winrm_https.server)


@contextmanager
def session(endpoint: Endpoint) -> Iterator[RunspacePool]:
    wsman = WSMan(
        "127.0.0.1",
        port=endpoint.port,
        username=USER,
        password=PASSWORD,
        auth="ntlm",
        cert_validation=str(endpoint.ca_path),
        encryption="never",
    )
    with wsman, RunspacePool(wsman) as pool:
        yield pool


def run(pool: RunspacePool, command: str, **parameters: Any) -> tuple[list[Any], str | None]:
    """(output, FullyQualifiedErrorId of the failure or None)."""
    shell = PowerShell(pool).add_cmdlet(command)
    for name, value in parameters.items():
        shell.add_parameter(name, value)
    output = shell.invoke()
    return output, (shell.streams.error[0].fq_error if shell.had_errors else None)


def define(pool: RunspacePool, script: str = SCRIPT, *, use_local_scope: bool | None = False) -> str | None:
    shell = PowerShell(pool).add_script(script, use_local_scope=use_local_scope)
    shell.invoke()
    return shell.streams.error[0].fq_error if shell.had_errors else None


def test_functions_exist_only_after_the_client_defined_them_and_only_in_its_session(
    winrm_https: Endpoint, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("a")
    with session(winrm_https) as pool, session(winrm_https) as other:
        assert run(pool, "Get-AzsBackupRemoteTree", Root=str(tmp_path)) == ([], "CommandNotFoundException")
        assert define(pool) is None
        output, error = run(pool, "Get-AzsBackupRemoteTree", Root=str(tmp_path))
        assert error is None and [o.extended_properties["RelativePath"] for o in output] == ["a.txt"]
        assert run(other, "Get-AzsBackupRemoteTree", Root=str(tmp_path)) == ([], "CommandNotFoundException")


def test_definitions_run_in_a_local_scope_vanish_unless_declared_global(winrm_https: Endpoint, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    hashed = {"Root": str(tmp_path), "RelativePath": "a.txt"}
    with session(winrm_https) as pool:
        assert define(pool, use_local_scope=True) is None
        assert run(pool, "Get-AzsBackupRemoteFileHash", **hashed)[1] == "CommandNotFoundException"
        global_one = SCRIPT.replace(
            "function Get-AzsBackupRemoteFileHash", "function global:Get-AzsBackupRemoteFileHash"
        )
        assert define(pool, global_one, use_local_scope=True) is None
        assert run(pool, "Get-AzsBackupRemoteFileHash", **hashed)[1] is None
        assert run(pool, "Get-AzsBackupRemoteTree", Root=str(tmp_path))[1] == "CommandNotFoundException"


@pytest.mark.parametrize(
    ("script", "error_id"),
    [
        (SCRIPT + "\nRemove-Item -LiteralPath C:\\Windows -Recurse\n", "TestDouble.NotHostable"),
        (SCRIPT + "\nfunction Invoke-Anything {\n    param()\n}\n", "TestDouble.NotHostable"),
        (
            SCRIPT.replace(
                "param(\n        [Parameter(Mandatory = $true)]\n        [ValidateNotNullOrEmpty()]",
                "param(\n        [ValidateScript({ $true })]",
                1,
            ),
            "TestDouble.NotHostable",
        ),
        (SCRIPT[: SCRIPT.rindex("}")], "ParseException"),
    ],
    ids=["other-statements", "unknown-function", "unbindable-attribute", "syntax-error"],
)
def test_a_script_it_cannot_host_fails_and_defines_nothing(
    winrm_https: Endpoint, tmp_path: Path, script: str, error_id: str
) -> None:
    with session(winrm_https) as pool:
        assert define(pool, script) == error_id
        assert run(pool, "Get-AzsBackupRemoteTree", Root=str(tmp_path))[1] == "CommandNotFoundException"


def test_calls_bind_to_the_parameters_the_sent_definition_declares(winrm_https: Endpoint, tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"0123456789")
    read = {"Root": str(tmp_path), "RelativePath": "a.bin"}
    without_length = SCRIPT.replace(
        ",\n\n        [ValidateRange(1, 16777216)]\n        [int] $Length = 1048576\n", "\n", 1
    )
    assert without_length != SCRIPT
    with session(winrm_https) as pool:
        assert define(pool) is None
        assert run(pool, "Read-AzsBackupRemoteFile", **read, Offset=2, Length=3) == ([b"234"], None)
        assert run(pool, "Read-AzsBackupRemoteFile", Root=str(tmp_path), Rel="a.bin", ErrorAction="Stop")[1] is None
        failures = {
            "NamedParameterNotFound": run(pool, "Read-AzsBackupRemoteFile", **read, Size=3),
            "MissingMandatoryParameter": run(pool, "Read-AzsBackupRemoteFile", Root=str(tmp_path)),
            "ParameterArgumentTransformationError": run(pool, "Read-AzsBackupRemoteFile", **read, Offset="two"),
            "ParameterArgumentValidationError": run(pool, "Read-AzsBackupRemoteFile", **read, Length=0),
            "AmbiguousParameter": run(pool, "Read-AzsBackupRemoteFile", R=str(tmp_path)),
            "AzsBackupRemote.NotFound": run(pool, "Read-AzsBackupRemoteFile", Root=str(tmp_path), RelativePath="b"),
            "AzsBackupRemote.InvalidArgument": run(pool, "Read-AzsBackupRemoteFile", Root="x", RelativePath="../a"),
        }
        for error_id, (output, error) in failures.items():
            assert (output, error) == ([], f"{error_id},Read-AzsBackupRemoteFile")
        assert define(pool, without_length) is None  # the host now has the definition without -Length
        assert (
            run(pool, "Read-AzsBackupRemoteFile", **read, Length=3)[1]
            == "NamedParameterNotFound,Read-AzsBackupRemoteFile"
        )
