from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine import Engine

PFX_PASSWORD = "pfx-Passw0rd-for-tests"


@dataclass(frozen=True)
class CertPair:
    cer: Path
    pfx: Path
    password: str


def make_cert_pair(directory: Path, name: str) -> CertPair:
    engine = Engine(directory / "unused-home")
    engine.run(
        "cert",
        "new",
        "--name",
        name,
        "--out-dir",
        str(directory),
        "--password-stdin",
        input=PFX_PASSWORD + "\n",
    )
    return CertPair(directory / f"{name}.cer", directory / f"{name}.pfx", PFX_PASSWORD)


@pytest.fixture(scope="session")
def cert_pair(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_cert_pair(tmp_path_factory.mktemp("certs"), "primary")


@pytest.fixture(scope="session")
def other_cert_pair(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_cert_pair(tmp_path_factory.mktemp("certs2"), "other")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(tmp_path / "controller")


@pytest.fixture
def configured(engine: Engine, cert_pair: CertPair) -> Engine:
    engine.run("config", "set", "--encryption-cert", str(cert_pair.cer))
    return engine
