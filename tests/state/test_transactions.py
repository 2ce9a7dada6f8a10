"""``transaction()``: an inner block is a savepoint of the outer transaction, never its commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from azsbackup.state.db import transaction


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    connection.execute("CREATE TABLE t (x INTEGER)")
    return connection


def values(tmp_path: Path) -> list[int]:
    """What another connection sees: only committed rows."""
    other = sqlite3.connect(tmp_path / "t.db")
    try:
        return [x for (x,) in other.execute("SELECT x FROM t ORDER BY x")]
    finally:
        other.close()


def test_leaving_an_inner_transaction_does_not_commit_the_outer_one(conn: sqlite3.Connection, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
        assert values(tmp_path) == [], "the inner block committed the outer transaction"
        raise RuntimeError("the outer block fails")
    assert values(tmp_path) == []


def test_a_failing_inner_block_undoes_only_its_own_changes(conn: sqlite3.Connection, tmp_path: Path) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError), transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("the inner block fails")
    assert values(tmp_path) == [1]
