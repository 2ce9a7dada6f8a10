"""The controller's SQLite database: schema, migrations and a connection helper.

The schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` is an
append-only list, entry *n* bringing the schema from version *n* to *n+1*.
An engine that finds a newer schema than it knows refuses to touch it.

Secrets are never stored here (they live in the owner-only secrets file), so
the controller's self-backup can include this database as it is.
"""

from __future__ import annotations

import contextlib
import sqlite3

# This module is on the path of ``config get``, whose start-up time is what operators feel:
# azsbackup.errors is imported where an error is raised (that query raises none), and
# typing and the annotation-only names below are not imported at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: initial schema
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL                      -- JSON
    );
    CREATE TABLE components (
        name     TEXT PRIMARY KEY,
        type     TEXT NOT NULL,
        settings TEXT NOT NULL,                  -- JSON, never secrets
        enabled  INTEGER NOT NULL DEFAULT 1,
        created  TEXT NOT NULL
    );
    CREATE TABLE backups (
        id            TEXT PRIMARY KEY,          -- sortable: creation time first
        created       TEXT NOT NULL,
        status        TEXT NOT NULL,
        trigger       TEXT NOT NULL,
        duration_s    REAL NOT NULL,
        size          INTEGER NOT NULL,
        stored_size   INTEGER NOT NULL,
        signer        TEXT NOT NULL,
        components    TEXT NOT NULL,             -- JSON list from the manifest
        export_status TEXT,                      -- NULL: no external location at the time
        export_error  TEXT,
        exported_at   TEXT
    );
    CREATE TABLE jobs (
        id         TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        trigger    TEXT NOT NULL,
        status     TEXT NOT NULL,
        started    TEXT NOT NULL,
        ended      TEXT,
        backup_id  TEXT,
        result     TEXT                          -- JSON
    );
    CREATE INDEX jobs_started ON jobs (started);
    CREATE TABLE job_events (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        time   TEXT NOT NULL,
        type   TEXT NOT NULL,
        data   TEXT NOT NULL,                    -- JSON
        PRIMARY KEY (job_id, seq)
    );
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        code        TEXT NOT NULL,
        severity    TEXT NOT NULL,
        state       TEXT NOT NULL,               -- Active | Closed
        title       TEXT NOT NULL,
        description TEXT NOT NULL,
        remediation TEXT NOT NULL,
        facts       TEXT NOT NULL,               -- JSON
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL,
        count       INTEGER NOT NULL,
        closed      TEXT
    );
    CREATE INDEX alerts_state ON alerts (state, code);
    CREATE TABLE trusted_keys (
        fingerprint TEXT PRIMARY KEY,
        added       TEXT NOT NULL,
        note        TEXT NOT NULL DEFAULT ''
    );
    """,
    # 1 -> 2: the archive format version of each backup (every backup made before it is format 1)
    """
    ALTER TABLE backups ADD COLUMN format_version TEXT NOT NULL DEFAULT '1';
    """,
    # 2 -> 3: each backup's copy on the external location, and when it was last read back and verified
    """
    CREATE TABLE external_copies (
        location    TEXT NOT NULL,               -- the configured external path the copy is on
        backup_id   TEXT NOT NULL,
        size        INTEGER NOT NULL,            -- bytes a verification reads (archives and manifest)
        exported_at TEXT,                        -- NULL: found on the location, exported before it was recorded
        verified_at TEXT,                        -- NULL: not verified since it was (re-)exported
        result      TEXT,                        -- Verified | Damaged | Missing; NULL: never verified
        detail      TEXT,                        -- what did not match
        PRIMARY KEY (location, backup_id)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the state database at ``path``.

    A database of a newer schema is refused before anything is written to it.
    """
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        version = _refuse_newer(conn, path)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, version)
    except BaseException:
        conn.close()
        raise
    return conn


_UNAVAILABLE = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_IOERR: "a disk I/O error",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_CANTOPEN: "it cannot be opened",
}


def unavailable_reason(exc: sqlite3.Error) -> str | None:
    """Why the database could not be used, when ``exc`` says the file system failed it (not a bug in a query)."""
    primary = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # extended codes (SQLITE_IOERR_SHMSIZE) keep the primary low
    return _UNAVAILABLE.get(primary)


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of the database; raise StateSchemaTooNew if this engine does not know it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        from azsbackup.errors import StateSchemaTooNew

        raise StateSchemaTooNew(path=path, version=version, supported=SCHEMA_VERSION)
    return version


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for target in range(version, SCHEMA_VERSION):
        try:
            conn.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[target]}; PRAGMA user_version = {target + 1}; COMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception.

    Read what the change depends on inside the block: ``BEGIN IMMEDIATE``
    takes the write lock first, so no other process writes between the read
    and the write. Inside another transaction the block is a savepoint of it:
    leaving the inner block never commits the outer one, and an exception
    undoes only the inner block's changes (the outer one decides).
    """
    nested = conn.in_transaction
    with _savepoint(conn) if nested else _immediate(conn):
        yield conn


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("SAVEPOINT nested")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO nested")
        conn.execute("RELEASE nested")
        raise
    conn.execute("RELEASE nested")


def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    """One row of the ``settings`` table (its JSON or plain text value), or None."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def put_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Insert or replace one row of the ``settings`` table."""
    with transaction(conn) as db:
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
