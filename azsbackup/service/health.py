"""One controller's health, read from its state database alone: what metrics and the fleet view show.

:func:`read_health` runs plain queries inside one read transaction, so the
numbers agree with each other, and takes neither the controller lock nor a
write lock: a backup in progress never blocks a scrape, and a scrape never
changes the controller (no catalogue repair, no schedule set up, no location
opened). The catalogue table it reads is the one every command keeps in step
with the internal store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from azsbackup.model import SCHEMA, BackupStatus, iso, parse_iso
from azsbackup.service.capacity import SpaceOutlook, space_outlook
from azsbackup.service.controller import Controller
from azsbackup.state.config_view import host_name, load_document, next_backup

SEVERITIES = ("Critical", "Warning")
HEALTH_ORDER = ("Unreachable", "Critical", "Warning", "Healthy")
"""Worst first: how the fleet view sorts controllers."""
LOW_SPACE_DAYS = 7


@dataclass(frozen=True)
class ControllerHealth:
    name: str
    home: str
    frequency_hours: int
    scheduler_enabled: bool
    external_path: str | None
    backups: int
    newest: dict[str, Any] | None
    """The newest backup's catalogue row (components decoded), whatever its status."""
    last_success: dt.datetime | None
    active_alerts: list[dict[str, Any]] = field(default_factory=list)
    """code, severity and first_seen of each active alert"""
    next_backup: dt.datetime | None = None
    space: SpaceOutlook | None = None

    def alert_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for alert in self.active_alerts:
            counts[alert["severity"]] = counts.get(alert["severity"], 0) + 1
        return counts


@contextlib.contextmanager
def read_snapshot(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One consistent read of a WAL database: a deferred transaction that only ever reads."""
    db.execute("BEGIN")
    try:
        yield db
    finally:
        db.execute("COMMIT")


def read_health(controller: Controller) -> ControllerHealth:
    with read_snapshot(controller.db) as db:
        config = load_document(db)
        newest = db.execute("SELECT * FROM backups ORDER BY id DESC LIMIT 1").fetchone()
        last_ok = db.execute(
            "SELECT max(created) AS c FROM backups WHERE status = ?", (str(BackupStatus.SUCCEEDED),)
        ).fetchone()["c"]
        alerts = [
            {"code": r["code"], "severity": r["severity"], "first_seen": r["first_seen"]}
            for r in db.execute("SELECT code, severity, first_seen FROM alerts WHERE state = 'Active' ORDER BY id")
        ]
        frequency = int(config["frequency_hours"])
        return ControllerHealth(
            name=config["controller_name"] or host_name(),
            home=str(controller.home),
            frequency_hours=frequency,
            scheduler_enabled=bool(config["scheduler_enabled"]),
            external_path=config["path"],
            backups=int(db.execute("SELECT count(*) FROM backups").fetchone()[0]),
            newest=_backup_row(newest) if newest is not None else None,
            last_success=parse_iso(last_ok),
            active_alerts=alerts,
            next_backup=parse_iso(next_backup(db, int(config["frequency_hours"])))
            if config["scheduler_enabled"]
            else None,
            space=space_outlook(db),
        )


def _backup_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created": row["created"],
        "status": row["status"],
        "duration_s": row["duration_s"],
        "size": row["size"],
        "stored_size": row["stored_size"],
        "components": json.loads(row["components"]),
        "export_status": row["export_status"],
        "export_error": row["export_error"],
        "exported_at": row["exported_at"],
    }


def status_document(health: ControllerHealth, now: dt.datetime) -> dict[str, Any]:
    """``fleet status`` for this controller: one row of the fleet view."""
    newest = health.newest
    created = parse_iso(newest["created"]) if newest else None
    return {
        "schema": SCHEMA,
        "controller": health.name,
        "controller_home": health.home,
        "last_backup": None
        if newest is None
        else {"id": newest["id"], "status": newest["status"], "created": newest["created"]},
        "age_s": None if created is None else max(0, round((now - created).total_seconds())),
        "last_success": iso(health.last_success),
        "export": {
            "configured": health.external_path is not None,
            "status": newest["export_status"] if newest else None,
            "error": newest["export_error"] if newest else None,
            "exported_at": newest["exported_at"] if newest else None,
        },
        "alerts": {severity.lower(): n for severity, n in health.alert_counts().items()},
        "scheduler_enabled": health.scheduler_enabled,
        "frequency_hours": health.frequency_hours,
        "next_backup": iso(health.next_backup),
        "location": health.space.to_dict() if health.space else None,
        "health": health_of(health, now),
    }


def health_of(health: ControllerHealth, now: dt.datetime) -> str:
    """Critical: a critical alert, a failed or missing backup, or none succeeded for twice the frequency;
    Warning: any other alert, a partial backup, a failed export or space for less than a week; else Healthy."""
    newest, counts = health.newest, health.alert_counts()
    stale = health.last_success is None or now - health.last_success > 2 * dt.timedelta(hours=health.frequency_hours)
    if counts.get("Critical") or newest is None or newest["status"] == BackupStatus.FAILED or stale:
        return "Critical"
    days_left = health.space.days_left if health.space else None
    if (
        counts.get("Warning")
        or newest["status"] != BackupStatus.SUCCEEDED
        or newest["export_status"] == "Failed"
        or (days_left is not None and days_left < LOW_SPACE_DAYS)
    ):
        return "Warning"
    return "Healthy"
