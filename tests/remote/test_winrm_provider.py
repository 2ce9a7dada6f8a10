"""The `winrm` provider round-trips a remote tree through the test double, byte for byte, in bounded memory.

The double knows the provider's functions only once the provider defined them in its session: every
test here would fail with CommandNotFound if the provider relied on anything installed on the host.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from azsbackup.errors import RemoteCommandError
from azsbackup.providers.base import Item, ProviderContext
from azsbackup.providers.winrm import CHUNK, WinRMProvider, secret_key
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.winrm import PASSWORD, USER, Endpoint
from tests.winrm_endpoint.files import Faults, register_remote_functions


def digest_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
        for p in sorted(root.rglob("*"))
    }


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns // 100 for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def faults(winrm_https: Endpoint) -> Faults:
    return register_remote_functions(winrm_https.server)


def settings(endpoint: Endpoint, remote: Path) -> dict[str, object]:
    return {
        "host": "127.0.0.1",
        "port": endpoint.port,
        "remote_path": str(remote),
        "username": USER,
        "auth": "ntlm",
        "cert_validation": str(endpoint.ca_path),
    }


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
    (root / "config" / "zürich-日本" / "région 😀.conf").write_text("x = 1\n")
    (root / "config" / "empty.txt").write_bytes(b"")
    (root / ".hidden").write_bytes(b"dot file")
    (root / "state.bin").write_bytes(os.urandom(9 * 1024 * 1024 + 5))
    os.utime(root / "config" / "app.json", ns=(1_500_000_000_123_456_700, 1_500_000_000_123_456_700))


def key_args(cert_pair: CertPair) -> list[str]:
    return ["--key", str(cert_pair.pfx), "--key-password-stdin"]


def test_remote_tree_round_trip(
    configured: Engine, winrm_https: Endpoint, faults: Faults, cert_pair: CertPair, tmp_path: Path
) -> None:
    remote = tmp_path / "remote-disk" / "Infra"
    remote_tree(remote)
    expected, expected_mtimes = digest_tree(remote), mtimes(remote)
    add_remote(configured, winrm_https, remote)
    started = configured.run("backup", "start")
    backup = started.json
    assert backup["status"] == "Succeeded", backup
    progress = [e for e in started.events() if e["type"] == "progress" and e.get("component") == "winhost"]
    files = sum(p.stat().st_size for p in remote.rglob("*") if p.is_file())
    assert progress[-1]["bytes_done"] == progress[-1]["bytes_total"] == files
    assert configured.home.joinpath("secrets.json").read_text().count(PASSWORD) == 1
    assert PASSWORD not in (configured.home / "state.db").read_bytes().decode("latin-1")
    assert max(call[1]["Length"] for call in faults.calls if call[0] == "Read-AzsBackupRemoteFile") == CHUNK

    password = cert_pair.password + "\n"
    configured.run("restore", backup["id"], *key_args(cert_pair), "--to", str(tmp_path / "out"), input=password)
    assert digest_tree(tmp_path / "out" / "winhost") == expected

    shutil.rmtree(remote)
    configured.run("restore", backup["id"], *key_args(cert_pair), "--component", "winhost", input=password)
    assert digest_tree(remote) == expected
    assert mtimes(remote) == expected_mtimes, "last write times come back to the 100 ns tick"
    assert not list(remote.rglob(".azsbackup-partial"))


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


def test_unreadable_entries_are_warnings_and_the_rest_is_backed_up(
    configured: Engine, winrm_https: Endpoint, faults: Faults, cert_pair: CertPair, tmp_path: Path
) -> None:
    remote = tmp_path / "remote-disk"
    remote_tree(remote)
    (remote / "link-out").symlink_to("/etc")
    (remote / "pagefile.sys").write_bytes(b"held open without sharing")
    os.close(os.open(os.fsencode(remote) + b"/bad-\x80-name", os.O_CREAT | os.O_WRONLY, 0o644))
    faults.locked.add("pagefile.sys")
    add_remote(configured, winrm_https, remote)
    backup = configured.run("backup", "start", expect=None).json
    component = {c["name"]: c for c in backup["components"]}["winhost"]
    assert component["status"] == "Succeeded", backup
    warned = {(w["code"], w["subject"]) for w in component["warnings"]}
    assert warned == {("link-skipped", "link-out"), ("unreadable", "pagefile.sys"), ("unreadable", "bad-\ufffd-name")}
    configured.run(
        "restore", backup["id"], *key_args(cert_pair), "--to", str(tmp_path / "out"), input=cert_pair.password + "\n"
    )
    restored = digest_tree(tmp_path / "out" / "winhost")
    skipped = ("link-out", "pagefile.sys", "bad-\udc80-name")
    assert restored == {k: v for k, v in digest_tree(remote).items() if k not in skipped}


def test_restoring_over_a_tree_needs_force_and_a_bad_write_leaves_the_old_file(
    configured: Engine, winrm_https: Endpoint, faults: Faults, cert_pair: CertPair, tmp_path: Path
) -> None:
    remote = tmp_path / "remote-disk"
    remote_tree(remote)
    expected = digest_tree(remote)
    add_remote(configured, winrm_https, remote)
    backup_id = configured.run("backup", "start").json["id"]
    (remote / "config" / "app.json").write_text("changed since")
    (remote / "extra.log").write_text("not in the backup")
    restore = ["restore", backup_id, *key_args(cert_pair), "--component", "winhost"]
    password = cert_pair.password + "\n"

    refused = configured.run(*restore, input=password, expect=None)
    assert "restore-target-exists" in refused.stdout, refused
    assert (remote / "config" / "app.json").read_text() == "changed since"

    faults.corrupt_next_write = "config/app.json"
    failed = configured.run(*restore, "--force", input=password, expect=None)
    assert failed.rc != 0 and "AzsBackupRemote.Mismatch" in failed.stdout, failed
    assert (remote / "config" / "app.json").read_text() == "changed since", "the old file stays whole"
    assert not list(remote.rglob(".azsbackup-partial"))

    configured.run(*restore, "--force", input=password)
    assert {k: v for k, v in digest_tree(remote).items() if k != "extra.log"} == expected
    assert (remote / "extra.log").read_text() == "not in the backup"


class _ListSink:
    def __init__(self) -> None:
        self.items: list[Item] = []

    def add(self, item: Item, content: object = None) -> None:
        self.items.append(item)
        while content is not None and getattr(content, "read")(CHUNK):  # noqa: B009 - a BinaryIO-like stream
            pass


def test_a_provider_that_does_not_send_its_functions_fails_with_command_not_found(
    winrm_https: Endpoint, faults: Faults, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote-disk"
    remote_tree(remote)
    provider = WinRMProvider.from_settings("winhost", settings(winrm_https, remote))
    provider.bind_secrets(lambda key: PASSWORD if key == secret_key("winhost") else None)

    sink = _ListSink()
    provider.backup(sink, ProviderContext("winhost"))
    assert len(sink.items) == 8

    monkeypatch.setattr("azsbackup.remote.client.RemoteClient.define", lambda self, script: None)
    with pytest.raises(RemoteCommandError) as caught:
        provider.backup(_ListSink(), ProviderContext("winhost"))
    assert caught.value.facts["error_id"] == "CommandNotFoundException"
    assert "Get-AzsBackupRemoteTree" in str(caught.value)


@pytest.mark.slow
def test_a_256_mib_remote_file_in_bounded_memory(
    configured: Engine, winrm_https: Endpoint, faults: Faults, cert_pair: CertPair, tmp_path: Path
) -> None:
    from tests.cli.test_memory import peak_rss_mib, write_big_file

    remote = tmp_path / "remote-disk"
    remote.mkdir()
    write_big_file(remote / "big.vhd", 256 << 20)
    add_remote(configured, winrm_https, remote)
    try:
        rss = peak_rss_mib(configured, "--json", "backup", "start")
    finally:
        last = configured.run("backup", "list").json["backups"][-1]
        print(json.dumps(configured.run("backup", "show", last["id"]).json.get("components")))
    backup_id = last["id"]
    configured.run(
        "restore",
        backup_id,
        *key_args(cert_pair),
        "--to",
        str(tmp_path / "out"),
        input=cert_pair.password + "\n",
    )
    assert digest_tree(tmp_path / "out" / "winhost") == digest_tree(remote)
    print(f"winrm 256 MiB backup: peak RSS {rss:.0f} MiB")
    assert rss < 200, f"peak RSS {rss:.0f} MiB"
