"""The copies of backups on the external location: what was exported, and re-verifying it at rest.

Export writes, flushes and renames without reading back (docs/design.md, "Proving
the external copy"); what proves a copy is good afterwards is this module. Each
exported copy has a row in ``external_copies`` (keyed by the configured path, so
copies on a location no longer configured are left alone), with when it was
exported, when it was last verified and the result.

:func:`verify_copies` reads copies back from the location and checks the
manifest's signature and trust, then each archive's size and SHA-256 against
the signed manifest. The default selection is bounded by a byte budget: copies
not verified since they were (re-)exported first, oldest export first, then
the least recently verified; copies are taken in that order while they fit the
budget, and the first is always taken, so a copy larger than the budget is
still verified. A copy that differs or is missing raises
``external-copy-damaged``; the next export copies it again from the internal
store, and the alert closes when no copy is known to be damaged any more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azsbackup.archive.manifest import archives_of
from azsbackup.errors import AzsBackupError, IntegrityError, NotFound, Untrusted
from azsbackup.events import EventSink
from azsbackup.model import SCHEMA, utc_now
from azsbackup.service.catalog import MANIFEST
from azsbackup.service.controller import Controller
from azsbackup.service.verify import load_trusted_manifest, open_checked_archive
from azsbackup.state.db import transaction
from azsbackup.storage.base import Location, join

VERIFIED, DAMAGED, MISSING = "Verified", "Damaged", "Missing"
ALERT = "external-copy-damaged"


def _now() -> str:
    """ISO 8601 UTC with milliseconds: copies verified in the same second still sort by when."""
    return utc_now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the record of each copy ---------------------------------------------------------------------------


def record_exported(controller: Controller, location: str, backup_id: str, size: int) -> None:
    """A copy was just written: not verified since. A damaged copy stays damaged until verified again."""
    with transaction(controller.db) as db:
        db.execute(
            """INSERT INTO external_copies (location, backup_id, size, exported_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (location, backup_id) DO UPDATE
               SET size = excluded.size, exported_at = excluded.exported_at, verified_at = NULL""",
            (location, backup_id, size, _now()),
        )


def record_found(controller: Controller, location: str, backup_ids: set[str]) -> None:
    """Copies on the location without a record (exported before copies were recorded): never verified."""
    with transaction(controller.db) as db:
        for backup_id in sorted(backup_ids):
            row = db.execute("SELECT stored_size FROM backups WHERE id = ?", (backup_id,)).fetchone()
            db.execute(
                "INSERT OR IGNORE INTO external_copies (location, backup_id, size) VALUES (?, ?, ?)",
                (location, backup_id, row["stored_size"] if row else 0),
            )


def forget(controller: Controller, location: str, backup_ids: list[str]) -> None:
    """Retention deleted these copies."""
    with transaction(controller.db) as db:
        db.executemany(
            "DELETE FROM external_copies WHERE location = ? AND backup_id = ?", [(location, b) for b in backup_ids]
        )


def needing_export(controller: Controller, location: str) -> set[str]:
    """Copies found damaged or missing since they were last exported: the next export copies them again."""
    rows = controller.db.execute(
        "SELECT backup_id FROM external_copies WHERE location = ? AND result IN (?, ?) AND verified_at IS NOT NULL",
        (location, DAMAGED, MISSING),
    )
    return {r["backup_id"] for r in rows}


def copies_document(controller: Controller) -> dict[str, Any]:
    """``location copies``: every recorded copy on the configured location, oldest backup first."""
    path = controller.config().path
    rows = controller.db.execute(
        "SELECT * FROM external_copies WHERE location = ? ORDER BY backup_id", (path or "",)
    ).fetchall()
    return {"schema": SCHEMA, "path": path, "copies": [_copy_view(r) for r in rows]}


def _copy_view(row: Any) -> dict[str, Any]:
    return {
        "backup_id": row["backup_id"],
        "size": row["size"],
        "exported_at": row["exported_at"],
        "verified_at": row["verified_at"],
        "result": row["result"],
        "detail": row["detail"],
    }


# --- selection --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which copies a verification reads: one backup, all of them, or as many as fit ``max_bytes``."""

    backup_id: str | None = None
    all: bool = False
    max_bytes: int | None = None
    """None: the configured budget (``verify_max_bytes``)."""


def select_copies(rows: list[Any], budget: int) -> list[Any]:
    """Not verified since export first (oldest export first), then least recently verified; while they fit
    ``budget`` bytes, and always the first one (a copy larger than the budget must get its turn too)."""
    ordered = sorted(
        rows,
        key=lambda r: (r["verified_at"] is not None, r["verified_at"] or r["exported_at"] or "", r["backup_id"]),
    )
    chosen: list[Any] = []
    used = 0
    for row in ordered:
        if chosen and used + row["size"] > budget:
            break
        chosen.append(row)
        used += row["size"]
    return chosen


# --- verification -----------------------------------------------------------------------------------------


@dataclass
class CopyResult:
    backup_id: str
    result: str
    detail: str | None
    bytes_read: int
    error: AzsBackupError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"backup_id": self.backup_id, "result": self.result, "detail": self.detail, "bytes": self.bytes_read}


@dataclass
class VerifyCopiesReport:
    path: str
    budget: int | None
    copies: list[CopyResult] = field(default_factory=list)
    not_selected: int = 0

    @property
    def error(self) -> AzsBackupError | None:
        return next((c.error for c in self.copies if c.error is not None), None)

    def to_dict(self) -> dict[str, Any]:
        error = self.error
        return {
            "schema": SCHEMA,
            "path": self.path,
            "budget_bytes": self.budget,
            "verified": [c.to_dict() for c in self.copies],
            "not_selected": self.not_selected,
            "status": "Failed" if error is not None else "Succeeded",
            "error": error.to_dict() if error is not None else None,
        }


