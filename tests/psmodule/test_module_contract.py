"""The AzsBackup PowerShell module, read as parsed syntax trees and held to the engine's table and click tree.

No PowerShell exists on these machines, so what can be proven statically is proven here: every file parses
cleanly in both grammars; exports, files, functions and the table agree; every parameter is declared as the
table uses it, with the engine's ranges and choices; the parameter sets are the table's engine commands;
every public cmdlet is help, parameters, ShouldProcess and one call inside it; Python is started in one
place; the views name only properties the objects have.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest

from azsbackup.errors import InvalidValue
from azsbackup.model import BYTE_SIZE_DIGITS, parse_byte_size
from azsbackup.pwsh import shapes, table
from tests.psmodule.engine_args import click_option
from tests.psmodule.psparse import (
    ALL_SETS,
    Function,
    Parameter,
    flagged_by_either,
    functions,
    has_syntax_error,
    manifest_list,
    parse,
    text,
    walk,
)
from tests.psmodule.wire import MODULE, engine_data

PUBLIC = sorted((MODULE / "Public").glob("*.ps1"))
FUNCTIONS = {f.name: f for path in PUBLIC for f in functions(path)}
HIGH_IMPACT = {
    "Restore-AzsBackup",
    "Remove-AzsBackup",
    "Clear-AzsBackupConfiguration",
    "Remove-AzsBackupComponent",
    "Invoke-AzsPruneBackupLocationExternalStore",
}
REMOTE_TYPES = {
    "ComputerName": "string[]",
    "Session": "system.management.automation.runspaces.pssession[]",
    "ThrottleLimit": "int",
}
CALL = "Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters"


def test_every_file_parses_cleanly_in_both_grammars() -> None:
    files = sorted(MODULE.parent.rglob("*.ps*1"))
    assert files
    assert {p.name: flagged_by_either(p.read_bytes()) for p in files} == {p.name: [] for p in files}


@pytest.mark.parametrize("grammar", ["powershell", "pwsh"])
def test_a_syntax_error_is_flagged_by_either_grammar(grammar: str) -> None:
    source = (MODULE / "Public" / "Restore-AzsBackup.ps1").read_bytes()
    broken = source[: source.rindex(b"}")]  # drop the function's closing brace
    assert grammar in flagged_by_either(broken)
    assert has_syntax_error(broken)


def test_exports_files_functions_and_the_table_agree() -> None:
    exported = set(manifest_list(MODULE / "AzsBackup.psd1", "FunctionsToExport"))
    files = {p.stem for p in PUBLIC}
    assert all(len(functions(p)) == 1 for p in PUBLIC), "one public function per file"
    assert exported == files == set(FUNCTIONS) == set(table.CMDLETS) == set(engine_data()["Cmdlets"])
    aliases = set(manifest_list(MODULE / "AzsBackup.psd1", "AliasesToExport"))
    assert aliases == set(table.DEPRECATED_ALIASES) == set(engine_data()["DeprecatedAliases"])


def _click_param(words: tuple[str, ...], binding: table.Binding) -> click.Parameter | None:
    if isinstance(binding, table.Option | table.Switch | table.Credential):
        return click_option(words, binding.flag)
    if isinstance(binding, table.Toggle):
        return click_option(words, binding.on)
    return None


def _flag_of(binding: table.Binding) -> str | None:
    if isinstance(binding, table.Option | table.Switch | table.Credential):
        return binding.flag
    return binding.on if isinstance(binding, table.Toggle) else None


def _check_type(function: Function, parameter: Parameter, binding: table.Binding) -> None:
    where = f"{function.name} -{parameter.name}"
    expected = {
        table.Switch: "switch",
        table.Toggle: "bool",
        table.Secret: "securestring",
        table.Credential: "pscredential",
        table.PassThru: "switch",
    }.get(type(binding))
    if expected is not None:
        assert parameter.type == expected, where
    if isinstance(binding, table.Argument):
        assert not parameter.is_switch and parameter.type != "bool", where
        assert any(s.position == 0 for s in parameter.sets), f"{where}: the engine's argument is position 0"
    if isinstance(binding, table.Option | table.Choice):
        assert parameter.type not in ("switch", "bool", "securestring", "pscredential"), where


@pytest.mark.parametrize("name", sorted(table.CMDLETS))
def test_every_parameter_is_declared_as_the_table_uses_it(name: str) -> None:
    function, cmdlet = FUNCTIONS[name], table.CMDLETS[name]
    declared = {p.name for p in function.parameters}
    used = set(cmdlet.engine_parameters)
    assert used | set(cmdlet.module_parameters) >= declared, f"{name}: parameters the table does not know"
    assert used <= declared, f"{name}: the table sends parameters the cmdlet does not declare"
    assert not used & set(cmdlet.module_parameters)
    for parameter in function.parameters:
        if parameter.name in REMOTE_TYPES:
            assert parameter.type == REMOTE_TYPES[parameter.name], f"{name} -{parameter.name}"
        elif parameter.name == cmdlet.remote_credential:
            assert parameter.type == "pscredential"
        elif parameter.name in ("Force", "AsJob"):
            assert parameter.is_switch
    for variant in cmdlet.variants:
        for binding in variant.bindings:
            parameter = function.parameter(binding.parameter)
            assert parameter is not None
            _check_type(function, parameter, binding)


@pytest.mark.parametrize("name", sorted(table.CMDLETS))
def test_switches_are_flags_and_booleans_are_flag_pairs_of_the_engine(name: str) -> None:
    for variant in table.CMDLETS[name].variants:
        for binding in variant.bindings:
            option = _click_param(variant.words, binding)
            assert isinstance(option, click.Option) == (_flag_of(binding) is not None), f"{name} -{binding.parameter}"
            if option is None:
                continue
            if isinstance(binding, table.Switch):
                assert option.is_flag and not option.secondary_opts, f"{name} -{binding.parameter}"
            elif isinstance(binding, table.Toggle):
                assert option.is_flag and binding.off in option.secondary_opts, f"{name} -{binding.parameter}"
            else:
                assert not option.is_flag, f"{name} -{binding.parameter}: the engine option takes a value"
        arguments = [p for p in _command(variant.words).params if isinstance(p, click.Argument)]
        assert len(arguments) >= len([b for b in variant.bindings if isinstance(b, table.Argument)])


def _command(words: tuple[str, ...]) -> click.Command:
    from azsbackup.cli import cli

    command: click.Command = cli
    for word in words:
        assert isinstance(command, click.Group)
        command = command.commands[word]
    return command


def byte_size_range() -> tuple[int, int]:
    """The [long] values the engine's byte sizes take as plain digits: from 0 to the most digits it reads."""
    return 0, 10**BYTE_SIZE_DIGITS - 1


