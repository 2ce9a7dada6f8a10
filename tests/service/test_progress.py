"""Progress in bytes within a component: throttled events, increasing, ending exactly at the total."""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from azsbackup.events import PROGRESS_INTERVAL_S, ByteProgress, Event, EventSink
from azsbackup.service.backup import run_backup
from azsbackup.service.controller import Controller
from tests.engine import Engine
from tests.fixtures.controllers import CertPair

MIB = 1 << 20
PROGRESS_FIELDS = {
    "type",
    "activity",
    "status",
    "done",
    "total",
    "percent",
    "component",
    "bytes_done",
    "bytes_total",
    "rate",
    "seconds_remaining",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_byte_progress_waits_the_interval_between_events_and_ends_at_the_total() -> None:
    events: list[Event] = []
    clock = Clock()
    step = ByteProgress(EventSink(events.append), "Backup", "tree (1/2)", 0, 2, "tree", None, clock=clock)
    step.expect(10 * MIB)
    for _ in range(10):  # ten blocks within one interval: no event
        clock.now += PROGRESS_INTERVAL_S / 20
        step.advance(MIB // 2)
    assert len(events) == 1, "only the start event until the interval has passed"
    clock.now += PROGRESS_INTERVAL_S
    step.advance(MIB)
    assert len(events) == 2
    assert events[1]["bytes_done"] == 6 * MIB and events[1]["bytes_total"] == 10 * MIB
    assert events[1]["percent"] == 60
    assert events[1]["rate"] == round(6 * MIB / (PROGRESS_INTERVAL_S * 1.5))
    assert events[1]["seconds_remaining"] == round(4 * MIB / events[1]["rate"])
    step.advance(3 * MIB)  # no time passed: throttled
    assert len(events) == 2
    step.finish()
    final = events[-1]
    assert len(events) == 3 and final["bytes_done"] == final["bytes_total"] == 9 * MIB  # the file shrank
    assert final["percent"] == 100 and final["seconds_remaining"] == 0
    assert all(set(e) == PROGRESS_FIELDS for e in events)


def test_a_step_with_an_unknown_total_reports_no_percent_until_it_ends() -> None:
    events: list[Event] = []
    clock = Clock()
    with ByteProgress(EventSink(events.append), "Backup", "dump (1/1)", 0, 1, "dump", None, clock=clock) as step:
        clock.now += PROGRESS_INTERVAL_S
        step.advance(5 * MIB)
    assert [(e["bytes_total"], e["percent"], e["seconds_remaining"]) for e in events] == [
        (None, None, None),
        (None, None, None),
        (5 * MIB, 100, 0),
    ]


def test_a_failed_step_gets_no_final_event() -> None:
    events: list[Event] = []
    with pytest.raises(OSError), ByteProgress(EventSink(events.append), "Restore", "tree", 0, 1, "tree", 100):
        raise OSError("disk gone")
    assert [e["bytes_done"] for e in events] == [0]


def _component_events(events: list[Event], component: str) -> list[Event]:
    return [e for e in events if e["type"] == "progress" and e["component"] == component]


@pytest.fixture
def big_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "big.bin").write_bytes(os.urandom(40 * MIB))
    (tree / "sub" / "small.txt").write_text("x" * 1000)
    (tree / "skipped.log").write_text("left out by --exclude")
    return tree


def test_events_arrive_during_a_multi_mib_component(configured: Engine, big_tree: Path) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(big_tree), "--exclude", "*.log")
    received: list[Event] = []
    controller = Controller(configured.home)
    try:
        run_backup(controller, EventSink(received.append, progress_interval=0.0))
    finally:
        controller.close()
    tree = _component_events(received, "tree")
    expected = 40 * MIB + 1000
    assert len(tree) >= 10, "one event per 4 MiB segment at least"
    done = [e["bytes_done"] for e in tree]
    assert done == sorted(done) and len(set(done)) >= 10, "bytes_done increases during the component"
    totals = [e["bytes_total"] for e in tree[1:]]
    # The sizes are summed beside the backup: the total is there from the first events on, and stays.
    assert set(totals) <= {None, expected}, "the walk's sizes, without the excluded file"
    assert None not in totals[totals.index(expected) :] and totals.count(expected) >= len(totals) - 1, totals
    assert tree[-1]["bytes_done"] == tree[-1]["bytes_total"] == expected
    assert tree[-1]["percent"] == 100
    assert any(e["rate"] and e["seconds_remaining"] is not None for e in tree[1:-1])


