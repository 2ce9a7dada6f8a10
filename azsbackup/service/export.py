"""Exporting backups to the external location, with catch-up, and retention on both places.

Layout on the external location: ``<path>/MASBackup/<backup-id>/<files>``,
the folder name Azure Stack operators recognise. A backup is copied file by
file through the location's atomic writer (temporary name, flush, rename; with
``read_back`` configured, the file is read back and its SHA-256 compared with
the signed manifest's before the rename) and its manifest last, so the share
never shows an incomplete backup as complete. What proves a copy afterwards is
the scheduled re-verification (:mod:`azsbackup.service.external_copies`); a copy
it found damaged or missing is copied again by the next export.

Catch-up: every run exports, oldest first, each complete internal backup
that retention keeps and the share does not hold yet. A failed export is
thereby retried by the next run until the share converges.

Retention: backups older than the retention period are deleted from both
places, except that the newest complete (Succeeded or PartialSucceeded)
backup is always kept. Deletion removes the manifest first, so an interrupted
deletion leaves an incomplete directory that ``prune`` removes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from azsbackup.archive.manifest import archives_of
from azsbackup.errors import AzsBackupError, InvalidPath, LocationConnectionLost, LocationUnreachable, NotConfigured
from azsbackup.events import EventSink
from azsbackup.model import BackupStatus, backup_id_time, iso, utc_now
from azsbackup.service.catalog import MANIFEST, complete_ids, delete_backup_files, list_backups, read_manifest
from azsbackup.service.controller import Controller
from azsbackup.state.config_view import LOCATION_SPACE_KEY
from azsbackup.state.db import put_setting, transaction
from azsbackup.storage.base import Location, join
from azsbackup.storage.paths import Credentials, LocationSpec
from azsbackup.storage.subtree import Subtree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from azsbackup.state.config import BackupConfiguration

EXTERNAL_ROOT = "MASBackup"
COPY_CHUNK = 8 << 20


@dataclass(frozen=True)
class ConfiguredLocation:
    """The external location as configured: where, with which stored secret, and how to open it."""

    spec: LocationSpec
    credentials: Credentials
    options: dict[str, Any]
    """:func:`azsbackup.storage.open_location`'s keyword options from the configuration."""


def configured_location(controller: Controller) -> ConfiguredLocation:
    """The configured external location; :class:`NotConfigured` when there is none."""
    from azsbackup.storage.paths import parse_location

    config = controller.config()
    if not config.path:
        raise NotConfigured(field="external path", how="azsbackup config set --path \\\\server\\share\\folder")
    return ConfiguredLocation(
        parse_location(config.path),
        Credentials(config.username or "", controller.secrets.get("share_password") or ""),
        location_options(config),
    )


def location_options(config: BackupConfiguration) -> dict[str, Any]:
    """:func:`azsbackup.storage.open_location`'s keyword options from the configuration."""
    return {
        "allow_unencrypted": config.allow_unencrypted,
        "allow_insecure_http": config.allow_insecure_http,
        "blob_api_version": config.blob_api_version,
    }


@contextmanager
def external_location(controller: Controller, *, create_root: bool = True) -> Iterator[Location]:
    """The ``MASBackup`` folder of the configured external location (stored credentials); closed on exit.

    The configured folder itself must exist (a typo should fail loudly, not
    create a stray folder); ``MASBackup`` below it is created when missing.
    """
    from azsbackup.storage import open_location

    configured = configured_location(controller)
    spec = configured.spec
    location = open_location(spec, configured.credentials, **configured.options)
    try:
        if spec.path and not location.exists(""):
            raise InvalidPath(location=spec.display, detail="the configured folder does not exist on the share")
        if create_root:
            location.makedirs(EXTERNAL_ROOT)
        yield Subtree(location, EXTERNAL_ROOT)
    finally:
        location.close()


