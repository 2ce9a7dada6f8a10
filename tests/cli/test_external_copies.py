"""Export without an inline read-back, the read-back as an option, and the scheduled re-verification of the
copies on a real Samba share: damage at rest found, alerted, re-exported and closed; the byte budget."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from azsbackup.events import EventSink
from azsbackup.service.backup import export_and_retain
from azsbackup.service.catalog import get_backup
from azsbackup.service.controller import Controller
from azsbackup.storage.base import PARTIAL_MARKER
from azsbackup.storage.smb import pipeline
from tests.cli.test_export import configure_share
from tests.engine import Engine
from tests.fixtures.samba import SambaServer


@pytest.fixture
def source(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.conf").write_text("x = 1\n" * 1000)
    (tree / "data.bin").write_bytes(hashlib.sha256(b"seed").digest() * 4096)
    return tree


@pytest.fixture
def on_share(configured: Engine, smb_server: SambaServer, source: Path, request: pytest.FixtureRequest) -> Path:
    """A controller exporting to its own folder on the share; the folder's ``MASBackup`` on this machine."""
    folder = f"copies-{request.node.name[:40].replace('[', '-').replace(']', '')}"
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configure_share(configured, smb_server, "share", folder)
    return smb_server.share_dir("share") / folder / "MASBackup"


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def active_alerts(engine: Engine) -> dict[str, dict[str, Any]]:
    return {a["code"]: a for a in engine.run("alert", "list").json["alerts"] if a["state"] == "Active"}


def copies(engine: Engine) -> dict[str, dict[str, Any]]:
    return {c["backup_id"]: c for c in engine.run("location", "copies").json["copies"]}


def test_export_without_read_back_leaves_a_byte_identical_copy(configured: Engine, on_share: Path) -> None:
    assert configured.run("config", "get").json["read_back"] is False, "no inline read-back by default"
    backup = configured.run("backup", "start").json
    assert backup["export"]["status"] == "Succeeded"
    internal = configured.home / "store" / backup["id"]
    names = sorted(p.name for p in internal.iterdir())
    assert names == sorted(p.name for p in (on_share / backup["id"]).iterdir())
    for name in names:
        assert (on_share / backup["id"] / name).read_bytes() == (internal / name).read_bytes(), name
    (copy,) = copies(configured).values()
    assert (copy["backup_id"], copy["result"], copy["verified_at"]) == (backup["id"], None, None)
    assert copy["exported_at"] and copy["size"] == sum((internal / n).stat().st_size for n in names)


def damage_the_next_archive_between_write_and_rename(monkeypatch: pytest.MonkeyPatch, share_root: Path) -> None:
    """Flip a byte of the first archive's ``.partial-`` file once the server has flushed it, before the rename."""
    finish = pipeline._WritePipe.finish

    def finish_then_damage(self: Any) -> None:
        finish(self)
        partials = [p for p in share_root.rglob(f"*.azsb{PARTIAL_MARKER}*") if p.is_file()]
        if partials:
            flip_byte(partials[0])
            monkeypatch.setattr(pipeline._WritePipe, "finish", finish)

    monkeypatch.setattr(pipeline._WritePipe, "finish", finish_then_damage)


