"""The internal store follows the configured read-back rule, as the external location does.

A byte of the data archive is flipped in its ``.partial-`` file at the one moment an inline read-back covers:
after the last write, before the commit. With ``config set --read-back`` the backup refuses to publish the
archive; by default nothing is read back, the archive is published with the SHA-256 of the bytes written,
and ``backup verify`` finds the damage.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from azsbackup.events import EventSink
from azsbackup.service.backup import run_backup
from azsbackup.service.components import add_component
from azsbackup.service.controller import Controller
from azsbackup.storage import local
from azsbackup.storage.base import PARTIAL_MARKER
from tests.engine import Engine

DATA_SIZE = 3 << 20


def damage_the_data_archive_before_its_commit(store: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Flip one byte in the middle of ``data.azsb``'s partial file when its writer commits; returns what was hit."""
    commit: Callable[[local.LocalWriter], Any] = local.LocalWriter.commit
    hit: list[Path] = []

    def damage_then_commit(self: local.LocalWriter) -> Any:
        partials = list(store.glob(f"*/data.azsb{PARTIAL_MARKER}*"))
        if partials and not hit:
            self._fh.flush()  # type: ignore[union-attr]  # every byte written is in the file
            (partial,) = partials
            with partial.open("r+b") as fh:
                middle = partial.stat().st_size // 2
                fh.seek(middle)
                byte = fh.read(1)
                fh.seek(middle)
                fh.write(bytes([byte[0] ^ 0xFF]))
            hit.append(partial)
        return commit(self)

    monkeypatch.setattr(local.LocalWriter, "commit", damage_then_commit)
    return hit


@pytest.fixture
def controller(configured: Engine, tmp_path: Path) -> Controller:
    source = tmp_path / "source"
    source.mkdir()
    (source / "random.bin").write_bytes(os.urandom(DATA_SIZE))  # incompressible: the damage lands in content
    controller = Controller(configured.home)
    add_component(controller, "data", "directory", {"path": str(source)})
    return controller


def test_with_read_back_configured_a_damaged_archive_is_not_published(
    configured: Engine, controller: Controller, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured.run("config", "set", "--read-back")
    hit = damage_the_data_archive_before_its_commit(configured.home / "store", monkeypatch)

    record = run_backup(controller, EventSink())

    assert hit, "the damage was not made"
    (data,) = [c for c in record.components if c["name"] == "data"]
    assert data["status"] == "Failed" and data["error"]["code"] == "checksum-mismatch", data
    assert not list((configured.home / "store").glob("*/data.azsb*")), "a damaged archive (or its partial) is left"


def test_by_default_the_archive_is_published_with_the_sha256_written_and_verify_finds_the_damage(
    configured: Engine, controller: Controller, monkeypatch: pytest.MonkeyPatch
) -> None:
    hit = damage_the_data_archive_before_its_commit(configured.home / "store", monkeypatch)

    record = run_backup(controller, EventSink())

    assert hit and record.status == "Succeeded", record.components
    verified = configured.run("backup", "verify", record.id, expect=None)
    assert (verified.rc, verified.json["code"]) == (15, "checksum-mismatch"), verified
    assert "data.azsb" in verified.json["message"], verified