def copy_backup(
    controller: Controller, backup_id: str, target: Location, events: EventSink, *, read_back: bool = False
) -> int:
    """Copy one complete internal backup to ``target``; return the bytes copied."""
    manifest, _ = read_manifest(controller.store, backup_id)
    # The signed manifest names each archive's SHA-256: the writer need not hash, a read-back is checked against it
    files: list[tuple[str, str | None, str | None, int]] = [
        (ref.file, component, ref.sha256, ref.size) for component, ref in archives_of(manifest)
    ]
    files.append((MANIFEST, None, None, controller.store.stat(join(backup_id, MANIFEST)).size))
    target.makedirs(backup_id)
    copied = 0
    for index, (name, component, sha256, size) in enumerate(files):
        path = join(backup_id, name)
        step = events.byte_progress(
            "Export", f"{backup_id}/{name}", index, len(files), component=component, bytes_total=size
        )
        try:
            with (
                step,
                controller.store.open_read(path) as src,
                target.open_write(path, expected_sha256=sha256, read_back=read_back) as dst,
            ):
                while chunk := src.read(COPY_CHUNK):
                    dst.write(chunk)
                    step.advance(len(chunk))
                dst.commit()
        except LocationUnreachable as exc:
            raise _lost_during_copy(exc) from exc
        copied += step.bytes_done
    return copied


def _lost_during_copy(exc: LocationUnreachable) -> LocationConnectionLost:
    """The share was reached and the copy had begun: whatever a reconnect then says, the copy was cut off.

    One condition, one alert: a server that goes away mid-copy raises ``export-failed`` whether the
    client noticed it on a send (connection lost) or on its reconnect (unreachable)."""
    if isinstance(exc, LocationConnectionLost):
        return exc
    return LocationConnectionLost(
        f"{exc.facts.get('detail')} (during the copy)", location=exc.facts.get("location"), port=exc.facts.get("port")
    )


def set_export_status(controller: Controller, backup_id: str, status: str, error: str | None) -> None:
    with transaction(controller.db) as db:
        db.execute(
            "UPDATE backups SET export_status = ?, export_error = ?, exported_at = ? WHERE id = ?",
            (status, error, iso(utc_now()) if status == "Succeeded" else None, backup_id),
        )


@dataclass(frozen=True)
class SyncResult:
    exported: list[str]
    deleted: list[str]
    held: set[str]
    """The complete backups the target holds afterwards."""


def sync_external(controller: Controller, target: Location, keep: set[str], events: EventSink) -> SyncResult:
    """Catch ``target`` up with the backups retention keeps, then delete from it those it does not.

    The target is listed once: every later step works from that listing and
    what it changed, so the share traffic grows with the number of backups,
    not with its square.
    """
    from azsbackup.service import external_copies

    present = complete_ids(target)
    path = controller.config().path or ""
    external_copies.record_found(controller, path, present & keep)
    # A copy the scheduled verification found damaged or missing is copied again (files overwritten, manifest last)
    exported = export_pending(
        controller, target, events, keep, present - external_copies.needing_export(controller, path)
    )
    deleted = apply_retention_external(controller, target, present - keep, events)
    external_copies.forget(controller, path, deleted)
    return SyncResult(exported, deleted, (present | set(exported)) - set(deleted))


def export_pending(
    controller: Controller, target: Location, events: EventSink, keep: set[str], present: set[str]
) -> list[str]:
    """Copy every backup in ``keep`` the target does not hold (``present``), oldest first."""
    from azsbackup.service.external_copies import record_exported

    config = controller.config()
    done = []
    for backup_id in sorted(keep - present):
        size = copy_backup(controller, backup_id, target, events, read_back=config.read_back)
        record_exported(controller, config.path or "", backup_id, size)
        set_export_status(controller, backup_id, "Succeeded", None)
        done.append(backup_id)
        events.log(f"exported {backup_id}", backup_id=backup_id)
    for backup_id in keep & present:
        set_export_status(controller, backup_id, "Succeeded", None)
    return done


# --- retention ------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionPlan:
    keep: list[str]
    delete: list[str]
    reasons: dict[str, str]


