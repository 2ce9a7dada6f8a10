"""The scheduler process on the real hour-based schedule, its clock compressed by libfaketime.

The engine runs unmodified with its 4-hour frequency; ``FAKETIME="+0 x1800"`` makes four hours pass in
seconds (sleeps included). Checked: backups come at anchor + k × 4 h whatever on-demand backups happen in
between, a disabled scheduler skips and alerts and then resumes, a slot missed while no scheduler ran is
caught up once at start, and an idle scheduler stops within a second of SIGTERM.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from azsbackup.model import parse_iso
from tests.engine import Engine
from tests.fixtures.clock import fake_clock_scheduler
from tests.service.test_jobs_and_lock import wait_for

HOURS = 4
PERIOD = dt.timedelta(hours=HOURS)
SPEED = 1800  # four hours in about eight seconds
LATE = dt.timedelta(minutes=45)  # the first slot also waits for the backup code's imports (≈ 1 s, 20 fake minutes)


def scheduled_times(engine: Engine) -> list[dt.datetime]:
    backups = engine.run("backup", "list").json["backups"]
    return sorted(parse_iso(str(b["created"])) for b in backups if b["trigger"] == "scheduled")  # type: ignore[misc]


def anchor(engine: Engine) -> dt.datetime:
    """The schedule's first slot, as the scheduler stored it (``scheduler status`` shows the next one)."""
    import sqlite3

    with sqlite3.connect(engine.home / "state.db") as db:
        value = db.execute("SELECT value FROM settings WHERE key = 'scheduler.anchor'").fetchone()[0]
    moment = parse_iso(value.split("|")[0])
    assert moment is not None and value.endswith(f"|{PERIOD.total_seconds()}")
    return moment


def test_backups_come_every_four_hours_and_on_demand_backups_do_not_move_them(
    configured: Engine, tmp_path: Path
) -> None:
    configured.run("config", "set", "--scheduler", "--frequency-hours", str(HOURS))
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", f"+0 x{SPEED}") as scheduler:
        wait_for(lambda: len(scheduler.finished_backups()) >= 1, timeout=60)
        configured.run("backup", "start")  # on demand, between two slots, on the real clock
        wait_for(lambda: len(scheduler.finished_backups()) >= 2, timeout=90)
        assert scheduler.stop() == 0
    first = anchor(configured)
    times = scheduled_times(configured)
    assert len(times) >= 2, times
    for slot, created in enumerate(times):
        due = first + slot * PERIOD  # every backup in its own slot: none skipped, none moved, none doubled
        assert due <= created + dt.timedelta(seconds=1) and created - due < LATE, (slot, due, created)
    status = configured.run("scheduler", "status").json
    assert status["enabled"] is True and status["frequency_hours"] == HOURS


def test_disabled_scheduler_skips_and_alerts_then_resumes(configured: Engine, tmp_path: Path) -> None:
    configured.run("config", "set", "--no-scheduler", "--frequency-hours", str(HOURS))
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", f"+0 x{2 * SPEED}") as scheduler:
        wait_for(lambda: any(e.get("code") == "scheduler-disabled" for e in scheduler.events()), timeout=60)
        assert scheduler.finished_backups() == []
        configured.run("config", "set", "--scheduler")  # picked up at the next wake-up, no restart
        wait_for(lambda: len(scheduler.finished_backups()) >= 1, timeout=60)
    assert len(scheduled_times(configured)) >= 1
    assert all(a["code"] != "scheduler-disabled" for a in configured.run("alert", "list").json["alerts"])


def test_a_slot_missed_while_no_scheduler_ran_is_caught_up_once(configured: Engine, tmp_path: Path) -> None:
    configured.run("config", "set", "--scheduler", "--frequency-hours", str(HOURS))
    configured.run("scheduler", "status")  # sets the anchor: the first slot is four hours from now
    # Started 13 hours later (three slots missed), at normal speed: one catch-up backup, not three.
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", "+13h x1") as scheduler:
        wait_for(lambda: len(scheduler.finished_backups()) >= 1, timeout=60)
        time.sleep(2)
    assert len(scheduled_times(configured)) == 1
    status = configured.run("scheduler", "status").json
    next_due = parse_iso(status["next_backup"])
    assert next_due is not None  # the next slot keeps the grid (status shows whole seconds)
    assert abs(next_due - anchor(configured) - 3 * PERIOD) < dt.timedelta(seconds=1)


def test_idle_scheduler_stops_within_a_second_of_sigterm(configured: Engine, tmp_path: Path) -> None:
    configured.run("config", "set", "--scheduler", "--frequency-hours", str(HOURS))
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", "+0 x1") as scheduler:
        wait_for(lambda: any(e.get("message") == "scheduler started" for e in scheduler.events()), timeout=30)
        time.sleep(3)  # past the first wake-up's checks (they load the certificate code): now it sleeps
        started = time.monotonic()
        assert scheduler.stop() == 0
        assert time.monotonic() - started < 1.0


def test_a_scheduled_backup_is_followed_by_the_verification_of_its_copy(configured: Engine, tmp_path: Path) -> None:
    share = tmp_path / "external"
    share.mkdir()
    configured.run("config", "set", "--path", str(share), "--scheduler", "--frequency-hours", str(HOURS))
    configured.run("scheduler", "status")
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", "+5h x1") as scheduler:
        wait_for(lambda: any(str(e.get("message", "")).endswith(": Verified") for e in scheduler.events()), timeout=60)
    (backup_id,) = [b["id"] for b in configured.run("backup", "list").json["backups"]]
    (copy,) = configured.run("location", "copies").json["copies"]
    assert (copy["backup_id"], copy["result"]) == (backup_id, "Verified") and copy["verified_at"] >= copy["exported_at"]
    kinds = [j["kind"] for j in reversed(configured.run("job", "list").json["jobs"])]
    assert kinds == ["backup", "export", "verify"], kinds


def test_no_verification_with_a_budget_of_zero(configured: Engine, tmp_path: Path) -> None:
    share = tmp_path / "external"
    share.mkdir()
    configured.run("config", "set", "--path", str(share), "--scheduler", "--frequency-hours", str(HOURS))
    configured.run("config", "set", "--verify-max-bytes", "0")
    configured.run("scheduler", "status")
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", "+5h x1") as scheduler:
        wait_for(lambda: len(scheduler.finished_backups()) >= 1, timeout=60)
        time.sleep(2)
    assert [j["kind"] for j in configured.run("job", "list").json["jobs"]].count("verify") == 0
    assert [c["verified_at"] for c in configured.run("location", "copies").json["copies"]] == [None]
