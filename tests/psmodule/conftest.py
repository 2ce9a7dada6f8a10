"""Engine output for the module's contracts, generated from the real engine through the real bridge."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.psmodule import wire


def call(cmdlet: str, parameters: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """A request as the module writes it (parameter set and secrets optional)."""
    return {
        "protocol": 1,
        "cmdlet": cmdlet,
        "parameter_set": options.get("parameter_set", "__AllParameterSets"),
        "parameters": parameters or {},
        "secrets": options.get("secrets", {}),
    }


@dataclass
class EngineOutput:
    """What the engine gave for a set of calls that, together, produce every kind of message."""

    answers: dict[str, wire.Answer] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [m for a in self.answers.values() for m in a.messages]


@pytest.fixture(scope="session")
def engine_output(tmp_path_factory: pytest.TempPathFactory, cert_pair: CertPair) -> EngineOutput:
    root = tmp_path_factory.mktemp("engine-output")
    home = root / "controller"
    engine = Engine(home)
    engine.run("config", "set", "--encryption-cert", str(cert_pair.cer), "--path", str(root / "share"))
    (root / "share").mkdir()
    tree = root / "tree"
    tree.mkdir()
    (tree / "a.conf").write_text("x" * 4096)
    engine.run("component", "add", "tree", "--type", "directory", "--path", str(tree))
    engine.run("component", "add", "gone", "--type", "directory", "--path", str(root / "missing"))
    output = EngineOutput()
    output.answers["configuration"] = wire.run(call("Get-AzsBackupConfiguration"), home)
    output.answers["partial backup"] = wire.run(call("Start-AzsBackup"), home)
    engine.run("component", "remove", "gone")
    output.answers["backup"] = wire.run(call("Start-AzsBackup"), home)
    output.answers["list"] = wire.run(call("Get-AzsBackup", parameter_set="List"), home)
    output.answers["not found"] = wire.run(
        call("Get-AzsBackup", {"BackupId": "20260101T000000.000Z-00000000"}, parameter_set="Get"), home
    )
    output.answers["usage"] = wire.run(call("Set-AzsBackupConfiguration", {"BackupFrequencyInHours": 13}), home)
    output.answers["invalid request"] = wire.run(call("Get-AzsBackupConfiguration", {"Nope": 1}), home)
    output.answers["alerts"] = wire.run(call("Get-AzsBackupAlert", {"All": True}), home)
    return output


@pytest.fixture
def module_home(tmp_path: Path, cert_pair: CertPair) -> Path:
    """A controller with a certificate and one directory component, for calls through the bridge."""
    home = tmp_path / "controller"
    engine = Engine(home)
    engine.run("config", "set", "--encryption-cert", str(cert_pair.cer))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.conf").write_text("module")
    engine.run("component", "add", "tree", "--type", "directory", "--path", str(tree))
    return home
