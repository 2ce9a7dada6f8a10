"""Tampering, wrong keys, trust and rekey, through the real CLI."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.cli.test_roundtrip import key_args
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.trees import build_sample_tree


@pytest.fixture
def backed_up(configured: Engine, tmp_path: Path) -> tuple[Engine, str, Path]:
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configured.run("component", "add", "notes", "--type", "directory", "--path", str(source / "etc"))
    backup_id = configured.run("backup", "start").json["id"]
    return configured, backup_id, configured.home / "store" / backup_id


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", [0, 9, 20, 400, -20, -1])
def test_flipped_archive_byte_is_detected(backed_up: tuple[Engine, str, Path], where: int) -> None:
    engine, backup_id, directory = backed_up
    flip(directory / "tree.azsb", where)
    doc = engine.error("backup", "verify", backup_id, code="checksum-mismatch", exit_code=15)
    assert "tree.azsb" in doc["message"]


@pytest.mark.parametrize("where", [5, 200, -30])
def test_flipped_manifest_byte_is_detected(backed_up: tuple[Engine, str, Path], where: int) -> None:
    engine, backup_id, directory = backed_up
    flip(directory / "manifest.json", where)
    result = engine.run("backup", "verify", backup_id, expect=15)
    assert result.json["code"] in {"signature-invalid", "format-error"}


def test_truncated_archive_is_detected(backed_up: tuple[Engine, str, Path], cert_pair: CertPair) -> None:
    engine, backup_id, directory = backed_up
    archive = directory / "tree.azsb"
    archive.write_bytes(archive.read_bytes()[:-100])
    engine.error("backup", "verify", backup_id, code="checksum-mismatch", exit_code=15)
    engine.error(
        "restore",
        backup_id,
        *key_args(cert_pair),
        "--to",
        str(directory.parent / "out"),
        code="checksum-mismatch",
        exit_code=15,
        input=cert_pair.password + "\n",
    )
    assert not (directory.parent / "out" / "tree").exists()


def test_archive_swapped_between_components_is_detected(backed_up: tuple[Engine, str, Path]) -> None:
    engine, backup_id, directory = backed_up
    shutil.copyfile(directory / "notes.azsb", directory / "tree.azsb")
    engine.error("backup", "verify", backup_id, code="checksum-mismatch", exit_code=15)


def test_archive_swapped_between_backups_is_detected(backed_up: tuple[Engine, str, Path]) -> None:
    engine, first, directory = backed_up
    second = engine.run("backup", "start").json["id"]
    shutil.copyfile(directory / "tree.azsb", directory.parent / second / "tree.azsb")
    engine.error("backup", "verify", second, code="checksum-mismatch", exit_code=15)
    engine.run("backup", "verify", first)


def test_restore_with_wrong_key_writes_nothing(
    backed_up: tuple[Engine, str, Path], other_cert_pair: CertPair, tmp_path: Path
) -> None:
    engine, backup_id, _ = backed_up
    out = tmp_path / "out"
    engine.error(
        "restore",
        backup_id,
        *key_args(other_cert_pair),
        "--to",
        str(out),
        code="wrong-key",
        exit_code=17,
        input=other_cert_pair.password + "\n",
    )
    assert not out.exists()


def test_bad_pfx_password(backed_up: tuple[Engine, str, Path], cert_pair: CertPair, tmp_path: Path) -> None:
    engine, backup_id, _ = backed_up
    engine.error(
        "restore",
        backup_id,
        *key_args(cert_pair),
        "--to",
        str(tmp_path / "out"),
        code="bad-key-password",
        exit_code=17,
        input="not-the-password\n",
    )


def test_backup_of_another_controller_is_untrusted_until_pinned(
    backed_up: tuple[Engine, str, Path], cert_pair: CertPair, tmp_path: Path
) -> None:
    origin, backup_id, directory = backed_up
    fingerprint = origin.run("config", "get").json["signing_key_fingerprint"]
    fresh = Engine(tmp_path / "fresh-controller")
    fresh.run("config", "set", "--encryption-cert", str(cert_pair.cer))
    shutil.copytree(directory, fresh.home / "store" / backup_id)

    listed = fresh.run("backup", "list").json["backups"]
    assert [(b["id"], b["signer"], b["trusted"]) for b in listed] == [(backup_id, fingerprint, False)]
    fresh.error("backup", "verify", backup_id, code="untrusted-signer", exit_code=16)
    fresh.error(
        "restore",
        backup_id,
        *key_args(cert_pair),
        "--to",
        str(tmp_path / "out"),
        code="untrusted-signer",
        exit_code=16,
        input=cert_pair.password + "\n",
    )
    assert not (tmp_path / "out").exists()

    fresh.run("trust", "add", fingerprint)
    assert fresh.run("backup", "show", backup_id).json["trusted"] is True
    fresh.run("backup", "verify", backup_id)
    fresh.run(
        "restore",
        backup_id,
        *key_args(cert_pair),
        "--to",
        str(tmp_path / "out"),
        input=cert_pair.password + "\n",
    )
    assert (tmp_path / "out" / "tree" / "etc" / "app.json").exists()


def segments_digest(archive: Path) -> str:
    """SHA-256 of everything after the recipient block: the encrypted data segments."""
    from azsbackup.archive.reader import read_header

    with archive.open("rb") as fh:
        header = read_header(fh)
        fh.seek(header.data_offset)
        return hashlib.sha256(fh.read()).hexdigest()


def test_rekey_rewraps_without_touching_segments(
    backed_up: tuple[Engine, str, Path], cert_pair: CertPair, other_cert_pair: CertPair, tmp_path: Path
) -> None:
    engine, backup_id, directory = backed_up
    before = {p.name.split(".")[0]: segments_digest(p) for p in directory.glob("*.azsb")}

    engine.run(
        "rekey",
        backup_id,
        *key_args(cert_pair),
        "--new-cert",
        str(other_cert_pair.cer),
        input=cert_pair.password + "\n",
    )

    after = {p.name.split(".")[0]: segments_digest(p) for p in directory.glob("*.azsb")}
    assert after == before
    engine.run("backup", "verify", backup_id)
    engine.error(
        "restore",
        backup_id,
        *key_args(cert_pair),
        "--to",
        str(tmp_path / "old"),
        code="wrong-key",
        exit_code=17,
        input=cert_pair.password + "\n",
    )
    engine.run(
        "restore",
        backup_id,
        *key_args(other_cert_pair),
        "--to",
        str(tmp_path / "new"),
        input=other_cert_pair.password + "\n",
    )
    assert (tmp_path / "new" / "tree" / "etc" / "app.json").read_text() == '{"a": 1}\n'
