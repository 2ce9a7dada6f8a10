"""Job records: every backup, export, prune, verify and restore leaves one in ``state.db``.

A job row is written when the operation starts (status ``Running``) and
completed when it ends, with its events (JSON lines) stored beside it. A job
whose process died keeps ``Running`` in the table; readers show it as
``Interrupted`` when its process is gone, so history never claims a dead
backup is still running. Listing jobs is one of the start-up-sensitive queries
(:func:`azsbackup.service.queries.job_list`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from azsbackup.errors import AzsBackupError, NotFound
from azsbackup.events import Event, EventSink, where_raised
from azsbackup.model import SCHEMA, Trigger, iso, new_backup_id, utc_now
from azsbackup.service.controller import Controller
from azsbackup.service.queries import job_view
from azsbackup.state.db import transaction

PROGRESS_INTERVAL_S = 1.0


@dataclass
class Job:
    id: str
    kind: str
    trigger: str
    status: str = "Running"
    backup_id: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


def new_job_id() -> str:
    """A job id shaped like a backup id: UTC time to the millisecond and 32 random bits.

    (Seconds and 24 random bits collided when a thousand verifies ran in one minute.)
    """
    return new_backup_id()


@contextlib.contextmanager
def recorded_job(
    controller: Controller, kind: str, events: EventSink, trigger: Trigger = Trigger.MANUAL
) -> Iterator[Job]:
    """Record a job around an operation. The body sets ``job.status``/``job.result``; an exception fails it."""
    job = Job(new_job_id(), kind, str(trigger))
    db = controller.db
    with transaction(db):
        db.execute(
            "INSERT INTO jobs (id, kind, trigger, status, started, result) VALUES (?, ?, ?, 'Running', ?, ?)",
            (
                job.id,
                kind,
                job.trigger,
                iso(utc_now()),
                json.dumps({"pid": os.getpid(), "host": socket.gethostname()}),
            ),
        )
    recorder = _EventRecorder(controller, job.id)
    events.subscribe(recorder)
    try:
        yield job
    except AzsBackupError as exc:
        job.status = "Failed"
        job.result = {**job.result, "error": exc.to_dict()}
        raise
    except BaseException as exc:
        job.status = "Interrupted" if isinstance(exc, KeyboardInterrupt) else "Failed"
        job.result = {**job.result, "error": {"code": "unknown-error", "message": type(exc).__name__}}
        if isinstance(exc, Exception):  # a bug: its traceback goes to the job's events only (the CLI reports it)
            recorder({"type": "error", **job.result["error"], "traceback": where_raised(exc)})
        raise
    finally:
        events.unsubscribe(recorder)
        with transaction(db):
            db.execute(
                "UPDATE jobs SET status = ?, ended = ?, backup_id = ?, result = ? WHERE id = ?",
                (job.status, iso(utc_now()), job.backup_id, json.dumps(job.result, default=str), job.id),
            )


class _EventRecorder:
    """Stores a job's events; progress is thinned to one per second so long jobs stay small."""

    def __init__(self, controller: Controller, job_id: str) -> None:
        self._db = controller.db
        self._job_id = job_id
        self._seq = 0
        self._last_progress = 0.0

    def __call__(self, event: Event) -> None:
        if event.get("type") == "progress":
            now = time.monotonic()
            if now - self._last_progress < PROGRESS_INTERVAL_S and event.get("percent") != 100:
                return
            self._last_progress = now
        self._seq += 1
        self._db.execute(
            "INSERT INTO job_events (job_id, seq, time, type, data) VALUES (?, ?, ?, ?, ?)",
            (self._job_id, self._seq, iso(utc_now()), str(event.get("type")), json.dumps(event, default=str)),
        )


def show_job(controller: Controller, job_id: str) -> dict[str, Any]:
    row = controller.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound(kind="job", name=job_id, how="azsbackup job list")
    events = [
        json.loads(e["data"]) | {"time": e["time"]}
        for e in controller.db.execute("SELECT * FROM job_events WHERE job_id = ? ORDER BY seq", (job_id,))
    ]
    result = {k: v for k, v in json.loads(row["result"] or "{}").items() if k not in ("pid", "host")}
    return {"schema": SCHEMA, **job_view(row), "result": result, "events": events}
