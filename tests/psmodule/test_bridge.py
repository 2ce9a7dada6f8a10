"""``python -m azsbackup.pwsh``, the engine side of every cmdlet call: the protocol of docs/powershell.md,
against the real engine in a subprocess, as the module starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from azsbackup.pwsh import protocol, table
from tests.cli.test_startup import NEVER_ON_THE_LEAN_PATH
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.psmodule import wire
from tests.psmodule.conftest import EngineOutput, call


def test_every_non_zero_exit_carries_an_error(engine_output: EngineOutput) -> None:
    for name, answer in engine_output.answers.items():
        result = answer.result
        assert result is not None and result["exit_code"] == answer.exit_code, name
        assert (answer.exit_code != 0) == (result["error"] is not None), name
    partial = engine_output.answers["partial backup"].result
    assert partial is not None and partial["exit_code"] == 3
    assert partial["objects"][0]["Status"] == "PartialSucceeded" and partial["error"]["code"] == "source-missing"
    assert "gone" in partial["error"]["message"] and partial["error"]["terminating"] is False
    assert engine_output.answers["backup"].exit_code == 0


def test_errors_of_the_request_stop_the_pipeline_and_failures_of_an_item_do_not(engine_output: EngineOutput) -> None:
    usage = engine_output.answers["usage"].result
    assert usage is not None and usage["error"]["code"] == "usage-error" and usage["error"]["terminating"] is True
    assert usage["error"]["category"] == "InvalidArgument" and "frequency" in usage["error"]["message"].lower()
    missing = engine_output.answers["not found"].result
    assert missing is not None and missing["error"]["code"] == "not-found" and missing["error"]["terminating"] is False
    assert missing["error"]["target"] == "20260101T000000.000Z-00000000" and missing["objects"] == []
    invalid = engine_output.answers["invalid request"]
    assert invalid.exit_code == 10 and invalid.result is not None
    assert invalid.result["error"]["code"] == "invalid-request" and "Nope" in invalid.result["error"]["message"]


def test_a_backup_whose_export_fails_returns_the_backup_and_the_exports_error(
    configured: Engine, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    configured.run("config", "set", "--path", str(tmp_path / "a-file" / "backups"))
    answer = wire.run(call("Start-AzsBackup"), configured.home)
    result = answer.result
    assert result is not None and answer.exit_code == result["exit_code"] == result["error"]["exit_code"] == 18
    assert result["objects"][0]["Status"] == "Succeeded" and result["objects"][0]["Export"]["Status"] == "Failed"
    assert result["error"]["code"] == result["objects"][0]["Export"]["Error"]["Code"]
    assert result["error"]["category"] == "WriteError"


def test_a_backup_that_fails_returns_the_backup_and_an_error(configured: Engine, tmp_path: Path) -> None:
    configured.run("component", "add", "gone", "--type", "directory", "--path", str(tmp_path / "missing"))
    configured.run("component", "add", "also-gone", "--type", "directory", "--path", str(tmp_path / "missing2"))
    answer = wire.run(call("Start-AzsBackup"), configured.home)
    assert answer.exit_code == 2 and answer.result is not None
    assert answer.result["objects"][0]["Status"] == "Failed" and answer.result["error"]["code"] == "source-missing"


def test_an_interpreter_without_the_engine_gives_no_result_and_says_why_on_stderr(tmp_path: Path) -> None:
    """What the module turns into AzsBackup.engine-failed with this stderr tail (a wrong interpreter)."""
    run = subprocess.run(
        [sys.executable, "-S", "-m", "azsbackup.pwsh"],
        input=json.dumps(call("Get-AzsBackupConfiguration")).encode(),
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode != 0 and run.stdout == b""
    assert b"No module named 'azsbackup'" in run.stderr
    source = (wire.MODULE / "Private" / "Invoke-AzsBackupEngine.ps1").read_text()
    for needle in ("if ($exitCode -ne 0) {", "code = 'engine-failed'", "without a result: $tail"):
        assert needle in source, needle


NON_ASCII_PASSWORD = "Pässwört-密码-🔑-ÿ"


def _opens(pfx: Path, password: str) -> bool:
    try:
        pkcs12.load_key_and_certificates(pfx.read_bytes(), password.encode("utf-8"))
    except ValueError:
        return False
    return True


def test_non_ascii_paths_and_passwords_arrive_intact_whatever_the_code_page(module_home: Path, tmp_path: Path) -> None:
    """On Windows, Python's pipes use the ANSI code page unless told otherwise: the bridge reads and writes bytes."""
    ansi = {"PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}  # stdio in a Windows ANSI code page
    directory = tmp_path / "Zertifikate-äöü-証明書"
    created = wire.run(
        call(
            "New-AzsBackupEncryptionCertificate",
            {"Name": "schlüssel", "OutputDirectory": str(directory)},
            secrets={"Password": NON_ASCII_PASSWORD},
        ),
        module_home,
        env=ansi,
    )
    assert created.exit_code == 0, created.messages
    certificate = created.result["objects"][0] if created.result else {}
    assert certificate["PfxPath"] == str(directory / "schlüssel.pfx")
    assert _opens(directory / "schlüssel.pfx", NON_ASCII_PASSWORD)
    # The engine's own stdin, read as text in that code page, is what the first module relied on: mojibake.
    direct = subprocess.run(
        [
            sys.executable,
            "-m",
            "azsbackup",
            "--json",
            "--secrets-stdin",
            "cert",
            "new",
            "--name",
            "direct",
            "--out-dir",
            str(tmp_path / "direct"),
        ],
        input=json.dumps({"password": NON_ASCII_PASSWORD}, ensure_ascii=False).encode("utf-8"),
        capture_output=True,
        env={**Engine(module_home).env, **ansi},
        timeout=120,
    )
    assert direct.returncode != 0 or not _opens(tmp_path / "direct" / "direct.pfx", NON_ASCII_PASSWORD)
    tree = tmp_path / "Données-数据"
    tree.mkdir()
    (tree / "fichier-é.txt").write_text("contenu")
    added = wire.run(
        call("Add-AzsBackupComponent", {"Name": "donnees", "Type": "directory", "Path": str(tree)}),
        module_home,
        env=ansi,
    )
    assert added.result is not None and added.result["objects"][0]["Settings"]["Path"] == str(tree)


def test_a_request_with_a_byte_order_mark_is_read(module_home: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "azsbackup.pwsh"],
        input=b"\xef\xbb\xbf" + json.dumps(call("Get-AzsBackupConfiguration")).encode(),
        capture_output=True,
        env={**Engine(module_home).env},
        timeout=60,
    )
    assert run.returncode == 0 and json.loads(run.stdout.splitlines()[-1])["kind"] == "result"


