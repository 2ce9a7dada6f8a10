"""The backup catalogue: what backups exist, read from signed manifests and cached in ``state.db``.

A backup exists when its directory holds a ``manifest.json`` whose signature
verifies. The ``backups`` table is a cache of those manifests plus what the
controller knows beyond them (the export status); :func:`sync_catalog`
reconciles it with the store, so a crash between publishing a manifest and
recording it, or a backup directory deleted by hand, heals on the next read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from azsbackup.archive.manifest import MAX_MANIFEST, Manifest, SignerInfo, decode_signed, encode_signed
from azsbackup.crypto.signing import SigningKey
from azsbackup.errors import AzsBackupError, FormatError, NotFound, Untrusted
from azsbackup.model import SCHEMA, check_backup_id
from azsbackup.service.controller import Controller
from azsbackup.service.queries import MANIFEST as MANIFEST
from azsbackup.service.queries import backup_document
from azsbackup.state.db import transaction
from azsbackup.storage.base import Location, join


@dataclass
class BackupRecord:
    """One backup as the JSON API shows it."""

    id: str
    created: str
    status: str
    trigger: str
    duration_s: float
    size: int
    stored_size: int
    signer: str
    trusted: bool
    components: list[dict[str, Any]] = field(default_factory=list)
    export: dict[str, Any] = field(default_factory=lambda: {"status": None, "path": None, "error": None})
    format_version: str = "1"
    """The archive format version of the backup's manifest (Azure Stack's BackupDataVersion)."""

    def to_dict(self, *, with_components: bool = True) -> dict[str, Any]:
        return backup_document(
            id=self.id,
            status=self.status,
            created=self.created,
            duration_s=self.duration_s,
            trigger=self.trigger,
            signer=self.signer,
            trusted=self.trusted,
            size=self.size,
            stored_size=self.stored_size,
            format_version=self.format_version,
            export=self.export,
            components=self.components if with_components else None,
        )


def component_view(manifest: Manifest) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "type": c.type,
            "status": c.status,
            "size": c.size,
            "stored_size": c.stored_size,
            "duration_s": c.duration_ms / 1000,
            "error": None if c.error_code is None else {"code": c.error_code, "message": c.error_message},
            "warnings": c.warnings,
        }
        for c in manifest.components
    ]


def record_from_manifest(manifest: Manifest, signer: SignerInfo, trusted: bool) -> BackupRecord:
    return BackupRecord(
        id=manifest.backup_id,
        created=manifest.created,
        status=manifest.status,
        trigger=manifest.trigger,
        duration_s=manifest.duration_ms / 1000,
        size=manifest.size,
        stored_size=manifest.stored_size,
        signer=signer.fingerprint,
        trusted=trusted,
        components=component_view(manifest),
        format_version=str(manifest.format_version),
    )


def read_manifest(location: Location, backup_id: str) -> tuple[Manifest, SignerInfo]:
    """Load and signature-check the manifest of ``backup_id``; the id inside must match its directory."""
    path = join(backup_id, MANIFEST)
    if not location.exists(path):
        raise NotFound(kind="backup", name=backup_id, how="azsbackup backup list")
    with location.open_read(path) as fh:
        data = fh.read(MAX_MANIFEST + 1)
    manifest, signer = decode_signed(data)
    if manifest.backup_id != backup_id:
        raise FormatError(
            subject=f"{location.display}/{path}",
            detail=f"the manifest belongs to backup {manifest.backup_id}, not {backup_id}",
        )
    return manifest, signer


def write_manifest(location: Location, manifest: Manifest, key: SigningKey, *, read_back: bool = False) -> None:
    """Sign and atomically publish ``manifest.json`` in the internal store: the step that makes a backup complete.

    ``read_back``: the configured inline check, as for every file written (docs/design.md)."""
    with location.open_write(join(manifest.backup_id, MANIFEST), read_back=read_back) as out:
        out.write(encode_signed(manifest, key))
        out.commit()


def require_trusted(controller: Controller, manifest: Manifest, signer: SignerInfo) -> None:
    if signer.fingerprint not in controller.trusted_fingerprints():
        raise Untrusted(backup_id=manifest.backup_id, signer=signer.fingerprint)


def insert_record(db: sqlite3.Connection, record: BackupRecord) -> None:
    db.execute(
        """INSERT OR REPLACE INTO backups
           (id, created, status, trigger, duration_s, size, stored_size, signer, components,
            export_status, export_error, exported_at, format_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            record.id,
            record.created,
            record.status,
            record.trigger,
            record.duration_s,
            record.size,
            record.stored_size,
            record.signer,
            json.dumps(record.components),
            record.export.get("status"),
            record.export.get("error"),
            record.export.get("exported_at"),
            record.format_version,
        ),
    )


