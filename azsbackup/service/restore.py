"""Restoring components from a backup.

Before anything is written: the manifest must be signed by a trusted key,
every selected archive must list the given key among its recipients, and the
providers check their destinations (existing data needs ``force``). Then each
archive is streamed once: read → SHA-256 against the signed manifest →
decrypt and authenticate → provider. Providers write into a staging
directory and publish only after the last byte was authenticated *and* the
archive's SHA-256 matched, so a damaged or forged archive leaves no plaintext
behind and the destination untouched. With several components, the archives
after the first are hashed against the manifest before the first is published,
so damage anywhere refuses the whole restore rather than leaving part of it.

Destinations: without ``to``, each component goes back where it came from
(its configured path, database file or restore command); the ``controller``
component is restored only when named, into ``<home>/restored/``. With
``to``, each component lands in ``to/<component>/``; a component this
controller does not know (recovery on a new controller) is restored there as
plain files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.checked import HashingStream, attributing_damage
from azsbackup.archive.manifest import ArchiveRef, Manifest, archives_of
from azsbackup.archive.reader import ArchiveReader, read_header
from azsbackup.crypto.certs import key_id
from azsbackup.errors import InvalidValue, NotFound, WrongKey
from azsbackup.events import ByteProgress, EventSink
from azsbackup.items import Item, Readable
from azsbackup.model import SCHEMA
from azsbackup.osutil import writing_output
from azsbackup.providers import files_restorer
from azsbackup.providers.base import ProviderContext, RestoreDestination
from azsbackup.providers.controller import NAME as CONTROLLER_NAME
from azsbackup.service.components import Component, get_component
from azsbackup.service.controller import Controller
from azsbackup.service.jobs import recorded_job
from azsbackup.service.verify import load_trusted_manifest, open_checked_archive
from azsbackup.storage.base import Location


@dataclass
class RestoreReport:
    backup_id: str
    components: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "id": self.backup_id, "status": "Restored", "components": self.components}


class CheckedSource:
    """An ItemSource that, after the last item, proves the archive bytes match the signed manifest."""

    def __init__(self, reader: ArchiveReader, stream: HashingStream) -> None:
        self._reader = reader
        self._stream = stream

    def __iter__(self) -> Iterator[tuple[Item, Readable | None]]:
        yield from self._reader
        self._stream.finish()


def restore_backup(
    controller: Controller,
    backup_id: str,
    private_key: RSAPrivateKey,
    events: EventSink,
    *,
    components: list[str] | None = None,
    to: Path | None = None,
    force: bool = False,
    location: Location | None = None,
) -> RestoreReport:
    location = location or controller.store
    with controller.exclusive("restore"), recorded_job(controller, "restore", events) as job:
        job.backup_id = backup_id
        report = _restore(controller, location, backup_id, private_key, events, components, to, force)
        job.status, job.result = "Succeeded", {"components": report.components}
        return report


def _restore(
    controller: Controller,
    location: Location,
    backup_id: str,
    private_key: RSAPrivateKey,
    events: EventSink,
    components: list[str] | None,
    to: Path | None,
    force: bool,
) -> RestoreReport:
    manifest, _signer = load_trusted_manifest(controller, location, backup_id)
    selected = _select(manifest, components, to)
    _check_key(location, manifest, selected, private_key)
    _check_later_archives(location, manifest, selected, events)
    if to is not None:
        with writing_output(to):  # checked once, before the first component is staged
            to.mkdir(parents=True, exist_ok=True)
    report = RestoreReport(backup_id)
    for index, (name, ref) in enumerate(selected):
        with events.byte_progress("Restore", name, index, len(selected), component=name, bytes_total=ref.size) as step:
            where = _restore_one(controller, location, manifest, name, ref, private_key, to, force, step)
        report.components.append({"name": name, "status": "Restored", "destination": str(where)})
        events.log(f"{name}: restored to {where}", component=name)
    events.progress("Restore", "done", len(selected), len(selected))
    return report


def _select(manifest: Manifest, names: list[str] | None, to: Path | None) -> list[tuple[str, ArchiveRef]]:
    available = dict(archives_of(manifest))
    if not names:
        return [(n, r) for n, r in available.items() if n != CONTROLLER_NAME or to is not None]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise NotFound(
            kind="component",
            name=", ".join(unknown),
            how=f"azsbackup backup show {manifest.backup_id} (restorable: {', '.join(available) or 'none'})",
        )
    return [(n, available[n]) for n in dict.fromkeys(names)]


def _check_key(
    location: Location, manifest: Manifest, selected: list[tuple[str, ArchiveRef]], private_key: RSAPrivateKey
) -> None:
    wanted = key_id(private_key.public_key())
    for _name, ref in selected:
        raw, stream = open_checked_archive(location, manifest, ref)
        with raw, attributing_damage(stream):
            header = read_header(stream)
        if wanted not in {r["key_id"] for r in header.recipients}:
            raise WrongKey(
                subject=f"{manifest.backup_id}/{ref.file}",
                thumbprint=wanted[:16],
                recipients=", ".join(r["thumbprint"] for r in header.recipients),
            )


def _check_later_archives(
    location: Location, manifest: Manifest, selected: list[tuple[str, ArchiveRef]], events: EventSink
) -> None:
    """Prove every archive after the first matches the signed manifest before anything is published.

    Each component is published as soon as its own archive was authenticated;
    without this pass a damaged second archive would leave the first component
    restored and the rest not: a half-done restore. The first archive needs no
    pass of its own: it is checked while it is staged.
    """
    later = selected[1:]
    for index, (name, ref) in enumerate(later):
        step = events.byte_progress(
            "Restore", f"checking {name}", index, len(later), component=name, bytes_total=ref.size
        )
        raw, stream = open_checked_archive(location, manifest, ref, step.update)
        with step, raw:
            stream.finish()


def _restore_one(
    controller: Controller,
    location: Location,
    manifest: Manifest,
    name: str,
    ref: ArchiveRef,
    private_key: RSAPrivateKey,
    to: Path | None,
    force: bool,
    step: ByteProgress,
) -> Path | str:
    """Restore one component; ``step`` reports the archive bytes read."""
    component = _known_component(controller, name, manifest)
    dest = RestoreDestination(directory=None if to is None else to / name, force=force)
    ctx = ProviderContext(name)
    raw, stream = open_checked_archive(location, manifest, ref, step.update)
    with raw, attributing_damage(stream):
        reader = ArchiveReader(
            stream,
            private_key,
            expected_backup_id=manifest.backup_id,
            expected_component=name,
        )
        source = CheckedSource(reader, stream)
        if component is not None:
            return component.provider.restore(source, dest, ctx)
        if dest.directory is None:
            raise InvalidValue(
                field="component",
                value=name,
                allowed="components configured on this controller; restore others with --to DIR",
            )
        return files_restorer(_type_of(manifest, name)).restore_files(source, dest.directory, force, ctx)


def _type_of(manifest: Manifest, name: str) -> str:
    return next(c.type for c in manifest.components if c.name == name)


def _known_component(controller: Controller, name: str, manifest: Manifest) -> Component | None:
    """The configured component of that name and type, if this controller has one."""
    wanted_type = _type_of(manifest, name)
    try:
        component = get_component(controller, name)
    except NotFound:
        return None
    return component if component.type == wanted_type else None
