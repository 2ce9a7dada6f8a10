"""Verifying backups at rest (no key) and by a full read (deep verify, a restore drill).

Without a key, :func:`verify_backup` proves that the manifest is signed by a
trusted key and names this backup, that every archive it lists has exactly
the recorded size and SHA-256, and that each archive's header names this
backup and its component (so archives swapped between backups or components
are caught). With a key, it also decrypts and reads every archive to the end,
authenticating every segment and parsing every tar member, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.checked import HashingStream, attributing_damage
from azsbackup.archive.manifest import ArchiveRef, Manifest, archives_of
from azsbackup.archive.reader import ArchiveReader, read_header
from azsbackup.errors import IntegrityError
from azsbackup.events import EventSink
from azsbackup.model import SCHEMA
from azsbackup.service.catalog import read_manifest, require_trusted
from azsbackup.service.controller import Controller
from azsbackup.service.jobs import recorded_job
from azsbackup.storage.base import Location, join


@dataclass
class VerifyReport:
    backup_id: str
    signer: str
    deep: bool
    archives: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "id": self.backup_id,
            "status": "Verified",
            "signer": self.signer,
            "trusted": True,
            "deep": self.deep,
            "archives": self.archives,
        }


def open_checked_archive(
    location: Location, manifest: Manifest, ref: ArchiveRef, progress: Callable[[int], None] | None = None
) -> tuple[BinaryIO, HashingStream]:
    raw = location.open_read(join(manifest.backup_id, ref.file))
    return raw, HashingStream(raw, ref, f"{location.display}/{manifest.backup_id}/{ref.file}", progress)


def load_trusted_manifest(controller: Controller, location: Location, backup_id: str) -> tuple[Manifest, str]:
    manifest, signer = read_manifest(location, backup_id)
    require_trusted(controller, manifest, signer)
    return manifest, signer.fingerprint


def verify_backup(
    controller: Controller,
    backup_id: str,
    events: EventSink,
    *,
    private_key: RSAPrivateKey | None = None,
    location: Location | None = None,
) -> VerifyReport:
    """Verify one backup; raise an IntegrityError subclass (or Untrusted) on the first problem."""
    with recorded_job(controller, "verify", events) as job:
        job.backup_id = backup_id
        report = _verify(controller, backup_id, events, private_key, location or controller.store)
        job.status, job.result = "Succeeded", {"deep": report.deep, "archives": len(report.archives)}
        return report


def _verify(
    controller: Controller,
    backup_id: str,
    events: EventSink,
    private_key: RSAPrivateKey | None,
    location: Location,
) -> VerifyReport:
    manifest, signer = load_trusted_manifest(controller, location, backup_id)
    report = VerifyReport(backup_id, signer, deep=private_key is not None)
    archives = list(archives_of(manifest))
    for index, (component, ref) in enumerate(archives):
        step = events.byte_progress(
            "Verify", component, index, len(archives), component=component, bytes_total=ref.size
        )
        raw, stream = open_checked_archive(location, manifest, ref, step.update)
        with step, raw, attributing_damage(stream):
            if private_key is None:
                header = read_header(stream)
                if (header.backup_id, header.component) != (backup_id, component):
                    raise IntegrityError(
                        subject=f"{location.display}/{backup_id}/{ref.file}",
                        detail=f"the archive belongs to {header.backup_id}/{header.component}",
                    )
            else:
                reader = ArchiveReader(
                    stream,
                    private_key,
                    expected_backup_id=backup_id,
                    expected_component=component,
                )
                reader.drain()
            stream.finish()
        report.archives.append({"component": component, "file": ref.file, "size": ref.size, "sha256": ref.sha256})
        events.log(f"{component}: verified", component=component)
    events.progress("Verify", "done", len(archives), len(archives))
    return report