def complete_ids(location: Location) -> set[str]:
    """The backups complete in ``location``: a backup's folder that holds its manifest."""
    return {
        e.name
        for e in location.list()
        if e.is_dir and _is_backup_id(e.name) and location.exists(join(e.name, MANIFEST))
    }


def delete_backup_files(location: Location, backup_id: str) -> None:
    """Delete one backup from ``location``: the manifest first, so an interrupted deletion leaves an
    incomplete folder (no longer a backup) that ``prune`` removes."""
    location.delete(join(backup_id, MANIFEST))
    location.delete_tree(backup_id)


def sync_catalog(controller: Controller) -> None:
    """Make the ``backups`` table match the complete backups in the internal store."""
    complete = complete_ids(controller.store)
    known = {row["id"] for row in controller.db.execute("SELECT id FROM backups")}
    trusted = controller.trusted_fingerprints()
    with transaction(controller.db) as db:
        for gone in known - complete:
            db.execute("DELETE FROM backups WHERE id = ?", (gone,))
        for new in sorted(complete - known):
            try:
                manifest, signer = read_manifest(controller.store, new)
            except AzsBackupError:
                continue  # unreadable or forged: verify reports it; the catalogue lists only real backups
            insert_record(db, record_from_manifest(manifest, signer, signer.fingerprint in trusted))


def _is_backup_id(name: str) -> bool:
    try:
        check_backup_id(name)
    except AzsBackupError:
        return False
    return True


def _from_row(row: sqlite3.Row, trusted: set[str]) -> BackupRecord:
    return BackupRecord(
        id=row["id"],
        created=row["created"],
        status=row["status"],
        trigger=row["trigger"],
        duration_s=row["duration_s"],
        size=row["size"],
        stored_size=row["stored_size"],
        signer=row["signer"],
        trusted=row["signer"] in trusted,
        components=json.loads(row["components"]),
        export={"status": row["export_status"], "path": None, "error": row["export_error"]},
        format_version=row["format_version"],
    )


def list_backups(controller: Controller) -> list[BackupRecord]:
    """Every complete backup in the internal store, oldest first."""
    sync_catalog(controller)
    trusted = controller.trusted_fingerprints()
    return [_from_row(r, trusted) for r in controller.db.execute("SELECT * FROM backups ORDER BY id")]


def get_backup(controller: Controller, backup_id: str) -> BackupRecord:
    check_backup_id(backup_id)
    sync_catalog(controller)
    row = controller.db.execute("SELECT * FROM backups WHERE id = ?", (backup_id,)).fetchone()
    if row is None:
        raise NotFound(kind="backup", name=backup_id, how="azsbackup backup list")
    return _from_row(row, controller.trusted_fingerprints())


def list_document(records: list[BackupRecord]) -> dict[str, Any]:
    return {"schema": SCHEMA, "backups": [r.to_dict(with_components=False) for r in records]}


def list_location(controller: Controller, location: Location) -> list[BackupRecord]:
    """The complete backups in any location (e.g. the share, for recovery), read from their manifests."""
    trusted = controller.trusted_fingerprints()
    records = []
    for backup_id in sorted(complete_ids(location)):
        try:
            manifest, signer = read_manifest(location, backup_id)
        except AzsBackupError:
            continue
        records.append(record_from_manifest(manifest, signer, signer.fingerprint in trusted))
    return records
