"""Crash consistency: kill -9 the engine at seeded random moments of backup, export, restore and retention.

After every kill: nothing incomplete is listed as complete (internal store and share), every listed backup
verifies, the lock is free (the next operation starts), the next backup succeeds, and an interrupted restore
left the target untouched (only a staging directory, clearly named, which is removed by the next attempt's
cleanup or by hand). Each trial's seed and outcome is printed so a failure can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.samba import SambaServer
from tests.reliability.figures import record

TRIALS = int(os.environ.get("AZSBACKUP_CRASH_TRIALS", "30"))
SEED = 20261124


def make_data(root: Path, rng: random.Random) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for index in range(40):
        (root / f"file-{index:02d}.bin").write_bytes(rng.randbytes(rng.randint(1, 400_000)))
    (root / "big.bin").write_bytes(rng.randbytes(12 * 1024 * 1024))


def kill_after(engine: Engine, args: list[str], delay: float, stdin: str = "") -> int:
    process = subprocess.Popen(
        [sys.executable, "-m", "azsbackup", "--json", *args],
        env=engine.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None
    process.stdin.write(stdin.encode())
    process.stdin.close()
    time.sleep(delay)
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return int(killed)


def timed_backup(engine: Engine) -> float:
    """How long one backup takes on this machine now: kill moments are drawn within it."""
    started = time.monotonic()
    engine.run("backup", "start")
    return time.monotonic() - started


def assert_consistent(engine: Engine, share_root: Path | None = None) -> None:
    listed = engine.run("backup", "list").json["backups"]
    for backup in listed:
        engine.run("backup", "verify", backup["id"])
    listed_ids = {b["id"] for b in listed}
    for directory in (engine.home / "store").iterdir() if (engine.home / "store").exists() else []:
        if directory.is_dir() and directory.name not in listed_ids:
            # an unlisted directory is a leftover: it must not look complete
            assert not (directory / "manifest.json").exists(), directory
    if share_root is not None and share_root.exists():
        for directory in share_root.iterdir():
            manifest = directory / "manifest.json"
            if manifest.exists():
                names = json.loads(manifest.read_text())["body"]["components"]
                for component in names:
                    archive = component["archive"]
                    if archive:
                        assert (directory / archive["file"]).stat().st_size == archive["size"], directory


@pytest.mark.slow
def test_kill_during_backup(configured: Engine, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    duration = timed_backup(configured)
    kills = 0
    for _trial in range(TRIALS):
        kills += kill_after(configured, ["backup", "start"], rng.uniform(0.02, 0.95) * duration)
        assert_consistent(configured)
    assert kills >= TRIALS // 2, f"only {kills} of {TRIALS} trials hit a running backup"
    backup = configured.run("backup", "start").json  # the lock is free and the next backup works
    assert backup["status"] == "Succeeded"
    configured.run("prune")
    assert not [p for p in (configured.home / "store").rglob("*") if ".partial-" in p.name]
    record(
        "crash/backup",
        f"{TRIALS} kill -9 trials ({kills} mid-run), 0 inconsistencies, next backup succeeded",
        trials=TRIALS,
        killed=kills,
    )


@pytest.mark.slow
def test_kill_during_export(configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    fresh_smb_server.share_dir("share").joinpath("crash").mkdir()
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        fresh_smb_server.path("share", "crash"),
        "--username",
        fresh_smb_server.user,
        input=json.dumps({"password": fresh_smb_server.password}),
    )
    share_root = fresh_smb_server.share_dir("share") / "crash" / "MASBackup"
    duration = timed_backup(configured)
    kills = 0
    for _trial in range(TRIALS):
        kills += kill_after(configured, ["backup", "start"], rng.uniform(0.02, 0.95) * duration)
        assert_consistent(configured, share_root)
    final = configured.run("backup", "start").json
    assert final["export"]["status"] == "Succeeded"
    internal = {b["id"] for b in configured.run("backup", "list").json["backups"]}
    exported = {p.name for p in share_root.iterdir() if (p / "manifest.json").exists()}
    assert internal <= exported, "catch-up must bring every kept backup to the share"
    record(
        "crash/export",
        f"{TRIALS} kill -9 trials ({kills} mid-run) against Samba, share converged on {len(exported)} backups",
        trials=TRIALS,
        killed=kills,
    )


RETENTION = """
import datetime as dt, sys
from pathlib import Path
from azsbackup.events import EventSink
from azsbackup.service.backup import export_and_retain
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller

controller = Controller(Path(sys.argv[1]))
later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)  # every backup but the newest has expired
export_and_retain(controller, list_backups(controller)[-1], "crash-trial", EventSink(), [], now=later)
"""


def retention_process(engine: Engine) -> list[str]:
    return [sys.executable, "-c", RETENTION, str(engine.home)]


def kill_retention_after(engine: Engine, delay: float) -> int:
    process = subprocess.Popen(retention_process(engine), env=engine.env, stdin=subprocess.DEVNULL)
    time.sleep(delay)
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return int(killed)


@pytest.mark.slow
def test_kill_during_retention(configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path) -> None:
    """Retention deletes on both places; a kill in the middle must leave only complete backups listed."""
    rng = random.Random(SEED + 3)
    for index in range(6):  # six archives per backup: deleting a backup takes several steps on each side
        data = tmp_path / f"data{index}"
        data.mkdir()
        (data / "f.bin").write_bytes(rng.randbytes(rng.randint(1, 200_000)))
        configured.run("component", "add", f"c{index}", "--type", "directory", "--path", str(data))
    fresh_smb_server.share_dir("share").joinpath("retain").mkdir()
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        fresh_smb_server.path("share", "retain"),
        "--username",
        fresh_smb_server.user,
        "--retention-days",
        "2",
        input=json.dumps({"password": fresh_smb_server.password}),
    )
    share_root = fresh_smb_server.share_dir("share") / "retain" / "MASBackup"

    def backups_on_both() -> tuple[int, int]:
        internal = len(configured.run("backup", "list").json["backups"])
        exported = [p for p in share_root.iterdir() if (p / "manifest.json").exists()] if share_root.exists() else []
        return internal, len(exported)

    def top_up() -> None:
        while backups_on_both()[0] < 4:
            configured.run("backup", "start")

    top_up()
    started = time.monotonic()
    subprocess.run(retention_process(configured), env=configured.env, check=True, timeout=120)
    duration = time.monotonic() - started
    assert backups_on_both() == (1, 1)
    kills = half_done = 0
    for _trial in range(TRIALS):
        top_up()
        before = backups_on_both()
        kills += kill_retention_after(configured, rng.uniform(0.02, 0.98) * duration)
        assert_consistent(configured, share_root)
        after = backups_on_both()
        half_done += int(after != before and after != (1, 1))
    subprocess.run(retention_process(configured), env=configured.env, check=True, timeout=120)
    assert backups_on_both() == (1, 1)  # the next run finishes what the killed one started
    assert configured.run("backup", "start").json["export"]["status"] == "Succeeded"
    record(
        "crash/retention",
        f"{TRIALS} kill -9 trials ({kills} mid-run, {half_done} left retention half done), 0 inconsistencies",
        trials=TRIALS,
        killed=kills,
        half_done=half_done,
    )


@pytest.mark.slow
def test_kill_during_restore(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    rng = random.Random(SEED + 2)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    backup_id = configured.run("backup", "start").json["id"]
    target = tmp_path / "restore-target"
    args = ["restore", backup_id, "--key", str(cert_pair.pfx), "--key-password-stdin", "--to", str(target)]
    interrupted = 0
    for trial in range(TRIALS):
        kill_after(configured, args, rng.uniform(0.05, 1.0), stdin=cert_pair.password + "\n")
        published = target / "data"
        if published.exists():  # the restore finished: the result is complete and exact
            assert sorted(p.name for p in published.iterdir()) == sorted(p.name for p in (tmp_path / "data").iterdir())
            for path in (tmp_path / "data").iterdir():
                assert (published / path.name).read_bytes() == path.read_bytes(), trial
            shutil.rmtree(target)
        else:  # interrupted: nothing was published, only a clearly named staging directory may remain
            leftovers = [p.name for p in target.iterdir()] if target.exists() else []
            assert all(".azsbackup-restore-" in name for name in leftovers), leftovers
            interrupted += 1
    record(
        "crash/restore",
        f"{TRIALS} kill -9 trials ({interrupted} interrupted before publishing), 0 half-written targets",
        trials=TRIALS,
        interrupted=interrupted,
    )
