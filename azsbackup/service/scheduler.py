"""The scheduler: a foreground service process that starts backups every N hours.

Schedule: backups are due at ``anchor + k × frequency``. The anchor is set
when the scheduler first runs (or when the frequency changes), so on-demand
backups never move the next scheduled time. A slot missed while no scheduler
ran is caught up once at start, not once per missed slot.

Each wake-up re-reads the configuration, so enabling, disabling or changing
the frequency takes effect without a restart. The loop sleeps in ``select()``
on a pipe (no busy waiting) that :meth:`Scheduler.stop` writes to; SIGTERM and
SIGINT call it, so the process stops within a moment, after the backup in
progress (if any) ends. Sleeping in a system call that takes a timeout (rather
than on a lock) also lets ``faketime`` compress the clock, which is how the
tests run the hour-based schedule end to end.

Every wake-up also checks the conditions that need no backup to notice:
the certificate expiring or expired, and no successful backup within the
frequency.

After each scheduled backup (and its export) the scheduler re-verifies copies
on the external location, up to the configured byte budget
(``verify_max_bytes``; 0 turns it off): see
:mod:`azsbackup.service.external_copies`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import select
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from azsbackup.errors import AzsBackupError, Locked
from azsbackup.events import EventSink
from azsbackup.model import SCHEMA, BackupStatus, Trigger, iso, parse_iso, utc_now
from azsbackup.service.alerting import (
    check_certificate,
    close_alerts,
    notifiers_for,
    raise_alert,
    resend_to_alertmanager,
)
from azsbackup.service.controller import Controller
from azsbackup.state.config_view import SCHEDULE_ANCHOR_KEY as ANCHOR_KEY
from azsbackup.state.config_view import SCHEDULE_LAST_RUN_KEY as LAST_RUN_KEY
from azsbackup.state.config_view import next_slot
from azsbackup.state.db import get_setting, put_setting

MAX_SLEEP_S = 30.0


@dataclass(frozen=True)
class Schedule:
    enabled: bool
    frequency: dt.timedelta
    anchor: dt.datetime
    last_scheduled: dt.datetime | None

    def next_due(self) -> dt.datetime:
        """The first slot after the last scheduled run (the anchor if there was none)."""
        return next_slot(self.anchor, self.frequency, self.last_scheduled)

    @property
    def started(self) -> dt.datetime:
        """When this schedule began (one period before its first slot)."""
        return self.anchor - self.frequency


def _setting(controller: Controller, key: str) -> str | None:
    return get_setting(controller.db, key)


def _put_setting(controller: Controller, key: str, value: str) -> None:
    put_setting(controller.db, key, value)


def load_schedule(controller: Controller) -> Schedule:
    config = controller.config()
    freq = dt.timedelta(hours=config.frequency_hours)
    anchor_doc = _setting(controller, ANCHOR_KEY)
    anchor: dt.datetime | None = None
    if anchor_doc:
        stored = parse_iso(anchor_doc.split("|")[0])
        if anchor_doc.endswith(f"|{freq.total_seconds()}"):
            anchor = stored
    if anchor is None:
        anchor = utc_now() + freq
        _put_setting(controller, ANCHOR_KEY, f"{iso_precise(anchor)}|{freq.total_seconds()}")
    return Schedule(config.scheduler_enabled, freq, anchor, parse_iso(_setting(controller, LAST_RUN_KEY)))


def iso_precise(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


class Scheduler:
    """Runs scheduled backups until :meth:`stop` (or SIGTERM/SIGINT)."""

    def __init__(
        self,
        controller: Controller,
        events: EventSink,
        *,
        run_backup: Callable[..., Any] | None = None,
    ) -> None:
        from azsbackup.service.backup import BackupOptions
        from azsbackup.service.backup import run_backup as default_run_backup

        self.controller = controller
        self.events = events
        self._run_backup = run_backup or (
            lambda: default_run_backup(controller, events, BackupOptions(trigger=Trigger.SCHEDULED))
        )
        self._stopping = False
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        self._resent: dt.datetime | None = None

    def stop(self) -> None:
        """Stop after the current step; safe from a signal handler and from another thread."""
        self._stopping = True
        with contextlib.suppress(OSError):  # a wake-up is already pending, or the loop has ended
            os.write(self._wake_write, b"x")

    def _sleep(self, seconds: float) -> None:
        select.select([self._wake_read], [], [], max(0.0, seconds))

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """Stop cleanly on SIGTERM and SIGINT while running in the main thread."""
        handled = [signal.SIGTERM, signal.SIGINT]
        previous = {sig: signal.signal(sig, lambda _s, _f: self.stop()) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def run(self) -> None:
        self.events.log("scheduler started", controller=str(self.controller.home))
        while not self._stopping:
            schedule = load_schedule(self.controller)
            now = utc_now()
            self._check_conditions(schedule, now)
            due = schedule.next_due()
            if now >= due:
                _put_setting(self.controller, LAST_RUN_KEY, iso_precise(now))
                self._run_slot(schedule, due)
                continue
            self._sleep(min(MAX_SLEEP_S, (due - now).total_seconds()))
        os.close(self._wake_read)
        os.close(self._wake_write)
        self.events.log("scheduler stopped")

    def _run_slot(self, schedule: Schedule, due: dt.datetime) -> None:
        notifiers = notifiers_for(self.controller)
        if not schedule.enabled:
            last = self.controller.db.execute("SELECT max(created) AS c FROM backups").fetchone()["c"]
            raise_alert(self.controller, "scheduler-disabled", {"last_backup": last or "never"}, self.events, notifiers)
            return
        close_alerts(self.controller, {"scheduler-disabled"}, self.events, notifiers)
        try:
            self._run_backup()
        except Locked as exc:
            self._skipped(due, schedule, exc.message)
            return
        except AzsBackupError as exc:  # recorded as a failed job with its alert by run_backup
            self.events.log(f"scheduled backup failed: {exc.message}", level="error", code=exc.code)
        self._verify_external_copies()

    def _verify_external_copies(self) -> None:
        """Read back what the budget allows of the exported copies; a failure is logged (and recorded as a job)."""
        from azsbackup.service.external_copies import Selection, run_verification

        config = self.controller.config()
        if not config.path or config.verify_max_bytes <= 0:
            return
        try:
            run_verification(self.controller, self.events, Selection())
        except AzsBackupError as exc:
            self.events.log(f"scheduled verification failed: {exc.message}", level="error", code=exc.code)

    def _skipped(self, due: dt.datetime, schedule: Schedule, reason: str) -> None:
        from azsbackup.service.jobs import recorded_job

        with recorded_job(self.controller, "backup", self.events, Trigger.SCHEDULED) as job:
            job.status, job.result = "Skipped", {"reason": reason}
        facts = {"scheduled": iso(due), "reason": reason, "next": iso(due + schedule.frequency)}
        raise_alert(self.controller, "backup-skipped", facts, self.events, notifiers_for(self.controller))

    def _check_conditions(self, schedule: Schedule, now: dt.datetime) -> None:
        check_certificate(self.controller, self.events, now)
        if schedule.enabled:
            check_overdue(self.controller, self.events, now, schedule)
        self._keep_alertmanager_current(now)

    def _keep_alertmanager_current(self, now: dt.datetime) -> None:
        """Re-post the open alerts before Alertmanager lets them expire (see monitoring/alertmanager.py)."""
        from azsbackup.monitoring.alertmanager import RESEND_INTERVAL

        if self._resent is None or now - self._resent >= RESEND_INTERVAL:
            resend_to_alertmanager(self.controller, self.events)
            self._resent = now


def check_overdue(controller: Controller, events: EventSink, now: dt.datetime, schedule: Schedule) -> None:
    """Alert when no backup succeeded for longer than 1.5 periods (since the last one, or the schedule's start)."""
    row = controller.db.execute(
        "SELECT max(created) AS c FROM backups WHERE status = ?", (str(BackupStatus.SUCCEEDED),)
    ).fetchone()
    last = parse_iso(row["c"])
    if now - (last or schedule.started) > schedule.frequency * 1.5:
        facts = {
            "last_backup": iso(last) if last else "never",
            "frequency_hours": schedule.frequency.total_seconds() / 3600,
        }
        raise_alert(controller, "backup-overdue", facts, events, notifiers_for(controller))
    else:
        close_alerts(controller, {"backup-overdue"}, events)


def scheduler_status(controller: Controller) -> dict[str, Any]:
    schedule = load_schedule(controller)
    last = controller.db.execute("SELECT max(created) AS c FROM backups").fetchone()["c"]
    return {
        "schema": SCHEMA,
        "enabled": schedule.enabled,
        "frequency_hours": schedule.frequency.total_seconds() / 3600,
        "last_backup": last,
        "last_scheduled": iso(schedule.last_scheduled),
        "next_backup": iso(schedule.next_due()),
    }
