"""The independent reader (``reader.py``, written from docs/format.md alone) against the engine's backups.

A new backup holding every kind of member (non-ASCII and non-UTF-8 names, a negative mtime with a fraction,
links, empty files and directories, a command with no output, a setuid file) and the committed version 1
backup are verified and extracted by it, and must give exactly what the engine restores. Damaged and
swapped files must be refused by it as by the engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.format_reader.reader import Member, Refused, check_backup, name_of, read_backup

KNOWN_ANSWER = Path(__file__).parents[1] / "known_answer" / "v1"


def private_key(pfx: Path, password: str) -> rsa.RSAPrivateKey:
    key, _cert, _more = pkcs12.load_key_and_certificates(pfx.read_bytes(), password.encode())
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def tree_on_disk(root: Path) -> dict[bytes, tuple[str, int, int, bytes]]:
    """Every entry below ``root`` as (kind, mode bits, mtime_ns, content or link target)."""
    found = {}
    base = os.fsencode(root)
    for directory, dirs, files in os.walk(base):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            relative = os.path.relpath(path, base)
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("symlink", 0, 0, os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("directory", stat.S_IMODE(info.st_mode), info.st_mtime_ns, b"")
            else:
                with open(path, "rb") as handle:
                    found[relative] = ("file", stat.S_IMODE(info.st_mode), info.st_mtime_ns, handle.read())
    return found


def as_read(members: list[Member]) -> dict[bytes, tuple[str, int, int, bytes]]:
    return {
        m.name: (m.kind, 0, 0, m.target) if m.kind == "symlink" else (m.kind, m.mode, m.mtime_ns, m.data)
        for m in members
    }


def rich_tree(root: Path) -> Path:
    data = root / "data"
    (data / "etc" / "conf.d").mkdir(parents=True)
    (data / "etc" / "app.json").write_text('{"a": 1}\n')
    (data / "etc" / "zürich-日本.conf").write_text("x = 1\n")
    (data / "etc" / "empty").write_bytes(b"")
    (data / "empty-dir").mkdir()
    (data / "big.bin").write_bytes(os.urandom(300_000) + bytes(3_000_000))
    (data / "current").symlink_to("etc/app.json")
    (data / "self").symlink_to(".")
    (data / "via-self").symlink_to("self/etc")
    odd = os.path.join(os.fsencode(data), b"raw-\xfe-name")
    with open(odd, "wb") as handle:
        handle.write(b"bytes\n")
    (data / "tool").write_bytes(b"#!/bin/sh\n")
    os.chmod(data / "tool", 0o4755)  # noqa: S103 - a setuid file to back up, in the test's own directory
    old = data / "before-1970.txt"
    old.write_text("old\n")
    os.utime(old, ns=(-750_000_000, -750_000_000))
    for path in (data / "etc" / "conf.d", data / "etc", data / "empty-dir"):
        os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    return data


def test_a_new_backup_reads_the_same_with_the_document_alone(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    data = rich_tree(tmp_path)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(data))
    configured.run("component", "add", "silent", "--type", "command", "--dump-command", "true")
    backup = configured.run("backup", "start").json
    signer = configured.run("trust", "list").json["keys"][0]["fingerprint"]
    directory = configured.home / "store" / backup["id"]
    read = read_backup(directory, {signer}, private_key(cert_pair.pfx, cert_pair.password))

    expected = tree_on_disk(data)
    expected[b"tool"] = ("file", 0o4755, expected[b"tool"][2], expected[b"tool"][3])  # recorded as it was
    assert as_read(read["tree"]) == expected
    assert [(m.name, m.data) for m in read["silent"]] == [(b"stdout.000000", b"")]
    assert {m.name for m in read["controller"]} == {b"state.db", b"configuration.json"}

    target = tmp_path / "restored"
    configured.run(
        "restore", backup["id"], "--key", str(cert_pair.pfx), "--to", str(target),
        env={"AZSBACKUP_PFX_PASSWORD": cert_pair.password},
    )  # fmt: skip
    restored = tree_on_disk(target / "tree")
    restored_tool = restored.pop(b"tool")
    assert restored_tool[1] == 0o755  # the engine drops setuid on restore, as the document says
    assert restored == {k: v for k, v in as_read(read["tree"]).items() if k != b"tool"}


def test_the_version_1_backup_reads_the_same_with_the_document_alone() -> None:
    expected = json.loads((KNOWN_ANSWER / "expected.json").read_text("utf-8"))
    directory = KNOWN_ANSWER / "MASBackup" / expected["backup_id"]
    read = read_backup(
        directory, {expected["signer"]}, private_key(KNOWN_ANSWER / "known-answer.pfx", expected["pfx_password"])
    )
    entries = {}
    for component, members in read.items():
        for m in members:
            entries[f"{component}/{m.name.decode()}"] = m
    for entry in expected["restored"]:
        if "/" not in entry["path"]:
            continue
        if entry["path"].endswith("/stdout.dump"):  # restore --to joins a command's members (format.md 3.3)
            component = entry["path"].split("/")[0]
            parts = sorted(k for k in entries if k.startswith(f"{component}/stdout."))
            dump = b"".join(entries.pop(k).data for k in parts)
            assert parts and hashlib.sha256(dump).hexdigest() == entry["sha256"], entry
            continue
        member = entries.pop(entry["path"])
        assert member.kind == entry["kind"], entry
        if entry["kind"] == "file":
            assert hashlib.sha256(member.data).hexdigest() == entry["sha256"]
            assert oct(member.mode) == entry["mode"]
        if entry["kind"] == "symlink":
            assert member.target.decode() == entry["target"]
        if "mtime_ns" in entry and entry["kind"] != "symlink":
            assert member.mtime_ns == entry["mtime_ns"], entry
    assert entries == {}


def test_the_warnings_of_a_non_utf8_name_give_its_exact_bytes(configured: Engine, tmp_path: Path) -> None:
    data = tmp_path / "data"
    odd = os.path.join(os.fsencode(data), b"fi\xfefo")
    os.makedirs(odd)
    os.mkfifo(os.path.join(odd, b"fifo"))
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(data))
    backup_id = configured.run("backup", "start", expect=1).json["id"]
    signer = configured.run("trust", "list").json["keys"][0]["fingerprint"]
    manifest = check_backup(configured.home / "store" / backup_id, {signer})
    (warning,) = next(c for c in manifest.body["components"] if c["name"] == "tree")["warnings"]
    assert name_of(warning, "subject") == b"fi\xfefo/fifo"


@pytest.mark.parametrize("damage", ["flip archive", "flip manifest", "swap archives", "truncate"])
def test_damage_is_refused_by_the_independent_reader(
    configured: Engine, cert_pair: CertPair, tmp_path: Path, damage: str
) -> None:
    rich_tree(tmp_path)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(tmp_path / "data"))
    configured.run("component", "add", "silent", "--type", "command", "--dump-command", "true")
    backup_id = configured.run("backup", "start").json["id"]
    signer = configured.run("trust", "list").json["keys"][0]["fingerprint"]
    directory = tmp_path / backup_id
    shutil.copytree(configured.home / "store" / backup_id, directory)
    tree, silent, manifest = directory / "tree.azsb", directory / "silent.azsb", directory / "manifest.json"
    if damage == "flip archive":
        raw = bytearray(tree.read_bytes())
        raw[len(raw) // 2] ^= 1
        tree.write_bytes(bytes(raw))
    elif damage == "flip manifest":
        manifest.write_bytes(manifest.read_bytes().replace(b'"status": "Succeeded"', b'"status": "Succeedes"', 1))
    elif damage == "swap archives":
        tree_bytes = tree.read_bytes()
        tree.write_bytes(silent.read_bytes())
        silent.write_bytes(tree_bytes)
    else:
        tree.write_bytes(tree.read_bytes()[:-100])
    with pytest.raises(Refused):
        read_backup(directory, {signer}, private_key(cert_pair.pfx, cert_pair.password))


def test_the_signed_body_holds_no_floating_point(configured: Engine, tmp_path: Path) -> None:
    """Numbers in the signed body are integers (durations in ms), so RFC 8785 and the engine sign the same bytes."""
    configured.run("component", "add", "silent", "--type", "command", "--dump-command", "true")
    backup_id = configured.run("backup", "start").json["id"]
    raw = json.loads((configured.home / "store" / backup_id / "manifest.json").read_text("utf-8"))
    numbers: list[object] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif not isinstance(value, str) and value is not None:
            numbers.append(value)

    walk(raw["body"])
    assert numbers and all(type(n) is int for n in numbers), numbers
    assert raw["schema"] == "azsbackup-manifest/2" and isinstance(raw["body"]["duration_ms"], int)
    signer = configured.run("trust", "list").json["keys"][0]["fingerprint"]
    assert check_backup(configured.home / "store" / backup_id, {signer}).version == 2
