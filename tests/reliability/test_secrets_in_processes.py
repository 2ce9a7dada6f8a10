"""No secret in any process's argv, nor in the environment of the commands the engine starts (sampled from /proc
while a backup runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.engine import Engine

SENTINEL = "Proc-S3ntinel-9b1e"


def descendants(pid: int) -> list[int]:
    children = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            child = int(status.parent.name)
            children += [child, *descendants(child)]
    return children


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_secrets_never_reach_argv_or_child_environments(configured: Engine, tmp_path: Path) -> None:
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        str(tmp_path),
        "--username",
        "svc",
        input=json.dumps({"password": SENTINEL}),
    )
    configured.run(
        "component",
        "add",
        "slow",
        "--type",
        "command",
        "--dump-command",
        f"{sys.executable} -c \"import time; time.sleep(3); print('x')\"",
    )
    env = {**configured.env, "AZSBACKUP_PFX_PASSWORD": SENTINEL, "AZSBACKUP_PASSWORD": SENTINEL}
    engine = subprocess.Popen(
        [sys.executable, "-m", "azsbackup", "--json", "backup", "start"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    samples, children_seen = 0, set()
    deadline = time.monotonic() + 30
    while engine.poll() is None and time.monotonic() < deadline:
        for pid in [engine.pid, *descendants(engine.pid)]:
            assert SENTINEL.encode() not in read(Path(f"/proc/{pid}/cmdline")), f"pid {pid} argv"
            if pid != engine.pid:
                children_seen.add(pid)
                assert SENTINEL.encode() not in read(Path(f"/proc/{pid}/environ")), f"child {pid} environment"
            samples += 1
        time.sleep(0.02)
    assert engine.wait(timeout=30) == 0
    assert children_seen, "the dump command was never seen running"
    assert samples > 50
