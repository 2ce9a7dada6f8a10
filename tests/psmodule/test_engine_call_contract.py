"""The engine-call contract: for every public cmdlet and every parameter it sends to the engine, the command line
the table builds is one the engine's click tree accepts, and it runs on the real engine.

Each call is bound from the cmdlet's parsed parameter block (so only calls PowerShell accepts are made),
written as the module's request, and answered by the bridge in this process, which runs the engine: the
answer must be a result, and no error may say that the command line or the request was wrong.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from azsbackup.pwsh import bridge, table
from tests.fixtures.controllers import CertPair
from tests.psmodule.binder import SecureValue, Value, bind
from tests.psmodule.engine_args import follow, sample
from tests.psmodule.psparse import Function, Parameter, functions
from tests.psmodule.wire import MODULE, request

FUNCTIONS = {f.name: f for path in sorted((MODULE / "Public").glob("*.ps1")) for f in functions(path)}
NOT_ACCEPTED = {"usage-error", "invalid-request", "unknown-error", "engine-failed"}


def cases() -> list[tuple[str, str | None, str]]:
    found = []
    for name, cmdlet in sorted(table.CMDLETS.items()):
        for variant in cmdlet.variants:
            for binding in variant.bindings:
                found.append((name, variant.parameter_set, binding.parameter))
            if not variant.bindings:
                found.append((name, variant.parameter_set, ""))
    return found


CASES = cases()


def test_every_cmdlet_and_every_engine_parameter_is_a_case() -> None:
    assert {c[0] for c in CASES} == set(FUNCTIONS)
    declared = {(f.name, p.name) for f in FUNCTIONS.values() for p in f.parameters}
    assert {(c, p) for c, _, p in CASES if p} <= declared


def _value(parameter: Parameter, files: dict[str, Path]) -> Any:
    """A value the engine can run with: real files where the parameter is a path."""
    if parameter.name in files:
        return str(files[parameter.name])
    value = sample(parameter)
    if parameter.type == "securestring":
        return SecureValue(value)
    return value


def _named(
    function: Function, set_name: str | None, chosen: str, files: dict[str, Path]
) -> list[tuple[str, Value | None]]:
    named: list[tuple[str, Value | None]] = []
    for parameter in function.parameters:
        info = next((s for s in parameter.sets if s.name in (set_name, "__AllParameterSets")), None)
        if info is None or not (info.mandatory or parameter.name == chosen):
            continue
        value = _value(parameter, files)
        named.append((parameter.name, None if parameter.is_switch else Value.of(value)))
    return named


@pytest.mark.parametrize(("cmdlet", "parameter_set", "parameter"), CASES, ids=[f"{c}-{s}-{p}" for c, s, p in CASES])
def test_the_command_line_of_every_parameter_is_accepted_and_runs(
    cmdlet: str,
    parameter_set: str | None,
    parameter: str,
    home: Path,
    cert_pair: CertPair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "dir").mkdir()
    files = {
        "EncryptionCertPath": cert_pair.cer,
        "RemoteCaCertPath": cert_pair.cer,
        "DecryptionCertPath": cert_pair.pfx,
        "OutputDirectory": tmp_path / "out",
        "Destination": tmp_path / "restored",
        "Path": tmp_path / "dir",
    }
    function = FUNCTIONS[cmdlet]
    bound = bind(function, _named(function, parameter_set, parameter, files))
    assert bound.parameter_set == (parameter_set or "__AllParameterSets")
    follow(bound)  # click accepts the command line, and every value reaches its option

    document = request(bound, sample)
    out = io.BytesIO()
    monkeypatch.chdir(tmp_path)
    bridge.serve(json.dumps(document).encode("utf-8"), out)
    messages = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    result = messages[-1]
    assert result["kind"] == "result"
    error = result["error"]
    assert error is None or error["code"] not in NOT_ACCEPTED, error