def test_the_byte_size_range_is_the_engines() -> None:
    low, high = byte_size_range()
    assert parse_byte_size("max-bytes", str(low)) == low and parse_byte_size("max-bytes", str(high)) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(InvalidValue):
            parse_byte_size("max-bytes", str(outside))


@pytest.mark.parametrize("name", sorted(table.CMDLETS))
def test_validation_is_the_engines_values(name: str) -> None:
    """A ValidateRange or ValidateSet equals the engine's range or choices; one the engine has must be there."""
    function = FUNCTIONS[name]
    for variant in table.CMDLETS[name].variants:
        for binding in variant.bindings:
            parameter = function.parameter(binding.parameter)
            assert parameter is not None
            where = f"{name} -{parameter.name}"
            if isinstance(binding, table.Choice):
                assert parameter.validate_set == list(binding.words), where
                continue
            option = _click_param(variant.words, binding)
            kind = option.type if option is not None else None
            if isinstance(binding, table.Argument):
                kind = next(p.type for p in _command(variant.words).params if isinstance(p, click.Argument))
            if isinstance(binding, table.ByteSize):
                assert parameter.type == "long" and parameter.validate_range == byte_size_range(), where
            elif isinstance(kind, click.IntRange):
                high = kind.max if kind.max is not None else 2**31 - 1
                assert parameter.validate_range == (kind.min, high), where
            else:
                assert parameter.validate_range is None, f"{where}: the engine has no range"
            if isinstance(kind, click.Choice):
                assert parameter.validate_set == list(kind.choices), where
            else:
                assert parameter.validate_set is None, f"{where}: the engine has no choices"


