"""The `winrm` provider round-trips a remote tree through the test double, byte for byte, in bounded memory."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.winrm import PASSWORD, USER, Endpoint
from tests.winrm_endpoint.files import Faults, register_file_commands


def digest_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def faults(winrm_https: Endpoint) -> Faults:
    return register_file_commands(winrm_https.server)


def add_remote(engine: Engine, endpoint: Endpoint, remote: Path) -> None:
    engine.run(
        "--secrets-stdin",
        "component",
        "add",
        "winhost",
        "--type",
        "winrm",
        "--host",
        "127.0.0.1",
        "--remote-path",
        str(remote),
        "--remote-username",
        USER,
        "--remote-port",
        str(endpoint.port),
        "--remote-ca-cert",
        str(endpoint.ca_path),
        "--remote-auth",
        "ntlm",
        input=json.dumps({"remote_password": PASSWORD}),
    )


def remote_tree(root: Path) -> None:
    (root / "config" / "zürich-日本").mkdir(parents=True)
    (root / "empty-dir").mkdir()
    (root / "config" / "app.json").write_text('{"nodes": 4}')
    (root / "config" / "zürich-日本" / "région.conf").write_text("x = 1\n")
    (root / "config" / "empty.txt").write_bytes(b"")
    (root / "state.bin").write_bytes(os.urandom(9 * 1024 * 1024 + 5))


def test_remote_tree_round_trip(
    configured: Engine, winrm_https: Endpoint, faults: Faults, cert_pair: CertPair, tmp_path: Path
) -> None:
    remote = tmp_path / "remote-disk" / "Infra"
    remote_tree(remote)
    expected = digest_tree(remote)
    add_remote(configured, winrm_https, remote)
    backup = configured.run("backup", "start").json
    assert backup["status"] == "Succeeded", backup
    assert configured.home.joinpath("secrets.json").read_text().count(PASSWORD) == 1
    assert PASSWORD not in (configured.home / "state.db").read_bytes().decode("latin-1")

    key = ["--key", str(cert_pair.pfx), "--key-password-stdin"]
    configured.run("restore", backup["id"], *key, "--to", str(tmp_path / "out"), input=cert_pair.password + "\n")
    assert digest_tree(tmp_path / "out" / "winhost") == expected

    shutil.rmtree(remote)
    remote.mkdir()
    configured.run("restore", backup["id"], *key, "--component", "winhost", input=cert_pair.password + "\n")
    assert digest_tree(remote) == expected


def test_corrupted_chunk_in_transit_is_detected(
    configured: Engine, winrm_https: Endpoint, faults: Faults, tmp_path: Path
) -> None:
    remote = tmp_path / "remote-disk"
    remote_tree(remote)
    add_remote(configured, winrm_https, remote)
    faults.corrupt_next_read = True
    backup = configured.run("backup", "start", expect=2).json  # its only component failed
    failed = {c["name"]: c for c in backup["components"]}["winhost"]
    assert failed["status"] == "Failed" and failed["error"]["code"] == "integrity-error"
    assert "SHA-256" in failed["error"]["message"]


@pytest.mark.slow
def test_a_256_mib_remote_file_in_bounded_memory(
    configured: Engine, winrm_https: Endpoint, faults: Faults, cert_pair: CertPair, tmp_path: Path
) -> None:
    from tests.cli.test_memory import peak_rss_mib, write_big_file

    remote = tmp_path / "remote-disk"
    remote.mkdir()
    write_big_file(remote / "big.vhd", 256 << 20)
    add_remote(configured, winrm_https, remote)
    rss = peak_rss_mib(configured, "--json", "backup", "start")
    backup_id = configured.run("backup", "list").json["backups"][-1]["id"]
    configured.run(
        "restore",
        backup_id,
        "--key",
        str(cert_pair.pfx),
        "--key-password-stdin",
        "--to",
        str(tmp_path / "out"),
        input=cert_pair.password + "\n",
    )
    assert digest_tree(tmp_path / "out" / "winhost") == digest_tree(remote)
    print(f"winrm 256 MiB backup: peak RSS {rss:.0f} MiB")
    assert rss < 200, f"peak RSS {rss:.0f} MiB"
