"""Deleting backups and re-keying them for a new certificate."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.manifest import ArchiveRef
from azsbackup.archive.rekey import rekey_archive
from azsbackup.crypto.certs import load_certificate, recipient_identity, thumbprint
from azsbackup.events import EventSink
from azsbackup.model import SCHEMA, check_backup_id
from azsbackup.service.backup import ARCHIVE_SUFFIX
from azsbackup.service.catalog import (
    delete_backup_files,
    get_backup,
    list_backups,
    sync_catalog,
    write_manifest,
)
from azsbackup.service.controller import Controller
from azsbackup.service.verify import load_trusted_manifest
from azsbackup.storage.base import join


def delete_backup(controller: Controller, backup_id: str) -> None:
    """Remove a backup: the manifest first, so a crash leaves an incomplete directory that prune removes."""
    check_backup_id(backup_id)
    get_backup(controller, backup_id)
    with controller.exclusive("delete"):
        delete_backup_files(controller.store, backup_id)
    sync_catalog(controller)


def rekey_backups(
    controller: Controller,
    backup_id: str | None,
    old_key: RSAPrivateKey,
    new_cert_path: Path,
    events: EventSink,
) -> dict[str, Any]:
    """Re-wrap each archive's data key for ``new_cert_path``; the encrypted segments are copied verbatim.

    Crash safety: the re-keyed archives are written under new names, then the
    new manifest (naming them) replaces the old one in one atomic rename, and
    only then are the old archives deleted. At every instant the manifest
    names archives that exist and match it.
    """
    new_cert = load_certificate(new_cert_path)
    ids = [backup_id] if backup_id else [r.id for r in list_backups(controller)]
    read_back = controller.config().read_back
    done = []
    with controller.exclusive("rekey"):
        for index, current in enumerate(ids):
            events.progress("Rekey", current, index, len(ids))
            _rekey_one(controller, current, old_key, new_cert, read_back)
            done.append(current)
    sync_catalog(controller)
    return {"schema": SCHEMA, "backups": done, "thumbprint": thumbprint(new_cert)}


def _rekey_one(controller: Controller, backup_id: str, old_key: RSAPrivateKey, new_cert: Any, read_back: bool) -> None:
    store = controller.store
    manifest, _ = load_trusted_manifest(controller, store, backup_id)
    tag = secrets.token_hex(3)
    replaced: list[str] = []
    components = []
    for component in manifest.components:
        ref = component.archive
        if ref is None:
            components.append(component)
            continue
        new_name = f"{component.name}.{tag}{ARCHIVE_SUFFIX}"
        with (
            store.open_read(join(backup_id, ref.file)) as src,
            store.open_write(join(backup_id, new_name), read_back=read_back) as dst,
        ):
            rekey_archive(src, dst, old_key, [new_cert])
            written = dst.commit()
        replaced.append(ref.file)
        new_ref = ArchiveRef(new_name, written.size, written.sha256)
        components.append(dataclasses.replace(component, archive=new_ref, stored_size=written.size))
    new_manifest = dataclasses.replace(
        manifest,
        components=components,
        recipients=[recipient_identity(new_cert)],
    )
    write_manifest(store, new_manifest, controller.signing_key, read_back=read_back)
    for old in replaced:
        store.delete(join(backup_id, old))