@pytest.mark.parametrize("name", sorted(table.CMDLETS))
def test_parameter_sets_are_the_engine_commands(name: str) -> None:
    function, cmdlet = FUNCTIONS[name], table.CMDLETS[name]
    sets = [v.parameter_set for v in cmdlet.variants]
    if sets == [None]:
        assert function.set_names == [ALL_SETS]
        return
    assert sorted(function.set_names) == sorted(s for s in sets if s)
    assert function.default_set == sets[0]
    for variant in cmdlet.variants:
        for binding in variant.bindings:
            parameter = function.parameter(binding.parameter)
            assert parameter is not None
            # a parameter of every engine command is declared once, for all sets (Set-AzsBackupConfiguration's)
            bound_in = {v.parameter_set for v in cmdlet.variants if v.binding(binding.parameter) is not None}
            expected = {ALL_SETS} if bound_in == set(sets) else bound_in
            assert {s.name for s in parameter.sets} == expected, f"{name} -{parameter.name}"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_help_is_complete(name: str) -> None:
    function = FUNCTIONS[name]
    for section in ("SYNOPSIS", "DESCRIPTION", "EXAMPLE"):
        assert function.help_sections(section), f"{name} lacks .{section}"
    documented = {h.argument: h.body for h in function.help_sections("PARAMETER")}
    for parameter in function.parameters:
        assert documented.get(parameter.name), f"{name} -{parameter.name} has no help"


def _process_body(function: Function) -> str:
    block = next(n for n in walk(function.node) if n.type == "named_block" and text(n).lower().startswith("process"))
    return text(block)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_cmdlet_is_one_call_inside_should_process(name: str) -> None:
    """Nothing starts before the operator agreed: no job with -WhatIf, no -Force lost."""
    function, cmdlet = FUNCTIONS[name], table.CMDLETS[name]
    body = _process_body(function)
    assert text(function.node).count("Invoke-AzsBackupCmdlet") == 1 and CALL in body, name
    assert function.supports_should_process == cmdlet.should_process, name
    if not cmdlet.should_process:
        assert re.fullmatch(r"process\s*\{\s*" + re.escape(CALL) + r"\s*\}", body), name
        return
    expected = "High" if name in HIGH_IMPACT else "Medium"
    assert function.binding.get("ConfirmImpact") == expected, name
    root = parse(body)
    guarded = [
        n
        for n in walk(root)
        if n.type == "if_statement"
        and "$PSCmdlet.ShouldProcess(" in text(next(c for c in n.children if c.type == "pipeline"))
    ]
    assert len(guarded) == 1 and CALL in text(guarded[0]), f"{name}: the call is not inside ShouldProcess"
    if "Force" in cmdlet.module_parameters:
        assert "$ConfirmPreference = 'None'" in body and "$Force" in body, f"{name}: -Force must not ask"


def test_a_dry_run_prune_does_not_ask() -> None:
    body = _process_body(FUNCTIONS["Invoke-AzsPruneBackupLocationExternalStore"])
    assert "$OperationType -eq 'DryRun'" in body and "$ConfirmPreference = 'None'" in body


def test_python_is_started_in_one_place_only() -> None:
    starters = []
    for path in MODULE.rglob("*.ps*1"):
        source = path.read_text()
        if "Diagnostics.Process" in source or "Start-Process" in source or re.search(r"&\s*\$python", source):
            starters.append(path.name)
    assert starters == ["Invoke-AzsBackupEngine.ps1"]


def test_the_engine_is_started_with_utf8_stdio_and_paths_resolved_through_the_provider() -> None:
    """Paths: resolved in Invoke-AzsBackupCmdlet, before a background job too (test_windows_host.py)."""
    source = (MODULE / "Private" / "Invoke-AzsBackupEngine.ps1").read_text()
    for needle in (
        "EnvironmentVariables['PYTHONUTF8'] = '1'",
        "EnvironmentVariables['PYTHONIOENCODING'] = 'utf-8'",
        "[System.Text.UTF8Encoding]::new($false)",
        "[System.IO.StreamWriter]::new($process.StandardInput.BaseStream, $utf8)",
        "'-m', 'azsbackup.pwsh'",
    ):
        assert needle in source, needle
    cmdlet = (MODULE / "Private" / "Invoke-AzsBackupCmdlet.ps1").read_text()
    assert "$Caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath($value)" in cmdlet