@pytest.mark.parametrize("cmdlet", ["Get-AzsBackupConfiguration"])
def test_the_most_frequent_call_loads_no_framework_and_no_cryptography(module_home: Path, cmdlet: str) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "azsbackup.pwsh"],
        input=json.dumps(call(cmdlet)).encode(),
        capture_output=True,
        env=Engine(module_home).env,
        timeout=60,
    )
    assert run.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.decode().splitlines() if "|" in line}
    assert "azsbackup.fastpath" in imported and "azsbackup.service.configure" in imported
    loaded = sorted(m for m in imported if any(m == n or m.startswith(n + ".") for n in NEVER_ON_THE_LEAN_PATH))
    assert loaded == []


def test_restore_returns_its_result_only_with_passthru(module_home: Path, tmp_path: Path, cert_pair: CertPair) -> None:
    started = wire.run(call("Start-AzsBackup"), module_home)
    backup_id = started.result["objects"][0]["BackupId"] if started.result else ""
    parameters = {"BackupId": f"local/{backup_id}", "DecryptionCertPath": str(cert_pair.pfx)}
    secrets = {"DecryptionCertPassword": cert_pair.password}
    quiet = wire.run(
        call("Restore-AzsBackup", parameters | {"Destination": str(tmp_path / "a")}, secrets=secrets), module_home
    )
    assert quiet.exit_code == 0 and quiet.result is not None and quiet.result["objects"] == []
    assert (tmp_path / "a" / "tree" / "a.conf").read_text() == "module"
    loud = wire.run(
        call("Restore-AzsBackup", parameters | {"Destination": str(tmp_path / "b"), "PassThru": True}, secrets=secrets),
        module_home,
    )
    assert loud.result is not None and loud.result["objects"][0]["Status"] == "Restored"
    again = wire.run(
        call("Restore-AzsBackup", parameters | {"Destination": str(tmp_path / "b")}, secrets=secrets), module_home
    )
    assert again.result is not None and again.result["error"]["code"] == "restore-target-exists"
    overwrite = wire.run(
        call(
            "Restore-AzsBackup", parameters | {"Destination": str(tmp_path / "b"), "Overwrite": True}, secrets=secrets
        ),
        module_home,
    )
    assert overwrite.exit_code == 0


def test_secrets_never_reach_a_command_line() -> None:
    engine_call = table.engine_call(
        "Set-AzsBackupConfiguration", None, {"UserName": "u"}, {"Password": "Secret-On-Stdin-1"}
    )
    assert "Secret-On-Stdin-1" not in engine_call.argv and engine_call.secrets == {"password": "Secret-On-Stdin-1"}
    assert engine_call.argv[:3] == ["--json", "--log-json", "--secrets-stdin"]


def test_every_engine_event_becomes_a_message_with_every_field() -> None:
    events = [
        {"type": "progress", "activity": "", "status": "", "done": 5, "total": None, "percent": None},
        {"type": "progress", "activity": "Backup", "status": "x", "done": 4, "total": 4, "percent": 100},
        {"type": "warning", "code": "c", "message": "m", "subject": "s"},
        {"type": "log", "level": "info", "message": "m"},
        {"type": "component_status", "component": {"name": "a", "status": "Succeeded"}},
        {"type": "error", "code": "source-missing", "message": "m", "hint": "h", "exit_code": 2, "component": "a"},
        {"type": "alert", "action": "raised", "code": "backup-failed", "id": 1},
        {"type": "alert", "action": "closed", "code": "backup-failed", "id": 1},
        {"type": "something-new", "value": 1},
    ]
    messages = [protocol.from_event(e) for e in events]
    for message in messages:
        assert message is not None and tuple(message) == protocol.MESSAGE_FIELDS[message["kind"]]
    unknown = messages[0]
    assert unknown is not None
    assert (unknown["activity"], unknown["status"], unknown["percent_complete"], unknown["seconds_remaining"]) == (
        "azsbackup",
        "working",
        -1,
        -1,
    )
    assert messages[1] is not None and messages[1]["completed"] is True
    assert [m["kind"] for m in messages if m is not None][2:] == [
        "warning",
        "verbose",
        "verbose",
        "verbose",
        "warning",
        "verbose",
        "verbose",
    ]
    assert protocol.from_event({"type": "error", "code": "x", "message": "m", "exit_code": 10}) is None
