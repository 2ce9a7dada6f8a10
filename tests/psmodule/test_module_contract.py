"""The AzsBackup PowerShell module, read as parsed syntax trees and checked against the engine's click tree.

No PowerShell exists on these machines, so what can be proven statically is proven here: every file parses;
exports, files and functions agree; every parameter maps to an engine option that exists, with the same
ranges and sets; help is complete; every state-changing cmdlet supports ShouldProcess; secrets only ever
reach the engine through the stdin secrets map.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from azsbackup.cli import cli
from tests.psmodule.psparse import Function, functions, has_syntax_error, manifest_list, text, walk

MODULE = Path(__file__).resolve().parents[2] / "psmodule" / "AzsBackup"
PUBLIC = sorted((MODULE / "Public").glob("*.ps1"))
REMOTE_PARAMETERS = {"ComputerName", "Credential", "Session"}
MODULE_ONLY = {("Start-AzsBackup", "AsJob"), ("Start-AzsBackup", "Wait")}
CHANGING_VERBS = {"Set", "Clear", "Start", "Restore", "Remove", "Invoke", "Close", "Add", "New"}
HIGH_IMPACT = {
    "Restore-AzsBackup",
    "Remove-AzsBackup",
    "Clear-AzsBackupConfiguration",
    "Remove-AzsBackupComponent",
    "Invoke-AzsPruneBackupLocationExternalStore",
}
SECRET_KEYS = {"password", "key_password", "remote_password"}


def public_functions() -> list[Function]:
    return [f for path in PUBLIC for f in functions(path)]


def click_command(words: list[str]) -> click.Command:
    command: click.Command = cli
    for word in words:
        assert isinstance(command, click.Group), f"{words}: {word!r} is below a command, not a group"
        command = command.commands[word]
    return command


def click_options(command: click.Command) -> dict[str, click.Option]:
    options: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in [*param.opts, *param.secondary_opts]:
                options[opt] = param
    return options


@pytest.mark.parametrize("path", sorted(MODULE.parent.rglob("*.ps*1")), ids=lambda p: p.name)
def test_every_file_parses(path: Path) -> None:
    assert not has_syntax_error(path.read_bytes())


def test_the_parser_does_catch_a_missing_brace() -> None:
    source = (MODULE / "Public" / "Restore-AzsBackup.ps1").read_bytes()
    broken = source[: source.rindex(b"}")]  # drop the function's closing brace
    assert has_syntax_error(broken)


def test_exports_equal_files_equal_functions() -> None:
    exported = set(manifest_list(MODULE / "AzsBackup.psd1", "FunctionsToExport"))
    files = {p.stem for p in PUBLIC}
    defined = {f.name for f in public_functions()}
    assert exported == files == defined
    assert all(len(functions(p)) == 1 for p in PUBLIC), "one public function per file"
    aliases = manifest_list(MODULE / "AzsBackup.psd1", "AliasesToExport")
    assert aliases == ["Set-AzsBackupShare", "Get-AzsBackupLocation"]
    psm1 = (MODULE / "AzsBackup.psm1").read_text()
    for alias, target in (
        ("Set-AzsBackupShare", "Set-AzsBackupConfiguration"),
        ("Get-AzsBackupLocation", "Get-AzsBackupConfiguration"),
    ):
        assert f"-Name '{alias}' -Value '{target}'" in psm1


@pytest.mark.parametrize("function", public_functions(), ids=lambda f: f.name)
def test_every_parameter_maps_to_an_engine_option(function: Function) -> None:
    assert function.calls, f"{function.name} never calls the engine"
    mapped = {name for deciders in function.options.values() for name in deciders}
    secrets = {p.name for p in function.parameters if p.type == "securestring"}
    positional = {p.name for p in function.parameters if "Parameter" in p.attributes or p.name in ("Id", "Name")}
    for call in function.calls:
        command = click_command(call.command)
        options = click_options(command)
        for option in function.options if call.has_options else ():
            assert option in options, f"{function.name}: engine option {option} does not exist on {call.command}"
        if call.has_argument:
            assert any(isinstance(p, click.Argument) for p in command.params), f"{call.command} takes no argument"
    for parameter in function.parameters:
        if parameter.name in REMOTE_PARAMETERS or (function.name, parameter.name) in MODULE_ONLY:
            continue
        assert parameter.name in mapped | secrets | positional, f"{function.name} -{parameter.name} reaches no option"


@pytest.mark.parametrize("function", public_functions(), ids=lambda f: f.name)
def test_validation_matches_the_engine(function: Function) -> None:
    for option, deciders in function.options.items():
        for parameter in (p for p in function.parameters if p.name in deciders):
            click_param = next(click_options(click_command(c.command))[option] for c in function.calls if c.has_options)
            if "ValidateRange" in parameter.attributes:
                low, high = (int(v) for v in parameter.attributes["ValidateRange"])
                assert isinstance(click_param.type, click.IntRange), f"{function.name} -{parameter.name}"
                assert (click_param.type.min, click_param.type.max) == (low, high), f"{function.name} -{parameter.name}"
            if "ValidateSet" in parameter.attributes and option != "--dry-run":
                assert isinstance(click_param.type, click.Choice), f"{function.name} -{parameter.name}"
                assert set(parameter.attributes["ValidateSet"]) == set(click_param.type.choices)


@pytest.mark.parametrize("function", public_functions(), ids=lambda f: f.name)
def test_help_is_complete(function: Function) -> None:
    help_text = function.help
    for section in (".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE"):
        assert section in help_text, f"{function.name} lacks {section}"
    for parameter in function.parameters:
        assert re.search(rf"\.PARAMETER {parameter.name}\s*\n\s*\S", help_text), f"{function.name} -{parameter.name}"


@pytest.mark.parametrize("function", public_functions(), ids=lambda f: f.name)
def test_state_changing_cmdlets_support_should_process(function: Function) -> None:
    verb = function.name.split("-")[0]
    if verb in CHANGING_VERBS:
        assert function.binding.get("SupportsShouldProcess") == "$true", function.name
        expected = "High" if function.name in HIGH_IMPACT else "Medium"
        assert function.binding.get("ConfirmImpact") == expected, function.name
        assert "$PSCmdlet.ShouldProcess(" in text(function.node) or function.name == "Start-AzsBackup"


@pytest.mark.parametrize("function", public_functions(), ids=lambda f: f.name)
def test_secrets_only_travel_in_the_secret_map(function: Function) -> None:
    for parameter in (p for p in function.parameters if p.type == "securestring"):
        uses = [
            n for n in walk(function.node) if n.type == "variable" and text(n).lower() == f"${parameter.name}".lower()
        ]
        secret_maps = [c.secret_node for c in function.calls if c.secret_node is not None]
        for use in uses:
            if use.parent is not None and use.parent.type == "script_parameter":
                continue  # the declaration
            inside = any(m.start_byte <= use.start_byte and use.end_byte <= m.end_byte for m in secret_maps)
            assert inside, f"{function.name}: ${parameter.name} is used outside the -Secret map"
        for secret_map in secret_maps:
            keys = {text(e).split("=")[0].strip() for e in walk(secret_map) if e.type == "hash_entry"}
            assert keys <= SECRET_KEYS


def test_the_engine_is_started_in_one_place_only() -> None:
    starters = []
    for path in MODULE.rglob("*.ps1"):
        source = path.read_text()
        if "Diagnostics.Process" in source or "Start-Process" in source or re.search(r"&\s*\$python", source):
            starters.append(path.name)
    assert starters == ["Invoke-AzsBackupEngine.ps1"]


def test_secrets_reach_the_engine_on_stdin_as_the_module_sends_them(tmp_path: Path) -> None:
    """The engine side of the module's contract: --secrets-stdin JSON, --json/--log-json, exit codes."""
    import json

    env = {"AZSBACKUP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    base = [sys.executable, "-m", "azsbackup", "--json", "--log-json"]
    run = subprocess.run(
        [*base, "--secrets-stdin", "cert", "new", "--name", "ps", "--out-dir", str(tmp_path)],
        input=json.dumps({"password": "Module-Secret-123"}),
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["schema"] == "azsbackup/1"
    bad = subprocess.run([*base, "config", "set", "--frequency-hours", "13"], capture_output=True, text=True, env=env)
    assert bad.returncode == 10
    error = json.loads(bad.stdout)
    assert error["type"] == "error" and error["code"] == "usage-error" and error["exit_code"] == 10
    assert json.loads(bad.stderr.splitlines()[-1])["code"] == "usage-error"


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
    assert (path / "Public" / "Restore-AzsBackup.ps1").exists()
    assert (tmp_path / "site" / "azsbackup" / "providers" / "scripts" / "AzsBackupRemote.ps1").exists()
