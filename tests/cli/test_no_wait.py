"""``backup start --no-wait``: the backup runs on in its own process; the caller gets the job id at once."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.engine import Engine

GATE_WAIT_S = 60


def gated_dump_command(gate: Path) -> str:
    """A dump that waits (at most GATE_WAIT_S) until the test creates ``gate``: the backup runs as long as needed."""
    loops = GATE_WAIT_S * 20
    script = f"i=0; while [ ! -e {shlex.quote(str(gate))} ] && [ $i -lt {loops} ]; do sleep 0.05; i=$((i+1)); done"
    return f"sh -c {shlex.quote(script + '; echo dumped')}"


def wait_for_job(engine: Engine, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = engine.run("job", "show", job_id).json
        if job["status"] != "Running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


def test_no_wait_returns_at_once_and_the_backup_outlives_its_caller(configured: Engine, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    configured.run("component", "add", "slow", "--type", "command", "--dump-command", gated_dump_command(gate))
    # The caller runs in a shell that kills its whole process group as soon as the command returns:
    # a backup left in the caller's group, or waiting on its pipes, would die with it.
    engine = shlex.join([sys.executable, "-m", "azsbackup", "--json", "backup", "start", "--no-wait"])
    caller = subprocess.run(
        ["sh", "-c", f"{engine} > {shlex.quote(str(tmp_path / 'out.json'))}; kill -KILL 0"],
        env=configured.env,
        start_new_session=True,
        capture_output=True,
        timeout=120,
    )
    assert caller.returncode == -9, caller  # the shell killed its own group, as intended
    started = json.loads((tmp_path / "out.json").read_text())
    assert started["status"] == "Running" and started["schema"] == "azsbackup/1"
    job_id, pid = started["job_id"], started["pid"]
    assert os.getsid(pid) == pid, "the backup leads a session of its own"

    running = configured.run("job", "show", job_id).json
    assert (running["kind"], running["status"]) == ("backup", "Running")
    locked = configured.error("backup", "start", code="locked", exit_code=13)
    assert str(pid) in locked["message"]
    configured.error("backup", "start", "--no-wait", code="locked", exit_code=13)

    gate.touch()
    job = wait_for_job(configured, job_id)
    assert job["status"] == "Succeeded", job
    backup = configured.run("backup", "show", job["backup_id"]).json
    assert {c["name"]: c["status"] for c in backup["components"]} == {"slow": "Succeeded", "controller": "Succeeded"}
    assert any(e["type"] == "component_status" for e in job["events"])
    assert configured.run("backup", "start").json["status"] == "Succeeded", "the lock was released"


def test_no_wait_fails_as_a_waited_start_would(engine: Engine) -> None:
    waited = engine.error("backup", "start", code="not-configured", exit_code=10)
    detached = engine.error("backup", "start", "--no-wait", code="not-configured", exit_code=10)
    assert detached == waited
    human = engine.run("backup", "start", "--no-wait", json_mode=False, expect=10)
    assert "encryption certificate" in human.stderr and "Traceback" not in human.stderr
