"""Two ``config set`` processes at once, each changing a different field: both changes survive.

The test holds the state database's write lock while it starts both processes,
and releases it only once each is waiting for that lock (sleeping in SQLite's
busy handler), so both are as far as they can get before either writes: an
update that read the configuration before it asked for the lock then writes
back a stale copy of the other field.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.engine import Engine

WAIT_S = 60.0


def sleeping_in_busy_handler(pid: int) -> bool:
    """SQLite's busy handler waits for a lock in short sleeps; the kernel shows where the process waits."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() == "hrtimer_nanosleep"
    except OSError:
        return False


def start_config_set(engine: Engine, *args: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "azsbackup", "--json", "config", "set", *args]
    return subprocess.Popen(
        argv, env=engine.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_concurrent_updates_of_different_fields_both_survive(configured: Engine) -> None:
    configured.run("config", "set", "--frequency-hours", "12", "--retention-days", "7")
    holder = sqlite3.connect(configured.home / "state.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    processes = [
        start_config_set(configured, "--frequency-hours", "6"),
        start_config_set(configured, "--retention-days", "3"),
    ]
    try:
        deadline = time.monotonic() + WAIT_S
        while not all(sleeping_in_busy_handler(p.pid) for p in processes):
            assert all(p.poll() is None for p in processes), "a config set ended while the database was locked"
            assert time.monotonic() < deadline, "the config set processes never waited for the database lock"
            time.sleep(0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for process in processes:
        stdout, stderr = process.communicate(timeout=WAIT_S)
        assert process.returncode == 0, (stdout, stderr)

    config = configured.run("config", "get").json
    assert (config["frequency_hours"], config["retention_days"]) == (6, 3), (
        f"one update was lost: frequency_hours {config['frequency_hours']} (set 6), "
        f"retention_days {config['retention_days']} (set 3)"
    )