def verify_copies(
    controller: Controller, target: Location, events: EventSink, selection: Selection
) -> VerifyCopiesReport:
    """Read the selected copies back from ``target`` (the ``MASBackup`` folder), record each result, and raise
    or close ``external-copy-damaged``. A location that fails (unreachable, refused) raises; a copy that
    differs is a result, not an exception."""
    from azsbackup.service.catalog import complete_ids

    path = controller.config().path or ""
    record_found(controller, path, complete_ids(target) & _internal_ids(controller))
    rows = controller.db.execute("SELECT * FROM external_copies WHERE location = ?", (path,)).fetchall()
    if selection.backup_id is not None:
        chosen = [r for r in rows if r["backup_id"] == selection.backup_id]
        if not chosen:
            raise NotFound(kind="external copy", name=selection.backup_id, how="azsbackup location copies")
        budget = None
    elif selection.all:
        chosen, budget = list(rows), None
    else:
        budget = controller.config().verify_max_bytes if selection.max_bytes is None else selection.max_bytes
        chosen = select_copies(list(rows), budget)
    report = VerifyCopiesReport(path, budget, not_selected=len(rows) - len(chosen))
    for index, row in enumerate(chosen):
        step = events.byte_progress(
            "Verify external copy", row["backup_id"], index, len(chosen), bytes_total=row["size"]
        )
        with step:
            result = verify_copy(controller, target, row["backup_id"], step.update)
        _record_result(controller, path, result)
        report.copies.append(result)
        events.log(f"{row['backup_id']}: {result.result}", backup_id=row["backup_id"], result=result.result)
    alert_on_damage(controller, path, events)
    return report


def verify_copy(
    controller: Controller, target: Location, backup_id: str, progress: Callable[[int], None]
) -> CopyResult:
    """Check one copy as ``verify`` checks a backup without a key: the manifest's signature and trust, each
    archive's size and SHA-256 (:class:`~azsbackup.archive.checked.HashingStream`). ``progress`` is told the
    archive bytes read so far."""
    manifest_size = 0
    archived = [0]  # archive bytes read so far, across the archives (damaged ones included)
    try:
        manifest, _signer = load_trusted_manifest(controller, target, backup_id)
        manifest_size = target.stat(join(backup_id, MANIFEST)).size
        for _component, ref in archives_of(manifest):

            def count(so_far: int, before: int = archived[0]) -> None:
                archived[0] = before + so_far
                progress(archived[0])

            raw, stream = open_checked_archive(target, manifest, ref, count)
            with raw:
                stream.finish()
    except NotFound as exc:  # a copy that lost a file is a damaged copy: one exit code (integrity) for both
        error = IntegrityError(subject=f"{target.display}/{backup_id}", detail=f"missing: {exc.message}")
        return CopyResult(backup_id, MISSING, exc.message, manifest_size + archived[0], error)
    except (IntegrityError, Untrusted) as exc:
        return CopyResult(backup_id, DAMAGED, exc.message, manifest_size + archived[0], exc)
    return CopyResult(backup_id, VERIFIED, None, manifest_size + archived[0])


def _internal_ids(controller: Controller) -> set[str]:
    """Backups of this controller's catalogue: another controller's folders on a shared location are not ours."""
    return {r["id"] for r in controller.db.execute("SELECT id FROM backups")}


def _record_result(controller: Controller, path: str, result: CopyResult) -> None:
    with transaction(controller.db) as db:
        db.execute(
            """UPDATE external_copies SET verified_at = ?, result = ?, detail = ?
               WHERE location = ? AND backup_id = ?""",
            (_now(), result.result, result.detail, path, result.backup_id),
        )


def alert_on_damage(controller: Controller, path: str, events: EventSink) -> None:
    """Raise (or update) ``external-copy-damaged`` while a copy is known damaged or missing; close it otherwise."""
    from azsbackup.service.alerting import close_alerts, notifiers_for, raise_alert

    rows = controller.db.execute(
        "SELECT * FROM external_copies WHERE location = ? AND result IN (?, ?) ORDER BY backup_id",
        (path, DAMAGED, MISSING),
    ).fetchall()
    notifiers = notifiers_for(controller)
    if not rows:
        close_alerts(controller, {ALERT}, events, notifiers)
        return
    first = rows[0]
    error = f"{first['result'].lower()}: {first['detail']}"
    if len(rows) > 1:
        others = ", ".join(r["backup_id"] for r in rows[1:])
        error += f"; {len(rows) - 1} more damaged or missing: {others}"
    facts = {"backup_id": first["backup_id"], "path": path, "error": error}
    raise_alert(controller, ALERT, facts, events, notifiers)


def run_verification(controller: Controller, events: EventSink, selection: Selection) -> VerifyCopiesReport:
    """``location verify``: open the configured location and verify copies under the controller lock (so no
    export rewrites a copy while it is read), as a ``verify`` job."""
    from azsbackup.service.export import external_location
    from azsbackup.service.jobs import recorded_job

    with (
        controller.exclusive("verify"),
        recorded_job(controller, "verify", events) as job,
        external_location(controller, create_root=False) as target,
    ):
        report = verify_copies(controller, target, events, selection)
        job.backup_id = selection.backup_id
        job.status = "Failed" if report.error is not None else "Succeeded"
        job.result = {
            "external": True,
            "verified": [c.to_dict() for c in report.copies],
            "not_selected": report.not_selected,
        }
        return report