def test_damage_in_the_write_window_is_caught_by_the_read_back_when_configured_else_by_verification(
    configured: Engine, on_share: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert configured.run("config", "set", "--no-scheduler", "--read-back").json["read_back"] is True
    backup_id = configured.run("backup", "start").json["id"]
    controller = Controller(configured.home)
    try:
        for _ in range(2):  # with the read-back, then without it
            for path in sorted((on_share / backup_id).iterdir()):  # the share loses the copy: export copies it again
                path.unlink()
            damage_the_next_archive_between_write_and_rename(monkeypatch, on_share)
            result = export_and_retain(controller, get_backup(controller, backup_id), "job", EventSink(), [])
            if controller.config().read_back:
                assert result["status"] == "Failed" and result["error"]["code"] == "checksum-mismatch", result
                assert "read back" in result["error"]["message"]
                assert not (on_share / backup_id / "manifest.json").exists(), "a bad copy is never published"
                configured.run("config", "set", "--no-read-back")
            else:
                assert result["status"] == "Succeeded", result  # nothing read back: the damage is published
    finally:
        controller.close()
    verified = configured.run("location", "verify", "--backup", backup_id, expect=15).json
    assert [c["result"] for c in verified["verified"]] == ["Damaged"]
    assert verified["error"]["code"] == "checksum-mismatch"


def test_damage_at_rest_is_found_alerted_reexported_and_closed(configured: Engine, on_share: Path) -> None:
    configured.run("config", "set", "--no-scheduler")
    backup_id = configured.run("backup", "start").json["id"]
    clean = configured.run("location", "verify").json
    assert [(c["backup_id"], c["result"]) for c in clean["verified"]] == [(backup_id, "Verified")]
    assert clean["status"] == "Succeeded" and clean["error"] is None

    flip_byte(on_share / backup_id / "tree.azsb")  # silent corruption on the server, after the export
    result = configured.run("location", "verify", expect=15)
    doc = result.json
    assert [(c["backup_id"], c["result"]) for c in doc["verified"]] == [(backup_id, "Damaged")]
    assert doc["status"] == "Failed" and doc["error"]["code"] == "checksum-mismatch" and doc["error"]["exit_code"] == 15
    alert = active_alerts(configured)["external-copy-damaged"]
    assert backup_id in alert["description"] and "tree.azsb" in alert["description"]
    assert "azsbackup backup start" in alert["remediation"] and "Start-AzsBackup" in alert["remediation"]
    assert copies(configured)[backup_id]["result"] == "Damaged"

    backup = configured.run("backup", "start").json  # its export copies the damaged backup again
    assert backup["export"]["status"] == "Succeeded"
    internal = configured.home / "store" / backup_id / "tree.azsb"
    assert (on_share / backup_id / "tree.azsb").read_bytes() == internal.read_bytes()
    assert "external-copy-damaged" in active_alerts(configured), "open until the new copy is verified"
    assert copies(configured)[backup_id]["verified_at"] is None

    again = configured.run("location", "verify").json
    assert {c["backup_id"]: c["result"] for c in again["verified"]}[backup_id] == "Verified"
    assert "external-copy-damaged" not in active_alerts(configured)
    closed = [
        a for a in configured.run("alert", "list", "--all").json["alerts"] if a["code"] == "external-copy-damaged"
    ]
    assert [a["state"] for a in closed] == ["Closed"]


def test_a_missing_archive_is_a_damaged_copy(configured: Engine, on_share: Path) -> None:
    backup_id = configured.run("backup", "start").json["id"]
    (on_share / backup_id / "controller.azsb").unlink()
    doc = configured.run("location", "verify", "--backup", backup_id, expect=15).json
    (copy,) = doc["verified"]
    assert copy["result"] == "Missing" and "controller.azsb" in copy["detail"]
    assert doc["error"]["code"] == "integrity-error"
    assert backup_id in active_alerts(configured)["external-copy-damaged"]["description"]


def test_the_byte_budget_takes_unverified_copies_first_then_the_least_recently_verified(
    configured: Engine, on_share: Path
) -> None:
    configured.run("config", "set", "--no-scheduler", "--retention-days", "14")
    ids = [configured.run("backup", "start").json["id"] for _ in range(3)]
    sizes = {b: c["size"] for b, c in copies(configured).items()}
    assert set(sizes) == set(ids)

    def verify(*options: str) -> list[str]:
        return [c["backup_id"] for c in configured.run("location", "verify", *options).json["verified"]]

    assert verify("--max-bytes", "1") == [ids[0]], "one copy even when it exceeds the budget"
    assert verify("--max-bytes", str(sizes[ids[1]] + sizes[ids[2]])) == [ids[1], ids[2]]
    assert verify("--max-bytes", str(sizes[ids[0]])) == [ids[0]], "then the least recently verified"
    assert verify("--max-bytes", str(sizes[ids[1]] + 1)) == [ids[1]]
    doc = configured.run("location", "verify", "--max-bytes", "1").json
    assert doc["budget_bytes"] == 1 and doc["not_selected"] == 2
    assert len(verify("--all")) == 3
    configured.run("config", "set", "--verify-max-bytes", "2K")
    assert configured.run("config", "get").json["verify_max_bytes"] == 2048


def test_verification_options_are_checked(configured: Engine, on_share: Path) -> None:
    configured.run("backup", "start")
    configured.error("location", "verify", "--all", "--max-bytes", "1G", code="invalid-value", exit_code=10)
    error = configured.error("location", "verify", "--max-bytes", "lots", code="invalid-value", exit_code=10)
    assert "max-bytes" in error["message"]
    configured.error("config", "set", "--verify-max-bytes", "-1", code="invalid-value", exit_code=10)
    configured.error("location", "verify", "--backup", "20200101T000000.000Z-00000000", code="not-found", exit_code=14)


def test_copies_exported_before_they_were_recorded_are_found_and_verified(configured: Engine, on_share: Path) -> None:
    """A database upgraded to schema 3 has no record of earlier exports: the next export or verification finds
    the copies on the location and verifies them first."""
    import sqlite3

    backup_id = configured.run("backup", "start").json["id"]
    with sqlite3.connect(configured.home / "state.db") as db:
        db.execute("DELETE FROM external_copies")
    assert copies(configured) == {}
    doc = configured.run("location", "verify").json
    assert [(c["backup_id"], c["result"]) for c in doc["verified"]] == [(backup_id, "Verified")]
    assert copies(configured)[backup_id]["exported_at"] is None
