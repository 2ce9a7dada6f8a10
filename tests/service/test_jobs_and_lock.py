"""One backup at a time, crash recovery of the lock, and the job history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from azsbackup.service.jobs import new_job_id
from tests.engine import Engine
from tests.fixtures.controllers import CertPair


def slow_component(engine: Engine, seconds: float) -> None:
    engine.run(
        "component",
        "add",
        "slow",
        "--type",
        "command",
        "--dump-command",
        f"{sys.executable} -c \"import time; time.sleep({seconds}); print('done')\"",
    )


def start_backup(engine: Engine) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "azsbackup", "--json", "backup", "start"],
        env=engine.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def wait_for(predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_second_backup_fails_fast_while_one_runs(configured: Engine) -> None:
    slow_component(configured, 4)
    first = start_backup(configured)
    wait_for(lambda: (configured.home / "controller.lock.json").exists())

    started = time.monotonic()
    doc = configured.error("backup", "start", code="locked", exit_code=13)
    assert time.monotonic() - started < 5
    assert "already running" in doc["message"] and f"pid {first.pid}" in doc["message"]

    _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err


def test_killed_backup_leaves_no_stuck_lock_and_no_complete_backup(configured: Engine) -> None:
    slow_component(configured, 8)
    victim = start_backup(configured)
    wait_for(lambda: (configured.home / "controller.lock.json").exists())
    time.sleep(0.3)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    assert configured.run("backup", "list").json["backups"] == []
    jobs = configured.run("job", "list").json["jobs"]
    assert [j["status"] for j in jobs] == ["Interrupted"]

    configured.run("component", "remove", "slow")
    backup = configured.run("backup", "start").json
    assert backup["status"] == "Succeeded"
    configured.run("backup", "verify", backup["id"])
    assert [j["status"] for j in configured.run("job", "list", "--kind", "backup").json["jobs"]] == [
        "Succeeded",
        "Interrupted",
    ]


def test_job_history_records_every_operation(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    source = tmp_path / "tree"
    source.mkdir()
    (source / "a.txt").write_text("a")
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    configured.run("backup", "verify", backup_id)
    configured.run(
        "restore",
        backup_id,
        "--key",
        str(cert_pair.pfx),
        "--key-password-stdin",
        "--to",
        str(tmp_path / "out"),
        input=cert_pair.password + "\n",
    )
    configured.error("backup", "verify", "20200101T000000Z-00000000", code="not-found", exit_code=14)

    jobs = configured.run("job", "list").json["jobs"]
    assert [(j["kind"], j["status"]) for j in jobs] == [
        ("verify", "Failed"),
        ("restore", "Succeeded"),
        ("verify", "Succeeded"),
        ("backup", "Succeeded"),
    ]
    assert all(j["trigger"] == "manual" and j["started"] and j["ended"] for j in jobs)
    assert configured.run("job", "list", "--kind", "restore").json["total"] == 1
    assert configured.run("job", "list", "--status", "Failed").json["jobs"][0]["kind"] == "verify"
    assert len(configured.run("job", "list", "--limit", "2").json["jobs"]) == 2

    shown = configured.run("job", "show", jobs[-1]["id"]).json
    assert shown["backup_id"] == backup_id
    assert any(e["type"] == "component_status" and e["component"]["name"] == "tree" for e in shown["events"])
    configured.error("job", "show", "nope", code="not-found", exit_code=14)
    configured.error("job", "list", "--since", "yesterday", code="invalid-value", exit_code=10)


def test_job_ids_are_unique_when_jobs_start_in_quick_succession() -> None:
    # Ids of seconds and 24 random bits collided (a thousand in-process verifies in a minute): 20 000 such
    # ids drawn within a second share one about a dozen times.
    ids = [new_job_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids, key=lambda i: i.split("-")[0])  # still sortable by when the job started
