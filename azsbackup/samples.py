"""The quickstart's sample sources: a directory tree, a SQLite database, and a writer busy on that database.

Demonstration data, not an operation: :mod:`azsbackup.service.quickstart`
backs these up with the same service functions as every other command.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

WRITER_LIMIT_S = 60
"""The writer stops by itself after this long, whatever happens to the backup."""


def make_sample_tree(path: Path) -> None:
    (path / "etc" / "conf.d").mkdir(parents=True)
    (path / "var" / "empty").mkdir(parents=True)
    (path / "etc" / "service.json").write_text(json.dumps({"replicas": 3, "endpoint": "https://infra.local"}))
    (path / "etc" / "conf.d" / "zürich-région.conf").write_text("# non-ASCII name\nregion = zurich\n")
    (path / "etc" / "empty.conf").write_bytes(b"")
    (path / "var" / "state.bin").write_bytes(secrets.token_bytes(256 * 1024))
    (path / "var" / "log.txt").write_text("".join(f"line {i} ok\n" for i in range(20000)))
    with contextlib.suppress(OSError):  # Windows without the symlink privilege: the demo goes on without it
        (path / "etc" / "current.json").symlink_to("service.json")
    (path / "var" / "state.bin").chmod(0o600)


def make_sample_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE quota (tenant TEXT PRIMARY KEY, cores INTEGER NOT NULL)")
        db.executemany("INSERT INTO quota VALUES (?, ?)", [(f"tenant-{i}", i % 64) for i in range(5000)])
    db.close()


class DatabaseWriter(threading.Thread):
    """Commits to the sample database while the backup runs, to show the snapshot is consistent."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.commits = 0

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            deadline = time.monotonic() + WRITER_LIMIT_S
            while not self.stop.is_set() and time.monotonic() < deadline:
                with db:
                    db.execute(
                        "UPDATE quota SET cores = cores + 1 WHERE tenant = ?",
                        (f"tenant-{self.commits % 5000}",),
                    )
                self.commits += 1
                time.sleep(0.001)
        finally:
            db.close()


@contextlib.contextmanager
def writes_during(path: Path) -> Iterator[DatabaseWriter]:
    """Commit to the database at ``path`` from another thread for the duration of the block."""
    writer = DatabaseWriter(path)
    writer.start()
    try:
        yield writer
    finally:
        writer.stop.set()
        writer.join(10)
