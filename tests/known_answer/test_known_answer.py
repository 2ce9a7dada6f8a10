"""Backups made by earlier releases stay readable: the committed v1 backup verifies and restores byte for byte.

The fixture was written once by the v1 writer (see ``v1/README.md``). A fresh controller recovers it the way an
operator would after losing the original: list the external location, pin the signer, verify without the key,
then restore with the ``.pfx``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.engine import Engine

FIXTURE = Path(__file__).parent / "v1"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def recovered(tmp_path: Path) -> Engine:
    """A fresh controller whose external location is a copy of the fixture, with the fixture's signer pinned."""
    location = tmp_path / "share"
    shutil.copytree(FIXTURE / "MASBackup", location / "MASBackup")
    engine = Engine(tmp_path / "controller")
    engine.run("config", "set", "--path", str(location))
    engine.run("trust", "add", EXPECTED["signer"])
    return engine


def test_the_v1_backup_is_listed_from_the_external_location(recovered: Engine) -> None:
    backups = recovered.run("backup", "list", "--external").json["backups"]
    assert [(b["id"], b["signer"], b["trusted"]) for b in backups] == [
        (EXPECTED["backup_id"], EXPECTED["signer"], True)
    ]


def test_the_v1_backup_verifies_without_the_key(recovered: Engine) -> None:
    recovered.run("backup", "verify", EXPECTED["backup_id"])


def test_the_v1_backup_deep_verifies_with_the_key(recovered: Engine) -> None:
    recovered.run(
        "backup",
        "verify",
        EXPECTED["backup_id"],
        "--deep",
        "--key",
        str(FIXTURE / "known-answer.pfx"),
        env={"AZSBACKUP_PFX_PASSWORD": EXPECTED["pfx_password"]},
    )


def test_the_v1_backup_restores_byte_for_byte(recovered: Engine, tmp_path: Path) -> None:
    target = tmp_path / "restored"
    recovered.run(
        "restore",
        EXPECTED["backup_id"],
        "--key",
        str(FIXTURE / "known-answer.pfx"),
        "--to",
        str(target),
        env={"AZSBACKUP_PFX_PASSWORD": EXPECTED["pfx_password"]},
    )
    assert _entries(target) == _comparable(EXPECTED["restored"])


def test_a_flipped_byte_in_the_committed_archive_is_refused(recovered: Engine, tmp_path: Path) -> None:
    """The fixture is checked, not merely read: one changed byte fails verification."""
    archive = tmp_path / "share" / "MASBackup" / EXPECTED["backup_id"] / "tree.azsb"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    recovered.error("backup", "verify", EXPECTED["backup_id"], code="checksum-mismatch", exit_code=15)


def _comparable(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A component's own directory is created by restore with the process umask; everything below it comes from the
    # archive, mode included.
    return [{k: v for k, v in e.items() if k != "mode" or "/" in e["path"]} for e in entries]


def _entries(root: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            entry: dict[str, Any] = {"path": relative, "mode": oct(stat.S_IMODE(info.st_mode))}
            if stat.S_ISLNK(info.st_mode):
                entry |= {"kind": "symlink", "target": os.readlink(path)}
            elif stat.S_ISDIR(info.st_mode):
                entry |= {"kind": "directory"}
            else:
                entry |= {"kind": "file", "size": info.st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            if relative.startswith("tree/"):
                entry["mtime_ns"] = info.st_mtime_ns
            entries.append(entry)
    return _comparable(entries)