def test_consecutive_events_of_a_component_are_throttled(configured: Engine, big_tree: Path) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(big_tree))
    interval = 0.02
    arrivals: list[tuple[float, Event]] = []
    controller = Controller(configured.home)
    try:
        run_backup(controller, EventSink(lambda e: arrivals.append((time.monotonic(), e)), progress_interval=interval))
    finally:
        controller.close()
    timed = [(t, e) for t, e in arrivals if e["type"] == "progress" and e["component"] == "tree"]
    assert timed[-1][1]["bytes_done"] == timed[-1][1]["bytes_total"]
    between = timed[:-1]  # the final event may follow the last one at once
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(between)]
    assert all(gap >= interval * 0.99 for gap in gaps), gaps


def _progress(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("type") == "progress"]


def test_every_progress_event_of_every_operation_carries_every_field(
    configured: Engine, big_tree: Path, tmp_path: Path, cert_pair: CertPair
) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.executemany("INSERT INTO t VALUES (?)", [(os.urandom(1000),) for _ in range(2000)])
    connection.close()
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(big_tree))
    configured.run("component", "add", "db", "--type", "sqlite", "--path", str(db))
    configured.run("component", "add", "dump", "--type", "command", "--dump-command", "head -c 5000000 /dev/zero")
    (tmp_path / "external").mkdir()
    configured.run("config", "set", "--path", str(tmp_path / "external"))
    key = ["--key", str(cert_pair.pfx), "--key-password-stdin"]

    backup = configured.run("backup", "start")
    backup_id = backup.json["id"]
    runs = {
        "backup": backup,
        "verify": configured.run("backup", "verify", backup_id),
        "verify --deep": configured.run("backup", "verify", backup_id, "--deep", *key, input=cert_pair.password + "\n"),
        "restore": configured.run(
            "restore", backup_id, *key, "--to", str(tmp_path / "out"), input=cert_pair.password + "\n"
        ),
    }
    for name, run in runs.items():
        events = _progress(run.events())
        assert events, f"{name}: no progress"
        for event in events:
            assert set(event) == PROGRESS_FIELDS, f"{name}: {event}"
    by_activity = {e["activity"] for run in runs.values() for e in _progress(run.events())}
    assert by_activity == {"Backup", "Export", "Verify", "Restore"}

    backup_events = _progress(backup.events())
    finals = {e["component"]: e for e in backup_events if e["activity"] == "Backup" and e["component"]}
    assert finals["db"]["bytes_done"] == finals["db"]["bytes_total"] == db.stat().st_size
    assert finals["dump"]["bytes_done"] == finals["dump"]["bytes_total"] == 5_000_000
    first_dump = next(e for e in backup_events if e["component"] == "dump")
    assert first_dump["bytes_total"] is None and first_dump["percent"] is None, "a dump's size is unknown"
    manifest = configured.run("backup", "show", backup_id).json
    stored = {c["name"]: c["stored_size"] for c in manifest["components"]}
    exported = {e["component"]: e for e in backup_events if e["activity"] == "Export" and e["component"]}
    assert {name: e["bytes_total"] for name, e in exported.items()} == stored, "export counts the archives"
    restored = {e["component"]: e for e in _progress(runs["restore"].events()) if e["component"]}
    assert {name: e["bytes_done"] for name, e in restored.items()} == {n: stored[n] for n in restored}
