"""State databases of every schema version upgrade without losing anything; a newer one is refused untouched.

Each ``state/schema-N.db`` was written by the engine that introduced schema
version N (see ``state/README.md``); the test upgrades a copy to today's schema
in-process, compares every table with what the fixture's ``.json`` says it held,
then has the engine read it the way operators do.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from azsbackup.errors import StateSchemaTooNew
from azsbackup.state import db as state_db
from tests.engine import Engine

FIXTURES = Path(__file__).parent / "state"
VERSIONS = range(state_db.SCHEMA_VERSION + 1)


def fixture_of(version: int) -> tuple[Path, dict[str, Any]]:
    expected = json.loads((FIXTURES / f"schema-{version}.json").read_text(encoding="utf-8"))
    return FIXTURES / f"schema-{version}.db", expected


def contents(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the fixtures' ``.json`` records, read from a database of today's schema."""
    config = json.loads(conn.execute("SELECT value FROM settings WHERE key = 'configuration'").fetchone()[0])
    return {
        "config": {
            "path": config["path"],
            "frequency_hours": config["frequency_hours"],
            "retention_days": config["retention_days"],
            "encryption_cert_thumbprint": config["encryption_cert"]["thumbprint"],
        },
        "components": [{"name": n, "type": t} for n, t in conn.execute("SELECT name, type FROM components ORDER BY 1")],
        "backups": [
            {"id": i, "status": s, "export_status": e}
            for i, s, e in conn.execute("SELECT id, status, export_status FROM backups ORDER BY id")
        ],
        "jobs": [{"id": i, "kind": k, "status": s} for i, k, s in conn.execute("SELECT id, kind, status FROM jobs")],
        "job_events": conn.execute("SELECT count(*) FROM job_events").fetchone()[0],
        "alerts": [{"id": i, "code": c, "state": s} for i, c, s in conn.execute("SELECT id, code, state FROM alerts")],
        "trusted_keys": [f for (f,) in conn.execute("SELECT fingerprint FROM trusted_keys")],
        "external_copies": [
            {"location": loc, "backup_id": b, "result": r}
            for loc, b, r in conn.execute("SELECT location, backup_id, result FROM external_copies ORDER BY backup_id")
        ],
    }


def test_every_schema_version_has_a_fixture() -> None:
    missing = [v for v in VERSIONS[1:] if not (FIXTURES / f"schema-{v}.db").is_file()]
    assert not missing, (
        f"no fixture database for schema version(s) {missing}: add tests/known_answer/state/schema-N.db "
        "and its .json, written by the engine that introduced the version (see state/README.md)"
    )


@pytest.mark.parametrize("version", VERSIONS[1:])
def test_a_state_database_of_an_earlier_schema_upgrades_with_everything_in_it(version: int, tmp_path: Path) -> None:
    fixture, expected = fixture_of(version)
    home = tmp_path / "controller"
    home.mkdir()
    shutil.copyfile(fixture, home / "state.db")
    conn = state_db.connect(home / "state.db")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == state_db.SCHEMA_VERSION
        # Schema 3 records the external copies: none in a database from before it
        held = {"external_copies": [], **{k: v for k, v in expected.items() if k != "schema_version"}}
        assert contents(conn) == held
    finally:
        conn.close()

    engine = Engine(home)
    config = engine.run("config", "get").json
    assert (config["frequency_hours"], config["retention_days"]) == (6, 3)
    assert config["encryption_cert"]["thumbprint"] == expected["config"]["encryption_cert_thumbprint"]
    assert [c["name"] for c in engine.run("component", "list").json["components"]] == ["etc"]
    assert [a["code"] for a in engine.run("alert", "list").json["alerts"]] == ["invalid-path"]
    assert expected["trusted_keys"][0] in [k["fingerprint"] for k in engine.run("trust", "list").json["keys"]]


def test_a_new_controller_starts_at_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch()  # schema version 0: the empty file
    conn = state_db.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == state_db.SCHEMA_VERSION
    finally:
        conn.close()


def newer_database(path: Path) -> bytes:
    """A database written by a future engine (schema one above ours, its own journal mode); its bytes."""
    shutil.copyfile(fixture_of(state_db.SCHEMA_VERSION)[0], path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("CREATE TABLE from_the_future (x)")
    conn.execute(f"PRAGMA user_version = {state_db.SCHEMA_VERSION + 1}")
    conn.close()
    return hashlib.sha256(path.read_bytes()).digest()


def test_a_newer_schema_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    before = newer_database(path)
    with pytest.raises(StateSchemaTooNew) as refused:
        state_db.connect(path)
    newer = state_db.SCHEMA_VERSION + 1
    assert f"state schema version {newer}" in refused.value.message
    assert f"knows versions up to {state_db.SCHEMA_VERSION}" in refused.value.message
    assert hashlib.sha256(path.read_bytes()).digest() == before, "the refused database was changed"


def test_the_engine_refuses_a_newer_state_database_with_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "controller"
    home.mkdir()
    before = newer_database(home / "state.db")
    for args in (("config", "get"), ("backup", "list")):
        error = Engine(home).error(*args, code="state-schema-too-new", exit_code=10)
        assert f"version {state_db.SCHEMA_VERSION + 1}" in error["message"], error
        assert "release" in error["hint"], error
    assert hashlib.sha256((home / "state.db").read_bytes()).digest() == before


def test_backups_from_before_the_format_version_column_are_format_1(tmp_path: Path) -> None:
    """Schema 2 records each backup's archive format version; every backup made before it was format 1."""
    shutil.copyfile(fixture_of(1)[0], tmp_path / "state.db")
    conn = state_db.connect(tmp_path / "state.db")
    try:
        assert {v for (v,) in conn.execute("SELECT format_version FROM backups")} == {"1"}
    finally:
        conn.close()


def test_copies_recorded_before_an_upgrade_keep_their_verification(tmp_path: Path) -> None:
    """Schema 3 adds ``external_copies``: empty after upgrading a schema-2 database, and a schema-3 database
    keeps when each copy was exported and verified, and the result."""
    shutil.copyfile(fixture_of(2)[0], tmp_path / "state.db")
    conn = state_db.connect(tmp_path / "state.db")
    try:
        assert conn.execute("SELECT count(*) FROM external_copies").fetchone()[0] == 0
        columns = [r[1] for r in conn.execute("PRAGMA table_info(external_copies)")]
        assert columns == ["location", "backup_id", "size", "exported_at", "verified_at", "result", "detail"]
    finally:
        conn.close()
    shutil.copyfile(fixture_of(3)[0], tmp_path / "state3.db")
    conn = state_db.connect(tmp_path / "state3.db")
    try:
        (row,) = conn.execute("SELECT * FROM external_copies").fetchall()
        assert row["result"] == "Verified" and row["exported_at"] and row["verified_at"] and row["size"] > 0
    finally:
        conn.close()
