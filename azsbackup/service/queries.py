"""The read-only queries behind the PowerShell module's ``Get-`` cmdlets: ``backup list``, ``backup show``,
``job list`` and ``alert list``, each a JSON document built from the state database.

Every cmdlet call starts the engine anew, so how fast these start is what an
operator feels. The full command line and the lean start
(:mod:`azsbackup.fastpath`) both call these functions, so each document is
built in one place; this module therefore imports at load time only what the
queries need in the usual case: no dataclasses, no cryptography, no storage
layer, no typing at run time. What the usual case does not need is imported
where it is used: reconciling the catalogue with the store
(:func:`azsbackup.service.catalog.sync_catalog`) when the two differ, the
errors when a query fails, ``socket`` when a job still claims to be running.
"""

from __future__ import annotations

import datetime as dt
import json
import os

from azsbackup import SCHEMA
from azsbackup.osutil import IS_WINDOWS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from azsbackup.service.controller import Controller

MANIFEST = "manifest.json"
"""What makes a backup's folder a complete backup (also :data:`azsbackup.service.catalog.MANIFEST`)."""

JOB_KINDS = ("backup", "export", "prune", "verify", "restore", "rekey")
JOB_STATUSES = ("Running", "Succeeded", "PartialSucceeded", "Failed", "Skipped", "Interrupted")
JOB_PAGE_DEFAULT = 50
JOB_PAGE_MAX = 10000
"""``job list --limit``: 1 to this many jobs a page."""


# --- backups ---------------------------------------------------------------------------------------------


def backup_document(
    *,
    id: str,
    status: str,
    created: str,
    duration_s: float,
    trigger: str,
    signer: str,
    trusted: bool,
    size: int,
    stored_size: int,
    format_version: str,
    export: dict[str, Any],
    components: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """One backup as the JSON API shows it; without ``components`` (``None``) as ``backup list`` shows it."""
    doc: dict[str, Any] = {
        "id": id,
        "status": status,
        "created": created,
        "duration_s": round(duration_s, 3),
        "trigger": trigger,
        "signer": signer,
        "trusted": trusted,
        "size": size,
        "stored_size": stored_size,
        "format_version": format_version,
        "export": export,
    }
    if components is not None:
        doc["components"] = components
    return doc


BACKUP_COLUMNS = (
    "id, status, created, duration_s, trigger, signer, size, stored_size, format_version, export_status, export_error"
)
"""The columns of the ``backups`` table a backup's document is built from (``components`` aside)."""


def _backup_of_values(values: tuple[Any, ...], trusted: set[str], components: str | None) -> dict[str, Any]:
    """A backup's document from :data:`BACKUP_COLUMNS`, in that order, and its components (JSON text) if shown."""
    backup_id, status, created, duration_s, trigger, signer, size, stored_size, version, export, error = values
    return backup_document(
        id=backup_id,
        status=status,
        created=created,
        duration_s=duration_s,
        trigger=trigger,
        signer=signer,
        trusted=signer in trusted,
        size=size,
        stored_size=stored_size,
        format_version=version,
        export={"status": export, "path": None, "error": error},
        components=None if components is None else json.loads(components),
    )


def _plain_rows(controller: Controller, query: str, *parameters: str) -> list[tuple[Any, ...]]:
    """Rows as tuples: a listing of every backup builds no :class:`sqlite3.Row` for each."""
    cursor = controller.db.cursor()
    cursor.row_factory = None
    try:
        return cursor.execute(query, parameters).fetchall()
    finally:
        cursor.close()


def listed_signers(controller: Controller) -> set[str]:
    """The fingerprints a listing marks as trusted: the pinned keys and the controller's own.

    The controller's own is read from its public half (``signing.pub``), which
    loads no cryptography; verify and restore decide trust with the key itself
    (:meth:`Controller.trusted_fingerprints`).
    """
    pinned = {row["fingerprint"] for row in controller.db.execute("SELECT fingerprint FROM trusted_keys")}
    return pinned | {controller.signing_fingerprint}


def _store_matches_catalogue(controller: Controller) -> bool:
    """True when the internal store holds exactly the backups the ``backups`` table lists.

    A cheap look at the store's directory (one ``stat`` a backup); when it
    says anything else (a backup the table does not know, one deleted by hand,
    a folder that is not a backup, an unreadable store) the caller reconciles
    with :func:`azsbackup.service.catalog.sync_catalog`, which decides.
    """
    from azsbackup.service.controller import STORE_DIR

    try:
        in_store = _complete_folders(str(controller.home / STORE_DIR))
    except FileNotFoundError:
        in_store = set()
    except OSError:
        return False
    known = {row[0] for row in _plain_rows(controller, "SELECT id FROM backups")}
    return in_store == known


def _complete_folders(store: str) -> set[str]:
    """The folders of ``store`` that hold a manifest (what :func:`catalog.complete_ids` gives for a valid id).

    ``os.path`` and, where the platform has it, a directory descriptor rather
    than a Path for each entry: this runs for every backup on every listing.
    """
    if os.stat not in os.supports_dir_fd or os.scandir not in os.supports_fd:  # Windows
        with os.scandir(store) as entries:
            folders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        return {os.path.basename(f) for f in folders if os.path.exists(os.path.join(f, MANIFEST))}  # noqa: PTH110,PTH118,PTH119
    descriptor = os.open(store, os.O_RDONLY)
    try:
        with os.scandir(descriptor) as entries:
            names = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        complete = set()
        for name in names:
            try:
                os.stat(f"{name}/{MANIFEST}", dir_fd=descriptor)
            except OSError:
                continue
            complete.add(name)
        return complete
    finally:
        os.close(descriptor)


def current_catalogue(controller: Controller) -> None:
    """Bring the ``backups`` table up to date with the internal store (nothing to do, usually)."""
    if not _store_matches_catalogue(controller):
        from azsbackup.service.catalog import sync_catalog

        sync_catalog(controller)


def backup_list(controller: Controller) -> dict[str, Any]:
    """``backup list``: every complete backup in the internal store, oldest first, without components."""
    current_catalogue(controller)
    rows = _plain_rows(controller, f"SELECT {BACKUP_COLUMNS} FROM backups ORDER BY id")  # noqa: S608 - fixed text
    trusted = listed_signers(controller) if rows else set()
    return {"schema": SCHEMA, "backups": [_backup_of_values(r, trusted, None) for r in rows]}


def backup_show(controller: Controller, backup_id: str) -> dict[str, Any]:
    """``backup show ID``: one backup with its components."""
    current_catalogue(controller)
    query = f"SELECT {BACKUP_COLUMNS}, components FROM backups WHERE id = ?"  # noqa: S608 - fixed text
    rows = _plain_rows(controller, query, backup_id)
    if not rows:
        from azsbackup.errors import NotFound
        from azsbackup.model import check_backup_id

        check_backup_id(backup_id)  # a malformed id is told as such, not as a backup that is missing
        raise NotFound(kind="backup", name=backup_id, how="azsbackup backup list")
    *values, components = rows[0]
    return {"schema": SCHEMA, **_backup_of_values(tuple(values), listed_signers(controller), components)}


# --- jobs ------------------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if IS_WINDOWS:  # pragma: no cover - os.kill(pid, 0) would send CTRL_C_EVENT there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError among them: the process exists
        return True
    return True


def _effective_status(row: Mapping[str, Any]) -> str:
    """A job whose process died keeps ``Running`` in the table; it is shown as ``Interrupted``."""
    if row["status"] != "Running":
        return str(row["status"])
    import socket

    owner = json.loads(row["result"] or "{}")
    if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int) and not _pid_alive(owner["pid"]):
        return "Interrupted"
    return "Running"


