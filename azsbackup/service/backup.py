"""Where a backup happens.

:func:`run_backup` is the one implementation of "back up every component",
called by ``azsbackup backup start``, the scheduler and the remote path alike:

1. take the controller lock (one backup at a time; a second caller gets
   :class:`~azsbackup.errors.Locked` at once);
2. for each enabled component, then the controller itself: run its provider
   into an encrypting :class:`~azsbackup.archive.writer.ArchiveWriter` that
   writes ``<backup-id>/<component>.azsb`` in the internal store through an
   atomic writer. A failing component is recorded and the others go on;
3. write the signed ``manifest.json`` last: only then is the backup complete;
4. record it in the catalogue.

Export to the external location and retention run after the backup, in the
same job, once the internal copy is complete.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from azsbackup import __version__
from azsbackup.archive.manifest import ArchiveRef, Manifest, ManifestComponent, SignerInfo
from azsbackup.archive.writer import ArchiveWriter
from azsbackup.crypto.certs import recipient_identity
from azsbackup.errors import AzsBackupError, NotConfigured
from azsbackup.events import ByteProgress, EventSink, where_raised
from azsbackup.model import (
    BackupStatus,
    ComponentResult,
    ComponentStatus,
    Trigger,
    iso,
    new_backup_id,
    roll_up,
    utc_now,
)
from azsbackup.providers.base import ProviderContext
from azsbackup.service.alerting import (
    Notifier,
    alert_code_for,
    check_certificate,
    close_alerts,
    close_failure_alerts,
    failure_facts,
    notifiers_for,
    raise_alert,
)
from azsbackup.service.catalog import BackupRecord, insert_record, record_from_manifest, write_manifest
from azsbackup.service.components import Component, list_components
from azsbackup.service.controller import Controller
from azsbackup.service.jobs import recorded_job
from azsbackup.state.db import transaction
from azsbackup.storage.base import join

ARCHIVE_SUFFIX = ".azsb"
EXPORT_FAILURE_CODES = frozenset(
    {"share-unreachable", "invalid-path", "authentication-failed", "cannot-write", "share-full", "export-failed"}
)


@dataclass(frozen=True)
class BackupOptions:
    trigger: Trigger = Trigger.MANUAL
    on_started: Callable[[str], None] | None = None
    """Called with the job id once the lock is held and the job recorded (a detached backup's handshake)."""


def recipient_certificates(controller: Controller) -> list[x509.Certificate]:
    config = controller.config()
    if config.encryption_cert is None:
        raise NotConfigured(field="encryption certificate", how="azsbackup config set --encryption-cert FILE.cer")
    return [x509.load_pem_x509_certificate(ref.pem.encode("ascii")) for ref in config.all_recipients]


def run_backup(controller: Controller, events: EventSink, options: BackupOptions | None = None) -> BackupRecord:
    """Back up every enabled component into the internal store and return the catalogue record."""
    options = options or BackupOptions()
    recipients = recipient_certificates(controller)
    notifiers = notifiers_for(controller)
    check_certificate(controller, events, utc_now(), notifiers)
    with controller.exclusive("backup"), recorded_job(controller, "backup", events, options.trigger) as job:
        if options.on_started is not None:
            options.on_started(job.id)
        try:
            record = _run_locked(controller, events, options, recipients)
        except AzsBackupError as exc:
            facts = failure_facts(controller, backup_id="(not created)", job_id=job.id, error=exc.message)
            raise_alert(controller, alert_code_for(exc), facts, events, notifiers)
            raise
        job.backup_id, job.status = record.id, record.status
        record.export = export_and_retain(controller, record, job.id, events, notifiers)
        job.result = {"components": record.components, "export": record.export}
        _alert_on_outcome(controller, record, job.id, events, notifiers)
        return record


def export_and_retain(
    controller: Controller,
    record: BackupRecord,
    job_id: str,
    events: EventSink,
    notifiers: list[Notifier],
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Apply retention to the internal store, then catch the external location up and apply it there.

    Returns the ``export`` object of the backup document. An export failure is
    recorded and alerted; it never undoes the internal backup.
    """
    from azsbackup.service import export as ex

    plan = ex.internal_plan(controller, now)
    ex.apply_retention_internal(controller, plan, events)
    path = controller.config().path
    if not path:
        return {"status": None, "path": None, "error": None}
    try:
        with recorded_job(controller, "export", events) as job, ex.external_location(controller) as target:
            job.backup_id = record.id
            synced = ex.sync_external(controller, target, set(plan.keep), events)
            job.status, job.result = "Succeeded", {"exported": synced.exported, "deleted": synced.deleted}
            ex.check_capacity(controller, target, synced.held, events, notifiers)
    except AzsBackupError as exc:
        ex.set_export_status(controller, record.id, "Failed", exc.code)
        code = alert_code_for(exc)
        code = "export-failed" if code == "unknown-error" else code
        facts = failure_facts(controller, backup_id=record.id, job_id=job_id, error=exc.message)
        raise_alert(controller, code, facts, events, notifiers)
        return {"status": "Failed", "path": path, "error": exc.to_dict()}
    close_alerts(controller, EXPORT_FAILURE_CODES, events, notifiers)
    return {"status": "Succeeded", "path": path, "error": None}


def _alert_on_outcome(
    controller: Controller, record: BackupRecord, job_id: str, events: EventSink, notifiers: list[Notifier]
) -> None:
    """Succeeded closes every backup-failure alert; otherwise the matching alert is raised."""
    if record.status == BackupStatus.SUCCEEDED:
        if record.export.get("status") != "Failed":
            close_failure_alerts(controller, events, notifiers)
        return
    counted = [c for c in record.components if c["type"] != "controller"] or record.components
    failed = [c for c in record.components if c["status"] != ComponentStatus.SUCCEEDED]
    first_error = next((c["error"]["message"] for c in failed if c.get("error")), "unknown")
    facts = failure_facts(controller, backup_id=record.id, job_id=job_id, error=first_error)
    if record.status == BackupStatus.PARTIAL_SUCCEEDED:
        facts |= {
            "succeeded": sum(1 for c in counted if c["status"] == ComponentStatus.SUCCEEDED),
            "total": len(counted),
            "failed": ", ".join(c["name"] for c in failed),
        }
        raise_alert(controller, "partial-backup", facts, events, notifiers)
    else:
        raise_alert(controller, "backup-failed", facts, events, notifiers)


def _run_locked(
    controller: Controller, events: EventSink, options: BackupOptions, recipients: list[x509.Certificate]
) -> BackupRecord:
    started = time.monotonic()
    created = utc_now()
    backup_id = new_backup_id(created)
    components = [c for c in list_components(controller, include_controller=True) if c.enabled]
    read_back = controller.config().read_back
    events.log(f"backup {backup_id} started: {len(components)} components", backup_id=backup_id)
    controller.store.makedirs(backup_id)

    results: list[tuple[ComponentResult, ArchiveRef | None]] = []
    for index, component in enumerate(components):
        status = f"{component.name} ({index + 1}/{len(components)})"
        step = events.byte_progress("Backup", status, index, len(components), component=component.name)
        result, archive = _back_up_component(controller, backup_id, component, recipients, events, step, read_back)
        results.append((result, archive))
        events.emit({"type": "component_status", "component": result.to_dict()})
    events.progress("Backup", "writing manifest", len(components), len(components))

    status = _status_of([r for r, _ in results])
    manifest = Manifest(
        backup_id=backup_id,
        created=iso(created) or "",
        duration_ms=round((time.monotonic() - started) * 1000),
        trigger=str(options.trigger),
        status=str(status),
        engine_version=__version__,
        components=[_manifest_component(r, a) for r, a in results],
        recipients=[recipient_identity(c) for c in recipients],
    )
    write_manifest(controller.store, manifest, controller.signing_key, read_back=read_back)
    own = SignerInfo(fingerprint=controller.signing_key.fingerprint, public_key=controller.signing_key.public_key)
    record = record_from_manifest(manifest, own, trusted=True)
    with transaction(controller.db) as db:
        insert_record(db, record)
    events.log(f"backup {backup_id} {status}", backup_id=backup_id, status=str(status))
    return record


def _status_of(results: list[ComponentResult]) -> BackupStatus:
    """Roll up over the operator's components; the controller's own component counts only if it failed."""
    operator = [r.status for r in results if r.type != "controller"]
    own = [r.status for r in results if r.type == "controller"]
    if not operator:
        return roll_up(own)
    status = roll_up(operator)
    if status is BackupStatus.SUCCEEDED and ComponentStatus.FAILED in own:
        return BackupStatus.PARTIAL_SUCCEEDED
    return status


def _back_up_component(
    controller: Controller,
    backup_id: str,
    component: Component,
    recipients: list[x509.Certificate],
    events: EventSink,
    step: ByteProgress,
    read_back: bool,
) -> tuple[ComponentResult, ArchiveRef | None]:
    """Back up one component; ``step`` reports its bytes of file content as the archive writer takes them.

    ``read_back``: the configured inline check (``config set --read-back``), the same rule as on the
    external location; without it the archive's SHA-256 is that of the bytes written (docs/design.md).
    """
    started = time.monotonic()
    ctx = ProviderContext(component.name, on_expected_bytes=step.expect)
    file_name = component.name + ARCHIVE_SUFFIX
    result = ComponentResult(component.name, component.type, ComponentStatus.FAILED)
    try:
        with controller.store.open_write(join(backup_id, file_name), read_back=read_back) as out:
            writer = ArchiveWriter(
                out, backup_id=backup_id, component=component.name, recipients=recipients, progress=step.update
            )
            with writer:
                component.provider.backup(writer, ctx)
            stats = writer.close()
            written = out.commit()
        step.finish()
    except AzsBackupError as exc:
        result.error_code, result.error = exc.code, exc.message
        events.emit({"type": "error", **exc.to_dict(), "component": component.name})
        archive = None
    except Exception as exc:  # a provider bug must not stop the other components
        unknown = AzsBackupError(f"component {component.name}: unexpected {type(exc).__name__}")
        result.error_code, result.error = unknown.code, unknown.message
        events.emit({"type": "error", **unknown.to_dict(), "component": component.name, "traceback": where_raised(exc)})
        archive = None
    else:
        result.status = ComponentStatus.SUCCEEDED
        result.size, result.stored_size = stats.raw_size, written.size
        archive = ArchiveRef(file=file_name, size=written.size, sha256=written.sha256)
    result.duration_s = time.monotonic() - started
    result.warnings = ctx.warnings
    for warning in ctx.warnings:
        events.warning(warning.code, warning.message, warning.subject)
    return result, archive


def _manifest_component(result: ComponentResult, archive: ArchiveRef | None) -> ManifestComponent:
    return ManifestComponent(
        name=result.name,
        type=result.type,
        status=str(result.status),
        size=result.size,
        stored_size=result.stored_size,
        duration_ms=round(result.duration_s * 1000),
        error_code=result.error_code,
        error_message=result.error,
        archive=archive,
        warnings=[w.to_dict() for w in result.warnings],
    )
