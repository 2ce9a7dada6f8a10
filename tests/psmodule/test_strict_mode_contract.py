"""The strict-mode contract: every property the module (and the winrm provider's remote script) reads from
what the engine sends is there, in every message the engine can send, so nothing fails under
``Set-StrictMode -Version Latest`` (which the module sets for itself).

The messages are generated from the real engine through the real bridge (``engine_output``), and the
reads are collected from the PowerShell files with tree-sitter (tests/psmodule/strictmode.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from azsbackup.pwsh import protocol
from tests.psmodule.conftest import EngineOutput
from tests.psmodule.psparse import parse, text, walk
from tests.psmodule.strictmode import Hashtable, check, module_files
from tests.psmodule.wire import MODULE, engine_data

REMOTE_SCRIPT = Path(__file__).resolve().parents[2] / "azsbackup" / "providers" / "scripts" / "AzsBackupRemote.ps1"


def hashtables(value: Any) -> Any:
    if isinstance(value, dict):
        return Hashtable({k: hashtables(v) for k, v in value.items()})
    if isinstance(value, list):
        return [hashtables(v) for v in value]
    return value


def module_sources(messages: list[dict[str, Any]]) -> dict[tuple[str, str], list[Any]]:
    """Where the module reads engine data: the bridge's lines, and the generated AzsBackup.Engine.psd1."""
    return {
        ("Invoke-AzsBackupEngine", "message"): messages,
        ("", "script:AzsBackupEngine"): [hashtables(engine_data())],
    }


def test_every_kind_of_message_comes_from_the_engine_with_every_field(engine_output: EngineOutput) -> None:
    messages = engine_output.messages
    assert {m["kind"] for m in messages} == set(protocol.MESSAGE_FIELDS)
    for message in messages:
        assert tuple(message) == protocol.MESSAGE_FIELDS[message["kind"]], message
        if message["kind"] == "result" and message["error"] is not None:
            assert tuple(message["error"]) == protocol.ERROR_FIELDS
    results = [m for m in messages if m["kind"] == "result"]
    assert any(r["error"] is None and r["objects"] for r in results), "a success with objects"
    assert any(r["error"] is not None and r["objects"] for r in results), "a failure with objects (partial backup)"
    assert any(r["error"] is not None and not r["objects"] for r in results), "a failure without objects"
    assert any(m["kind"] == "progress" and m["completed"] for m in messages)


def test_every_read_of_engine_data_in_the_module_is_safe_under_strict_mode(engine_output: EngineOutput) -> None:
    report = check(module_files(MODULE, REMOTE_SCRIPT), module_sources(engine_output.messages))
    assert report.violations == []
    read = {re.sub(r"\[.*?\]", "[]", expression) for _, _, expression in report.reads}
    # The reads the protocol exists for are all seen (the checker follows them to the message fields).
    for expression in (
        "$message.kind",
        "$message.percent_complete",
        "$message.seconds_remaining",
        "$result.objects",
        "$result.error.terminating",
        "$EngineError.hint",
        "$Entry.ProviderPaths",
    ):
        assert expression in read, expression


def test_reading_document_type_on_a_success_document_fails_the_check(engine_output: EngineOutput) -> None:
    """The defect of the first module: `$document.type` on every result, but only errors have a type."""
    source = """
function Invoke-AzsBackupEngine {
    $document = $stdout | ConvertFrom-Json
    if ($null -ne $document -and $document.type -eq 'error') { $document.exit_code }
}
"""
    documents = [m["objects"][0] for m in engine_output.messages if m["kind"] == "result" and m["objects"]]
    documents.append({"type": "error", "code": "not-found", "exit_code": 14})
    report = check({"Old.ps1": source}, {("Invoke-AzsBackupEngine", "document"): documents})
    problems = [v for v in report.violations if "$document.type" in v.expression]
    assert problems and "no property 'type'" in problems[0].reason
    assert not [v for v in report.violations if "exit_code" in v.expression], "narrowed by the -eq 'error' test"