def test_secrets_are_made_plain_only_while_the_request_is_written() -> None:
    source = (MODULE / "Private" / "Invoke-AzsBackupEngine.ps1").read_text()
    assert source.count("NetworkCredential") == 1
    root = parse(source.encode())
    writing = [n for n in walk(root) if n.type == "try_statement" and "$stdin.Write(" in text(n)]
    assert writing and "NetworkCredential" in text(writing[-1]) and "$plainSecrets.Clear()" in text(writing[-1])
    for path in PUBLIC:  # a public cmdlet never touches a secret: it hands $PSBoundParameters on
        assert "NetworkCredential" not in path.read_text() and "ConvertFrom-SecureString" not in path.read_text()


def test_remote_calls_fan_out_through_one_invoke_command_with_plain_values() -> None:
    source = (MODULE / "Private" / "Invoke-AzsBackupCmdlet.ps1").read_text()
    root = parse(source.encode())
    loops = [n for n in walk(root) if n.type in ("foreach_statement", "for_statement", "while_statement")]
    assert not any("Invoke-Command" in text(loop) for loop in loops), "one Invoke-Command for every host"
    assert source.count("Invoke-Command @invoke") == 1
    assert "if ($value -is [switch]) { $value = $value.IsPresent }" in source
    assert "$plain['Confirm'] = $false" in source
    # -Verbose and -Debug are preferences of the host where the cmdlet runs: without them its messages are lost.
    assert "foreach ($common in @('Verbose', 'Debug'))" in source
    assert "$plain[$common] = [bool]$BoundParameters[$common]" in source
    for needle in (
        "$invoke['ThrottleLimit']",
        "$invoke['AsJob'] = $true",
        "$invoke['Session']",
        "$invoke['ComputerName']",
    ):
        assert needle in source, needle


def test_the_deprecated_names_warn() -> None:
    """Set-AzsBackupShare and Get-AzsBackupLocation work and say they are deprecated, as Azure's module did."""
    source = (MODULE / "Private" / "Invoke-AzsBackupCmdlet.ps1").read_text()
    assert "$invokedAs = $Caller.MyInvocation.InvocationName" in source
    assert "if ($script:AzsBackupEngine.DeprecatedAliases.ContainsKey($invokedAs)) {" in source
    assert '$Caller.WriteWarning("$invokedAs is deprecated' in source
    psm1 = (MODULE / "AzsBackup.psm1").read_text()
    assert "New-Alias -Name $alias -Value $script:AzsBackupEngine.DeprecatedAliases[$alias]" in psm1


def test_the_default_views_name_only_properties_the_objects_have() -> None:
    names = {s.type_name: {p.lower() for p in s.property_names} for s in shapes.SHAPES}
    views = ET.parse(MODULE / "AzsBackup.Format.ps1xml").getroot().iter("View")  # noqa: S314 - the module's own file
    for view in views:
        type_name = view.findtext("ViewSelectedBy/TypeName") or ""
        known = names[type_name]
        for node in view.iter("PropertyName"):
            assert (node.text or "").lower() in known, f"{type_name}: {node.text}"
        for node in view.iter("ScriptBlock"):
            first = re.findall(r"\$_\.(\w+)", node.text or "")[:1]
            assert all(p.lower() in known for p in first), f"{type_name}: {node.text}"


def test_pip_install_ships_the_module(tmp_path: Path) -> None:
    root = MODULE.parents[1]
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(tmp_path / "site"),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    shown = subprocess.run(
        [sys.executable, "-m", "azsbackup", "psmodule", "path"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert shown.returncode == 0, shown.stderr
    path = Path(shown.stdout.strip())
    assert path.is_relative_to(tmp_path / "site") and (path / "AzsBackup.psd1").exists()
    assert (path / "AzsBackup.Engine.psd1").exists() and (path / "Public" / "Restore-AzsBackup.ps1").exists()
    assert (tmp_path / "site" / "azsbackup" / "providers" / "scripts" / "AzsBackupRemote.ps1").exists()
