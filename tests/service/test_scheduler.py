"""The scheduler process: on time, enable/disable, not shifted by on-demand backups, quick clean stop."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time

from azsbackup.model import parse_iso
from tests.engine import Engine
from tests.service.test_jobs_and_lock import wait_for

PERIOD = 3


def start_scheduler(engine: Engine) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "azsbackup", "--log-json", "scheduler", "run", "--frequency-seconds", str(PERIOD)],
        env=engine.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def scheduled(engine: Engine) -> list[dict[str, object]]:
    return [b for b in engine.run("backup", "list").json["backups"] if b["trigger"] == "scheduled"]


def stop(process: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    return time.monotonic() - started


def test_scheduler_runs_on_time_and_ignores_on_demand_backups(configured: Engine) -> None:
    configured.run("config", "set", "--scheduler")
    scheduler = start_scheduler(configured)
    try:
        wait_for(lambda: len(scheduled(configured)) >= 1, timeout=PERIOD * 4)
        configured.run("backup", "start")  # on demand, between two slots
        wait_for(lambda: len(scheduled(configured)) >= 3, timeout=PERIOD * 6)
    finally:
        assert stop(scheduler) < 1.0 + 10  # a running backup may finish first; idle stop is measured below
    times = [parse_iso(str(b["created"])) for b in scheduled(configured)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert all(PERIOD - 1.5 <= gap <= PERIOD + 1.5 for gap in gaps), gaps
    status = configured.run("scheduler", "status", "--frequency-seconds", str(PERIOD)).json
    assert status["enabled"] is True and status["next_backup"] > status["last_scheduled"]


def test_disabled_scheduler_skips_and_alerts_then_resumes(configured: Engine) -> None:
    configured.run("config", "set", "--no-scheduler")
    scheduler = start_scheduler(configured)
    try:
        wait_for(
            lambda: any(a["code"] == "scheduler-disabled" for a in configured.run("alert", "list").json["alerts"]),
            timeout=PERIOD * 4,
        )
        assert scheduled(configured) == []
        configured.run("config", "set", "--scheduler")
        wait_for(lambda: len(scheduled(configured)) >= 1, timeout=PERIOD * 4 + 35)
    finally:
        stop(scheduler)
    assert all(a["code"] != "scheduler-disabled" for a in configured.run("alert", "list").json["alerts"])


def test_idle_scheduler_stops_within_a_second_of_sigterm(configured: Engine) -> None:
    scheduler = start_scheduler(configured)
    wait_for(
        lambda: configured.run("scheduler", "status", "--frequency-seconds", str(PERIOD)).json["enabled"] is not None,
        timeout=10,
    )
    time.sleep(0.5)
    assert stop(scheduler) < 1.0
    assert scheduler.returncode == 0