def test_a_message_without_a_field_the_module_reads_fails_the_check(engine_output: EngineOutput) -> None:
    messages = [dict(m) for m in engine_output.messages]
    for message in messages:
        if message["kind"] == "progress":
            del message["seconds_remaining"]
    report = check(module_files(MODULE), module_sources(messages))
    assert [v for v in report.violations if v.expression == "$message.seconds_remaining"]


def test_an_event_kind_without_the_property_a_default_branch_reads_fails_the_check() -> None:
    """The first module's `default { $event.message }` also received `alert` events, which have none."""
    source = """
function Write-AzsBackupEvent {
    $event = $Line | ConvertFrom-Json
    switch ($event.type) {
        'progress' { $event.percent }
        default { $event.message }
    }
}
"""
    events = [
        {"type": "progress", "percent": 5},
        {"type": "log", "message": "m"},
        {"type": "alert", "action": "raised", "code": "c", "id": 1},
    ]
    report = check({"Old.ps1": source}, {("Write-AzsBackupEvent", "event"): events})
    assert [str(v) for v in report.violations] == [
        "Old.ps1:6: $event.message: .message: no property 'message' in the alert object {action, code, id, type}"
    ]


def test_an_engine_read_nobody_declared_fails_the_check() -> None:
    source = "function Get-Thing {\n    $answer = $text | ConvertFrom-Json\n    $answer.value\n}\n"
    report = check({"New.ps1": source}, {})
    assert [v.reason for v in report.violations] == ["engine data read with no declared source"]


def test_the_remote_script_is_checked_too(engine_output: EngineOutput) -> None:
    report = check(module_files(REMOTE_SCRIPT), {})
    assert report.violations == []
    assert "function" in REMOTE_SCRIPT.read_text()


AUTOMATIC_VARIABLES = {
    "$",
    "?",
    "^",
    "_",
    "args",
    "consolefilename",
    "enabledexperimentalfeatures",
    "error",
    "event",
    "eventargs",
    "eventsubscriber",
    "executioncontext",
    "false",
    "foreach",
    "home",
    "host",
    "input",
    "iscoreclr",
    "islinux",
    "ismacos",
    "iswindows",
    "lastexitcode",
    "matches",
    "myinvocation",
    "nestedpromptlevel",
    "null",
    "pid",
    "profile",
    "psboundparameters",
    "pscmdlet",
    "pscommandpath",
    "psculture",
    "psdebugcontext",
    "psedition",
    "pshome",
    "psitem",
    "psscriptroot",
    "pssenderinfo",
    "psuiculture",
    "psversiontable",
    "pwd",
    "sender",
    "shellid",
    "stacktrace",
    "switch",
    "this",
    "true",
}


@pytest.mark.parametrize("path", [*sorted(MODULE.rglob("*.ps*1")), REMOTE_SCRIPT], ids=lambda p: p.name)
def test_no_automatic_variable_is_assigned(path: Path) -> None:
    root = parse(path.read_bytes())
    assigned = [
        text(v)
        for n in walk(root)
        if n.type == "assignment_expression"
        for v in walk(n.children[0])
        if v.type == "variable"
    ]
    assigned += [
        text(next(c for c in n.children if c.type == "variable")) for n in walk(root) if n.type == "foreach_statement"
    ]
    assert not [v for v in assigned if v.lstrip("$").split(":")[-1].lower() in AUTOMATIC_VARIABLES]


def test_the_module_does_not_make_every_error_terminating() -> None:
    """$ErrorActionPreference = 'Stop' at module scope stopped -ComputerName a,b,c at the first bad host."""
    for path in MODULE.rglob("*.ps*1"):
        root = parse(path.read_bytes())
        for assignment in (n for n in walk(root) if n.type == "assignment_expression"):
            assert "erroractionpreference" not in text(assignment.children[0]).lower(), path.name
    psm1 = (MODULE / "AzsBackup.psm1").read_text()
    assert "Set-StrictMode -Version Latest" in psm1