def plan_retention(backups: list[tuple[str, str]], retention_days: int, now: dt.datetime) -> RetentionPlan:
    """Which backups to keep: newer than the period, plus the newest complete one whatever its age.

    ``backups`` is a list of (backup id, status). Pure function: no I/O.
    """
    cutoff = now - dt.timedelta(days=retention_days)
    complete = [bid for bid, status in backups if status != BackupStatus.FAILED]
    newest_complete = max(complete) if complete else None
    keep, delete, reasons = [], [], {}
    for backup_id, _status in sorted(backups):
        if backup_id_time(backup_id) >= cutoff:
            keep.append(backup_id)
            reasons[backup_id] = f"within {retention_days} days"
        elif backup_id == newest_complete:
            keep.append(backup_id)
            reasons[backup_id] = "newest complete backup (always kept)"
        else:
            delete.append(backup_id)
            reasons[backup_id] = f"older than {retention_days} days"
    return RetentionPlan(keep, delete, reasons)


def apply_retention_internal(controller: Controller, plan: RetentionPlan, events: EventSink) -> list[str]:
    return _delete_backups(controller, controller.store, "internal store", plan.delete, events)


def apply_retention_external(
    controller: Controller, target: Location, expired: set[str], events: EventSink
) -> list[str]:
    """Delete from the share the complete backups retention does not keep (only azsbackup's own folders)."""
    return _delete_backups(controller, target, target.display, sorted(expired), events)


def _delete_backups(
    controller: Controller, location: Location, where: str, backup_ids: list[str], events: EventSink
) -> list[str]:
    """Delete each backup; one that fails raises ``retention-failed`` and the others go on."""
    deleted = []
    for backup_id in backup_ids:
        try:
            delete_backup_files(location, backup_id)
        except AzsBackupError as exc:
            _retention_failed(controller, backup_id, where, exc, events)
            continue
        deleted.append(backup_id)
    return deleted


def _retention_failed(
    controller: Controller, backup_id: str, where: str, exc: AzsBackupError, events: EventSink
) -> None:
    from azsbackup.service.alerting import notifiers_for, raise_alert

    facts = {"backup_id": backup_id, "location": where, "error": exc.message}
    raise_alert(controller, "retention-failed", facts, events, notifiers_for(controller))


def internal_plan(controller: Controller, now: dt.datetime | None = None) -> RetentionPlan:
    records = list_backups(controller)
    return plan_retention([(r.id, r.status) for r in records], controller.config().retention_days, now or utc_now())


def check_capacity(
    controller: Controller, target: Location, held: set[str], events: EventSink, notifiers: list[Any]
) -> None:
    """Raise ``share-almost-full`` when the backups retention keeps will not fit; close it when they do.

    ``held``: the backups the target holds already (they need no more room).
    """
    from azsbackup.model import human_size
    from azsbackup.service.alerting import close_alerts, raise_alert
    from azsbackup.service.location_check import RECENT, backups_kept, space_needed

    config = controller.config()
    space = target.free_space()
    if space is None:  # the location reports no capacity (blob storage): nothing to show or forecast against
        return
    record_location_space(controller, config.path, space.free, space.total)
    records = list_backups(controller)
    if not records:
        return
    kept = backups_kept(config.frequency_hours, config.retention_days)
    needed = space_needed(max(r.stored_size for r in records[-RECENT:]), kept)
    held_size = sum(r.stored_size for r in records if r.id in held)
    free = space.free
    if needed - held_size > free:
        facts = {"path": config.path, "free": human_size(free), "kept": kept, "needed": human_size(needed)}
        raise_alert(controller, "share-almost-full", facts, events, notifiers)
    else:
        close_alerts(controller, {"share-almost-full"}, events, notifiers)


def record_location_space(controller: Controller, path: str | None, free: int, total: int) -> None:
    """Keep the location's space as just measured: ``config get`` shows it (Azure Stack's AvailableCapacity),
    and the history the growth forecast of ``fleet status`` and the metrics reads."""
    from azsbackup.service.capacity import record_space

    now = utc_now()
    document = {"path": path, "free": free, "total": total, "measured": iso(now)}
    put_setting(controller.db, LOCATION_SPACE_KEY, json.dumps(document))
    record_space(controller.db, free, total, now)
