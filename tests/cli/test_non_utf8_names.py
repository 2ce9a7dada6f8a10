"""File names that are not UTF-8 never fail a backup, and every JSON document stays valid UTF-8.

A FIFO and a symbolic link pointing outside the tree, inside a directory named ``fi\\xfefo``: both are
skipped with a warning that names them. The warning reaches the signed manifest, the ``--json`` result, the
``--log-json`` events, ``job show``, ``backup show`` and the HTML report: each must be valid UTF-8 JSON (or
HTML) with the name written as jsontext's rule says (U+FFFD for display, ``subject_b64`` with the exact
bytes). The backup succeeds with warnings, restores the directory under its exact bytes, and the next
scheduled backup succeeds too (before the fix, the manifest raised UnicodeEncodeError: exit 2, an archive
directory without a manifest, and every later backup failed the same way).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.engine import Engine
from tests.fixtures.clock import fake_clock_scheduler
from tests.fixtures.controllers import CertPair
from tests.service.test_jobs_and_lock import wait_for

ODD = b"fi\xfefo"


def odd_tree(root: Path) -> Path:
    data = root / "data"
    odd = os.path.join(os.fsencode(data), ODD)
    os.makedirs(odd)
    os.mkfifo(os.path.join(odd, b"fifo"))
    os.symlink(b"/etc/passwd", os.path.join(odd, b"out"))
    with open(os.path.join(odd, b"keep.txt"), "wb") as out:
        out.write(b"kept\n")
    (data / "plain.txt").write_text("plain\n")
    return data


def run_bytes(engine: Engine, *args: str, expect: int = 0) -> tuple[Any, list[dict[str, Any]]]:
    """Run the engine with ``--json --log-json``; stdout and every stderr line must be strict UTF-8 JSON."""
    proc = subprocess.run(
        [sys.executable, "-m", "azsbackup", "--json", "--log-json", *args],
        env=engine.env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert proc.returncode == expect, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    events = [json.loads(line.decode("utf-8")) for line in proc.stderr.splitlines()]
    return json.loads(proc.stdout.decode("utf-8")), events


def odd_subjects(warnings: list[dict[str, str]]) -> dict[bytes, str]:
    return {base64.b64decode(w["subject_b64"]): w["code"] for w in warnings if "subject_b64" in w}


EXPECTED = {ODD + b"/fifo": "special-file", ODD + b"/out": "link-outside"}


def test_a_name_that_is_not_utf8_fails_nothing(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    data = odd_tree(tmp_path)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(data))

    backup, events = run_bytes(configured, "backup", "start", expect=1)  # 1: succeeded with warnings
    assert backup["status"] == "Succeeded"
    assert odd_subjects(backup["components"][0]["warnings"]) == EXPECTED
    assert odd_subjects([e for e in events if e["type"] == "warning"]) == EXPECTED
    assert all("\ufffd" in w["subject"] for w in backup["components"][0]["warnings"])

    manifest_bytes = (configured.home / "store" / backup["id"] / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes.decode("utf-8"))  # strict UTF-8: no surrogate escape on disk
    component = next(c for c in manifest["body"]["components"] if c["name"] == "data")
    assert odd_subjects(component["warnings"]) == EXPECTED

    shown, _ = run_bytes(configured, "backup", "show", backup["id"])
    assert odd_subjects(shown["components"][0]["warnings"]) == EXPECTED
    jobs, _ = run_bytes(configured, "job", "list", "--kind", "backup")
    job, _ = run_bytes(configured, "job", "show", str(jobs["jobs"][0]["id"]))
    assert any(odd_subjects([e]) for e in job["events"] if e.get("type") == "warning")
    run_bytes(configured, "backup", "verify", backup["id"])
    report = tmp_path / "report.html"
    run_bytes(configured, "report", "--html", str(report))
    report.read_bytes().decode("utf-8")

    target = tmp_path / "restored"
    restore_args = ["restore", backup["id"], "--key", str(cert_pair.pfx), "--to", str(target)]
    configured.run(*restore_args, env={"AZSBACKUP_PFX_PASSWORD": cert_pair.password})
    restored = os.path.join(os.fsencode(target / "data"), ODD, b"keep.txt")
    with open(restored, "rb") as kept:
        assert kept.read() == b"kept\n"

    # The next scheduled backup works too: the catch-up slot of a scheduler started after the first slot.
    configured.run("config", "set", "--scheduler", "--frequency-hours", "4")
    configured.run("scheduler", "status")
    with fake_clock_scheduler(configured, tmp_path / "scheduler.log", "+4h x1") as scheduler:
        wait_for(lambda: scheduler.finished_backups(), timeout=120)
    (finished,) = scheduler.finished_backups()
    assert finished["status"] == "Succeeded"
    assert odd_subjects([e for e in scheduler.events() if e["type"] == "warning"]) == EXPECTED
    backups = configured.run("backup", "list").json["backups"]
    assert [b["trigger"] for b in backups] == ["manual", "scheduled"]
    assert all(b["status"] == "Succeeded" for b in backups)
