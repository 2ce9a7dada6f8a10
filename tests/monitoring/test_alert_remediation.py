"""Every alert's remediation names the PowerShell call beside each command line, and both exist as written.

The command line is resolved against the engine's click tree (command and
options); the call is parsed with the PowerShell grammar and bound against the
module's public cmdlets as PowerShell binds it (tests/psmodule/binder.py; the
parameters a hint leaves out are not required): the cmdlet exists, runs the
same engine command (the table, azsbackup/pwsh/table.py), and the values it
binds give the engine options the command line gives.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import click
import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from azsbackup.cli import cli
from azsbackup.monitoring.alerts import CATALOGUE, render
from azsbackup.pwsh import table
from azsbackup.remote.commands import flags
from tests.monitoring.test_alert_catalogue import FACTS
from tests.psmodule.engine_args import sample
from tests.psmodule.module_calls import bind_script
from tests.psmodule.psparse import Function, functions, has_syntax_error, text, walk
from tests.psmodule.wire import request

PUBLIC = Path(__file__).resolve().parents[2] / "psmodule" / "AzsBackup" / "Public"
PAIR = re.compile(r"'(azsbackup [^']*)' \(PowerShell: '([^']*)'\)")
COMMAND_LINE = re.compile(r"'azsbackup [^']*'")


@cache
def cmdlets() -> dict[str, Function]:
    return {f.name.lower(): f for path in sorted(PUBLIC.glob("*.ps1")) for f in functions(path)}


def resolve(words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """The sub-command path of an ``azsbackup`` command line, its click command and the options it gives."""
    command: click.Command = cli
    path: list[str] = []
    rest = list(words)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    return path, command, [w for w in rest if w.startswith("--")]


def parse_call(call: str) -> tuple[str, list[str]]:
    """The cmdlet name of a PowerShell call and the parameters given to it (not to calls nested in it)."""
    source = call.encode("utf-8")
    assert not has_syntax_error(source), f"not valid PowerShell: {call}"
    root = Parser(Language(tree_sitter_powershell.language())).parse(source).root_node
    outer: Node = next(n for n in walk(root) if n.type == "command")
    name = text(next(c for c in outer.children if c.type == "command_name"))
    elements = next((c for c in outer.children if c.type == "command_elements"), None)
    parameters = [text(c).lstrip("-") for c in (elements.children if elements else []) if c.type == "command_parameter"]
    return name, parameters


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_remediation_names_the_cmdlet_beside_the_command_line(code: str) -> None:
    remediation = render(code, FACTS).remediation
    pairs = PAIR.findall(remediation)
    assert pairs, f"{code}: no command named"
    assert len(COMMAND_LINE.findall(remediation)) == len(pairs), f"{code}: a command line without its cmdlet"

    for command_line, call in pairs:
        path, command, options = resolve(command_line.split()[1:])
        assert path, f"{code}: {command_line!r} names no engine command"
        known = {name for parameter in command.params for name in parameter.opts + parameter.secondary_opts}
        assert set(options) <= known, f"{code}: {command_line!r} gives options azsbackup {' '.join(path)} lacks"

        name, _ = parse_call(call)
        assert name.lower() in cmdlets(), f"{code}: {name} is not a public cmdlet of the module"
        # A placeholder such as N stands for a value: bind it as a variable would.
        bound = bind_script(re.sub(r"(?<= )N\b", "$N", call), require_mandatory=False)[0]
        document = request(bound, sample)
        engine = table.engine_call(name, bound.parameter_set, document["parameters"], document["secrets"])
        assert list(engine.variant.words) == path, f"{code}: {name} does not run azsbackup {' '.join(path)}"
        given = flags(engine.variant)
        for option in options:
            if option in given:  # options the module sets (a secret such as --password-stdin travels apart)
                assert option in engine.argv, f"{code}: {call!r} does not give {option} of {command_line!r}"


def test_the_check_catches_a_cmdlet_parameter_that_does_not_exist() -> None:
    name, named = parse_call("Set-AzsBackupConfiguration -Password (Read-Host -AsSecureString) -Retention 3")
    declared = {p.name.lower() for p in cmdlets()[name.lower()].parameters}
    assert named == ["Password", "Retention"], "parameters of the nested Read-Host are not the cmdlet's"
    assert "retention" not in declared
