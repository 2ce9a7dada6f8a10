"""AzsBackupRemote.ps1, the functions the winrm provider brings to a Windows host, held to the provider's calls.

No PowerShell runs here, so the script is read as a syntax tree and checked against what the provider
does with it (``azsbackup.providers.winrm.FUNCTIONS`` and its call sites): it parses under both
grammars; it is function definitions only, so sending it runs nothing; every function the provider
calls is defined, with every parameter the provider passes, of a type that takes the value, and no
mandatory parameter the provider leaves out; every property the provider reads is written in every
object the function writes; and the strict-mode checks of :mod:`tests.psmodule.strictcheck` pass.
Each check is shown to fail on a script broken the way it guards against.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from azsbackup.providers import winrm
from azsbackup.providers.winrm import CHUNK, FUNCTIONS, RemoteFunction
from tests.psmodule.psparse import error_positions, functions, parse, text, walk
from tests.psmodule.strictcheck import Script, canonical, check
from tests.winrm_endpoint.files import Faults, RemoteHost

SCRIPT = Path(winrm.__file__).parent / "scripts" / winrm.SCRIPT
SOURCE = SCRIPT.read_bytes()
MODULE = Path(__file__).resolve().parents[2] / "psmodule" / "AzsBackup"
PROVIDER = ast.parse(Path(winrm.__file__).read_text())
INT32_MAX = 2**31 - 1


def call_contract(source: bytes, called: tuple[RemoteFunction, ...]) -> list[str]:
    """Where the script does not take what the provider sends, or lacks what it reads back."""
    script = Script(source)
    problems = []
    for function in called:
        defined = script.functions.get(function.name.lower())
        if defined is None:
            problems.append(f"{function.name} is not defined")
            continue
        declared = {p.name: p for p in defined.parameters}
        for name, python_type in function.parameters.items():
            parameter = declared.get(name)
            if parameter is None:
                problems.append(f"{function.name} declares no -{name}")
            elif not _takes(canonical(parameter.type), python_type, parameter.validate_range):
                problems.append(f"{function.name} -{name} is [{parameter.type}], the provider sends {python_type}")
        for parameter in defined.parameters:
            mandatory = any(s.mandatory for s in parameter.sets)
            if mandatory and parameter.name not in function.parameters:
                problems.append(f"{function.name} -{parameter.name} is mandatory and never sent")
        if function.reads:
            written = script.output_members(function.name.lower()) or set()
            problems += [
                f"{function.name} does not always write {r}" for r in function.reads if r.lower() not in written
            ]
    return problems


def _takes(declared: str, python_type: type, bounds: tuple[int, int] | None) -> bool:
    if python_type is str:
        return declared == "system.string"
    if python_type is bytes:
        return declared == "system.byte[]"
    if python_type is int and declared == "system.int32":
        # An [int] takes the provider's value only where a bound keeps it below Int32's limit (Length <= 16 MiB).
        return bounds is not None and bounds[1] <= INT32_MAX
    return python_type is int and declared == "system.int64"


def test_parses_cleanly_under_both_grammars() -> None:
    assert error_positions(SOURCE, "powershell") == []
    assert error_positions(SOURCE, "pwsh") == []


def test_each_grammar_catches_a_missing_brace() -> None:
    broken = SOURCE[: SOURCE.rindex(b"}")]
    assert error_positions(broken, "powershell") and error_positions(broken, "pwsh")


def test_the_script_is_function_definitions_only_in_ascii_and_single_quotes() -> None:
    statements = next(c for c in parse(SOURCE).children if c.type == "statement_list")
    assert {c.type for c in statements.children} == {"function_statement"}
    SOURCE.decode("ascii")
    expandable = [text(n) for n in walk(parse(SOURCE)) if n.type == "expandable_string_literal"]
    assert expandable == [], "a double-quoted string expands $name: and friends; use -f"


def test_the_provider_sends_this_script() -> None:
    assert winrm.remote_script().encode("ascii") == SOURCE


def test_every_function_the_provider_calls_takes_what_it_sends_and_writes_what_it_reads() -> None:
    assert call_contract(SOURCE, FUNCTIONS) == []
    assert Script(SOURCE).emissions("read-azsbackupremotefile") == ["system.byte[]"]
    length = Script(SOURCE).functions["read-azsbackupremotefile"].parameter("Length")
    assert length is not None and length.validate_range == (1, 16 * CHUNK)


@pytest.mark.parametrize(
    ("called", "problem"),
    [
        (RemoteFunction("Get-AzsBackupRemoteFiles", {"Root": str}), "is not defined"),
        (RemoteFunction("Get-AzsBackupRemoteTree", {"Root": str, "Depth": int}), "declares no -Depth"),
        (RemoteFunction("Get-AzsBackupRemoteTree", {"Root": int}), "the provider sends <class 'int'>"),
        (RemoteFunction("Read-AzsBackupRemoteFile", {"Root": str, "RelativePath": str, "Offset": str}), "[long]"),
        (RemoteFunction("Read-AzsBackupRemoteFile", {"Root": str}), "-RelativePath is mandatory and never sent"),
        (RemoteFunction("Get-AzsBackupRemoteFileHash", {"Root": str, "RelativePath": str}, ("Hash",)), "write Hash"),
    ],
)
def test_the_call_contract_catches(called: RemoteFunction, problem: str) -> None:
    assert any(problem in p for p in call_contract(SOURCE, (called,)))


def test_an_int_parameter_needs_a_bound_below_int32() -> None:
    unbounded = SOURCE.replace(b"[ValidateRange(1, 16777216)]\n", b"")
    assert any("-Length is [int]" in p for p in call_contract(unbounded, FUNCTIONS))


def test_a_property_missing_from_one_object_fails_the_reads() -> None:
    missing = SOURCE.replace(b"        Reason       = $Reason\n", b"")
    assert "Get-AzsBackupRemoteTree does not always write Reason" in call_contract(missing, FUNCTIONS)


def _provider_calls() -> list[ast.Call]:
    """Every call of a remote function, outside _Host (which forwards them)."""
    outside = [n for n in PROVIDER.body if not (isinstance(n, ast.ClassDef) and n.name == "_Host")]
    return [
        node
        for top in outside
        for node in ast.walk(top)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("call", "objects")
    ]


def test_every_call_site_passes_only_parameters_its_function_declares() -> None:
    by_variable = {
        target.id: function
        for node in PROVIDER.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
        for function in FUNCTIONS
        if isinstance(node.value, ast.Call) and ast.literal_eval(node.value.args[0]) == function.name
    }
    calls = _provider_calls()
    assert {c.args[0].id for c in calls if isinstance(c.args[0], ast.Name)} == set(by_variable)
    for call in calls:
        assert isinstance(call.args[0], ast.Name), ast.unparse(call)
        declared = by_variable[call.args[0].id].parameters
        assert {k.arg for k in call.keywords} <= set(declared), ast.unparse(call)
    invoked = [n for n in ast.walk(PROVIDER) if isinstance(n, ast.Attribute) and n.attr == "invoke"]
    assert len(invoked) == 1, "remote functions are called only through _Host.call"


def test_every_property_the_provider_reads_is_declared() -> None:
    reads = {r for f in FUNCTIONS for r in f.reads}
    subscripts = {
        node.slice.value
        for node in ast.walk(PROVIDER)
        if isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    }
    assert subscripts - {"remote_path", "host", "port"} <= reads


def test_strict_mode_checks_pass() -> None:
    assert [str(v) for v in check(SOURCE)] == []


@pytest.mark.parametrize(
    ("original", "broken", "violation"),
    [
        (b"[void] $stream.Seek(", b"$stream.Seek(", "writes its return value (system.int64) to the output"),
        (b"$child.LastWriteTimeUtc.Ticks", b"$child.LastWriteTimeUtc.Tick", "system.datetime has no a member tick"),
        (b"[System.IO.FileInfo] $file = $child", b"$file = $child", "system.io.filesysteminfo has no a member length"),
        (b"$written.Sha256 -ne", b"$written.Hash -ne", "$written.hash: not a property of every object"),
        (b"[System.IO.FileSystemInfo[]] $children = @()\n", b"", "$children may be read before it is assigned"),
        (b"[string] $base = $Root", b"[string] $base = $_.Exception.Message", "$_ is read outside a catch block"),
        (b"Get-AzsBackupRemotePath -Root $Root\n", b"Get-AzsBackupRemotePath($Root)\n", "called with method syntax"),
        (b"-Type 'Directory' -MtimeTicks", b"-Type 'Directory' -Mtime", "declares no parameter -mtime"),
        (b"-Size $file.Length", b"-Size $file.Name", "-size takes [long], given system.string"),
        (b"-Type 'File' -Size", b"-Size", "called without its mandatory -Type"),
        (b"Sort-Object -Property Name", b"Sort-Object -Property Name -Stable", "not checked for both editions"),
        (b"Set-StrictMode -Version Latest\n", b"Set-StrictMode -Version Latest\n    Get-ChildItem\n", "Get-ChildItem"),
        (b"[ValidateRange(1, 16777216)]", b"[ValidateRange(1, 9223372036854775807)]", "bounds of two types"),
        (b"$child.PSObject.Properties['LinkType']", b"$child.Attributes['LinkType']", "has no an indexer"),
        (b"[System.IO.File]::Replace(", b"[System.IO.File]::ReplaceFile(", "[system.io.file]::replacefile"),
    ],
)
def test_the_strict_mode_checks_catch(original: bytes, broken: bytes, violation: str) -> None:
    assert original in SOURCE
    found = [str(v) for v in check(SOURCE.replace(original, broken, 1))]
    assert any(violation.lower() in f.lower() for f in found), found


def test_every_function_sets_strict_mode_and_stop_for_itself() -> None:
    for function in functions(SOURCE):
        body = next(n for n in walk(function.node) if n.type == "script_block_body")
        statements = [text(c) for c in next(c for c in body.children if c.type == "statement_list").children]
        assert statements[:2] == ["Set-StrictMode -Version Latest", "$ErrorActionPreference = 'Stop'"], function.name


def test_no_function_shadows_one_of_the_module() -> None:
    module = {f.name.lower() for path in MODULE.rglob("*.ps1") for f in functions(path)}
    assert module, "the module's functions were found"
    assert not module & {f.name.lower() for f in functions(SOURCE)}


def test_the_test_double_hosts_exactly_the_functions_of_the_script() -> None:
    assert set(RemoteHost(Faults()).implementations()) == {f.name for f in functions(SOURCE)}