def _moment(text: str | None) -> dt.datetime | None:
    # azsbackup.model.parse_iso, without importing the model's dataclasses (a test holds them together).
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def job_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """One job as ``job list`` shows it (``job show`` adds its result and events)."""
    started, ended = _moment(row["started"]), _moment(row["ended"])
    return {
        "id": row["id"],
        "kind": row["kind"],
        "trigger": row["trigger"],
        "status": _effective_status(row),
        "started": row["started"],
        "ended": row["ended"],
        "duration_s": round((ended - started).total_seconds(), 3) if started and ended else None,
        "backup_id": row["backup_id"],
    }


def _since(text: str) -> str:
    """``--since`` as the stored form of a time (ISO 8601 in UTC with ``Z``); a time without a zone is UTC."""
    from azsbackup.errors import InvalidValue
    from azsbackup.model import iso, parse_iso

    try:
        moment = parse_iso(text)
    except ValueError as exc:
        raise InvalidValue(
            field="since", value=repr(text), allowed="an ISO 8601 time such as 2026-11-24T08:00Z"
        ) from exc
    if moment is None:
        raise InvalidValue(field="since", value=repr(text), allowed="an ISO 8601 time")
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) or ""


def job_list(
    controller: Controller,
    *,
    kind: str | None = None,
    status: str | None = None,
    since: str | None = None,
    limit: int = JOB_PAGE_DEFAULT,
    offset: int = 0,
) -> dict[str, Any]:
    """``job list``: newest first, filtered; ``since`` is an ISO 8601 time."""
    clauses, params = [], []
    if kind:
        clauses.append("kind = ?")
        params.append(kind)
    if since:
        clauses.append("started >= ?")
        params.append(_since(since))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    query = f"SELECT * FROM jobs {where} ORDER BY started DESC, rowid DESC"  # noqa: S608 - clauses are fixed strings
    if status:  # the status shown is decided per job (a dead Running job is Interrupted): filter the views
        jobs = [j for j in map(job_view, controller.db.execute(query, params)) if j["status"] == status]
        return {"schema": SCHEMA, "jobs": jobs[offset : offset + limit], "total": len(jobs)}
    total = controller.db.execute(f"SELECT count(*) FROM jobs {where}", params).fetchone()[0]  # noqa: S608
    page = controller.db.execute(f"{query} LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"schema": SCHEMA, "jobs": [job_view(r) for r in page], "total": total}


# --- alerts ----------------------------------------------------------------------------------------------


def alert_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "severity": row["severity"],
        "state": row["state"],
        "title": row["title"],
        "description": row["description"],
        "remediation": row["remediation"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "count": row["count"],
        "closed": row["closed"],
    }


def alert_list(controller: Controller, *, include_closed: bool = False) -> dict[str, Any]:
    """``alert list``: the active alerts (with ``include_closed``, every alert), oldest first."""
    where = "" if include_closed else " WHERE state = 'Active'"
    query = f"SELECT * FROM alerts{where} ORDER BY id"  # noqa: S608 - fixed strings only
    return {"schema": SCHEMA, "alerts": [alert_view(r) for r in controller.db.execute(query)]}
