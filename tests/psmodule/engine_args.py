"""Following a cmdlet's bound values to the engine: the request, the table's command line, click's parse.

Shared by the binding contract (each bound value of each example reaches its engine option) and the
engine-call contract (every parameter's command line is accepted and runs).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from azsbackup.cli import cli
from azsbackup.cli.remote_cmd import _leaf
from azsbackup.model import parse_byte_size
from azsbackup.pwsh import table
from azsbackup.remote.commands import ParsedCommand
from tests.psmodule.binder import Bound, CredentialValue
from tests.psmodule.psparse import Parameter
from tests.psmodule.wire import request

SAMPLE_SECRET = "Sample-Secret-123"


def sample(parameter: Parameter) -> Any:
    """A value of the parameter's type that its validation accepts (for variables and expressions)."""
    kind = parameter.type
    if parameter.validate_set:
        value: Any = parameter.validate_set[0]
    elif parameter.validate_range:
        value = parameter.validate_range[0]
    elif kind in ("int", "long"):
        value = 1
    elif kind in ("switch", "bool"):
        value = True
    elif kind == "securestring":
        value = SAMPLE_SECRET
    elif kind == "pscredential":
        value = CredentialValue("CONTOSO\\backupadmin", SAMPLE_SECRET)
    elif kind == "datetime":
        value = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    elif parameter.name.lower().endswith("id"):
        value = "20261124T215012.345Z-9f3a01bc"
    else:
        value = f"sample-{parameter.name.lower()}"
    return [value] if kind.endswith("[]") else value


def parse_engine_argv(argv: list[str]) -> ParsedCommand:
    """The engine's own command-line parser (click), run on ``argv`` without running the command."""
    with cli.make_context("azsbackup", list(argv)) as ctx:
        return _leaf(ctx)


def _engine_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_engine_value(v) for v in value]
    return value


def follow(bound: Bound) -> tuple[dict[str, Any], table.EngineCall, ParsedCommand]:
    """Bound values → the module's request → the table's command line → click; asserts each value arrives."""
    document = request(bound, sample)
    call = table.engine_call(document["cmdlet"], document["parameter_set"], document["parameters"], document["secrets"])
    parsed = parse_engine_argv(call.argv)
    assert parsed.words == call.variant.words
    arguments = list(parsed.arguments)
    for name, value in document["parameters"].items():
        binding = call.variant.binding(name)
        where = f"{bound.function.name} -{name} {value!r} → {' '.join(call.argv)}"
        assert binding is not None, where
        if isinstance(binding, table.Argument):
            assert binding.transform(str(value)) == str(arguments.pop(0)), where
        elif isinstance(binding, table.ByteSize):  # the engine's text, read as its byte size
            assert parse_byte_size(binding.flag, str(parsed.options.get(binding.flag))) == value, where
        elif isinstance(binding, table.Option):
            assert _engine_value(parsed.options.get(binding.flag)) == _engine_value(value), where
        elif isinstance(binding, table.Switch):
            assert bool(parsed.options.get(binding.flag)) is value, where
        elif isinstance(binding, table.Toggle):
            assert parsed.options.get(binding.on if value else binding.off) is True, where
        elif isinstance(binding, table.Choice):
            chosen = next(k for k in binding.words if k.lower() == str(value).lower())
            assert all(parsed.options.get(w) is True for w in binding.words[chosen]), where
            others = {w for k, ws in binding.words.items() if k != chosen for w in ws}
            assert not any(parsed.options.get(w) for w in others), where
        elif isinstance(binding, table.Credential):
            assert parsed.options.get(binding.flag) == value, where
        elif isinstance(binding, table.PassThru):
            assert call.passthru is value, where
    for name, secret in document["secrets"].items():
        binding = call.variant.binding(name)
        assert isinstance(binding, table.Secret | table.Credential), name
        assert call.secrets[binding.key] == secret and secret not in call.argv
    return document, call, parsed


def click_option(words: tuple[str, ...], flag: str) -> click.Option | None:
    command: click.Command = cli
    for word in words:
        assert isinstance(command, click.Group)
        command = command.commands[word]
    return next(
        (p for p in command.params if isinstance(p, click.Option) and flag in (*p.opts, *p.secondary_opts)), None
    )
