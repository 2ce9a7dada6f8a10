"""Crash consistency: kill -9 the engine at seeded moments of backup, export, restore, retention, rekey and scheduler.

A kill only proves something when it lands while the operation changes state, so every trial waits for the
engine's own ``--log-json`` event that the phase has begun (the first ``Backup`` or ``Export`` or ``Restore``
progress event, ...), sleeps a seeded fraction of that phase's measured length, kills, and then records the
phase the kill landed in, from the events logged up to the kill and the ``.partial-`` files left on disk. Each
test requires at least two thirds of its kills (20 of 30) to land while archive bytes were being written or
published, and reports the count per phase.

After every kill: nothing incomplete is listed as complete (internal store and share), every listed backup
verifies, share copies match the manifest's SHA-256 byte for byte, the lock is free, the next operation
succeeds, and an interrupted restore left the target untouched (only a staging directory, clearly named).
Trials are seeded; each trial's phase is recorded so a failure can be replayed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from azsbackup.crypto.certs import load_certificate, load_private_key, thumbprint
from azsbackup.events import EventSink
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller
from azsbackup.service.verify import verify_backup
from tests.engine import Engine
from tests.fixtures.clock import libfaketime
from tests.fixtures.controllers import CertPair
from tests.fixtures.samba import SambaServer
from tests.reliability.figures import floor_in_ci, record

TRIALS = floor_in_ci("AZSBACKUP_CRASH_TRIALS", 30)
SCHEDULER_TRIALS = floor_in_ci("AZSBACKUP_SCHEDULER_CRASH_TRIALS", 10)
SEED = 20261124
Events = list[dict[str, Any]]


def make_data(root: Path, rng: random.Random) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for index in range(40):
        (root / f"file-{index:02d}.bin").write_bytes(rng.randbytes(rng.randint(1, 400_000)))
    (root / "big.bin").write_bytes(rng.randbytes(12 * 1024 * 1024))


def read_events(log: Path) -> Events:
    lines = log.read_bytes().split(b"\n")[:-1] if log.exists() else []
    return [json.loads(line) for line in lines if line.startswith(b"{")]


def partial_files(*roots: Path) -> int:
    return sum(1 for root in roots if root.exists() for p in root.rglob("*") if ".partial-" in p.name)


@dataclass
class Kill:
    """One kill -9: whether it found the process running, and the events logged before it."""

    killed: bool
    events: Events
    partials: int


def kill_during(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    started: Callable[[Events], bool],
    delay: float,
    watch: tuple[Path, ...] = (),
    stdin: str = "",
) -> Kill:
    """Run ``argv`` (stderr to ``log``), wait until ``started`` holds for its events, sleep ``delay``, kill -9."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
    assert process.stdin is not None
    process.stdin.write(stdin.encode())
    process.stdin.close()
    deadline = time.monotonic() + 120
    while process.poll() is None and not started(read_events(log)) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return Kill(killed, read_events(log), partial_files(*watch))


def engine_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "azsbackup", "--json", "--log-json", *args]


def measure(
    engine: Engine,
    args: list[str],
    log: Path,
    started: Callable[[Events], bool],
    stdin: str = "",
    ended: Callable[[Events], bool] | None = None,
) -> float:
    """Seconds from the phase's first event to ``ended`` (or the end of the command), on this machine now."""
    return measure_argv(engine_argv(*args), engine.env, log, started, stdin, ended)


def measure_argv(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    started: Callable[[Events], bool],
    stdin: str = "",
    ended: Callable[[Events], bool] | None = None,
) -> float:
    """``measure`` for any command line: the kill moments come from the phase's own length, not the start-up's."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stderr=stderr)
    assert process.stdin is not None
    process.stdin.write(stdin.encode())
    process.stdin.close()
    while process.poll() is None and not started(read_events(log)):
        time.sleep(0.005)
    begun = time.monotonic()
    while ended is not None and process.poll() is None and not ended(read_events(log)):
        time.sleep(0.005)
    finished = time.monotonic()
    assert process.wait(timeout=300) in (0, 1), log.read_text()
    return (finished if ended is not None else time.monotonic()) - begun


def median_of_three(measure_once: Callable[[], float]) -> float:
    """The median of three measurements: one slow flush of a shared disk must not set every kill moment."""
    return sorted(measure_once() for _ in range(3))[1]


def backup_done(events: Events) -> bool:
    return any(e.get("type") == "log" and "status" in e and "backup_id" in e for e in events)


def progress_of(events: Events, activity: str) -> Events:
    return [e for e in events if e.get("type") == "progress" and e.get("activity") == activity]


def backup_begun(events: Events) -> bool:
    return any(e.get("type") == "log" and "started:" in str(e.get("message")) for e in events)


def backup_phase(kill: Kill) -> str:
    """Where a backup was when it was killed: writing archives, publishing the manifest, or past both."""
    if not kill.killed:
        return "finished before the kill"
    if any(e.get("type") == "log" and "status" in e and "backup_id" in e for e in kill.events):
        return "after the backup (export, retention, job record)"
    steps = progress_of(kill.events, "Backup")
    if steps and steps[-1].get("status") == "writing manifest":
        return "publishing the manifest"
    return "writing archives" if backup_begun(kill.events) else "before the backup began"


ARCHIVE_PHASES = {"writing archives", "publishing the manifest"}


def export_phase(kill: Kill) -> str:
    if not kill.killed:
        return "finished before the kill"
    steps = progress_of(kill.events, "Export")
    if not steps:
        return "before the export"
    current = str(steps[-1].get("status")).split("/")[0]
    done = any(e.get("type") == "log" and e.get("message") == f"exported {current}" for e in kill.events)
    return "after the export" if done else "copying to the share"


def export_finished(events: Events) -> bool:
    return export_phase(Kill(True, events, 0)) == "after the export"


def require_landings(phases: Counter[str], wanted: set[str], trials: int) -> int:
    landed = sum(n for phase, n in phases.items() if phase in wanted)
    assert landed * 3 >= trials * 2, f"only {landed} of {trials} kills landed in {sorted(wanted)}: {dict(phases)}"
    return landed


def phase_text(phases: Counter[str]) -> str:
    return ", ".join(f"{phase} {n}" for phase, n in phases.most_common())


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_consistent(engine: Engine, share_root: Path | None = None) -> None:
    """In-process (the functions the CLI calls), so that checking after each kill stays cheap as backups pile up."""
    controller = Controller(engine.home)
    try:
        listed_ids = {record.id for record in list_backups(controller)}
        for backup_id in listed_ids:
            verify_backup(controller, backup_id, EventSink())
    finally:
        controller.close()
    for directory in (engine.home / "store").iterdir() if (engine.home / "store").exists() else []:
        if directory.is_dir() and directory.name not in listed_ids:
            # an unlisted directory is a leftover: it must not look complete
            assert not (directory / "manifest.json").exists(), directory
    if share_root is not None and share_root.exists():
        for directory in share_root.iterdir():
            manifest = directory / "manifest.json"
            if manifest.exists():  # a complete copy: every archive byte for byte what the signed manifest names
                internal = engine.home / "store" / directory.name / "manifest.json"
                assert not internal.exists() or sha256_of(internal) == sha256_of(manifest), directory
                for component in json.loads(manifest.read_text())["body"]["components"]:
                    archive = component["archive"]
                    if archive:
                        assert sha256_of(directory / archive["file"]) == archive["sha256"], directory


def configure_share(engine: Engine, server: SambaServer, folder: str, *more: str) -> Path:
    server.share_dir("share").joinpath(folder).mkdir()
    engine.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        server.path("share", folder),
        "--username",
        server.user,
        *more,
        input=json.dumps({"password": server.password}),
    )
    return server.share_dir("share") / folder / "MASBackup"


@pytest.mark.slow
def test_kill_during_backup(configured: Engine, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    log = tmp_path / "events.log"
    duration = median_of_three(lambda: measure(configured, ["backup", "start"], log, backup_begun, ended=backup_done))
    phases: Counter[str] = Counter()
    with_partials = 0
    for _trial in range(TRIALS):
        kill = kill_during(
            engine_argv("backup", "start"),
            configured.env,
            log,
            backup_begun,
            rng.uniform(0.0, 0.9) * duration,
            (configured.home / "store",),
        )
        phases[backup_phase(kill)] += 1
        with_partials += int(kill.partials > 0)
        assert_consistent(configured)
    landed = require_landings(phases, ARCHIVE_PHASES, TRIALS)
    backup = configured.run("backup", "start").json  # the lock is free and the next backup works
    assert backup["status"] == "Succeeded"
    configured.run("prune")
    assert not [p for p in (configured.home / "store").rglob("*") if ".partial-" in p.name]
    record(
        "crash/backup",
        f"{TRIALS} kill -9 trials, {landed} while archive bytes were written or published ({phase_text(phases)}; "
        f"{with_partials} left .partial- files), 0 inconsistencies, next backup succeeded",
        trials=TRIALS,
        landed=landed,
        phases=dict(phases),
    )


@pytest.mark.slow
def test_kill_during_export(configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    share_root = configure_share(configured, fresh_smb_server, "crash")
    log = tmp_path / "events.log"

    def export_begun(events: Events) -> bool:
        return bool(progress_of(events, "Export"))

    # The export's own length (not retention and the job record after it), the median of three.
    duration = median_of_three(
        lambda: measure(configured, ["backup", "start"], log, export_begun, ended=export_finished)
    )
    phases: Counter[str] = Counter()
    for _trial in range(TRIALS):
        kill = kill_during(
            engine_argv("backup", "start"),
            configured.env,
            log,
            export_begun,
            rng.uniform(0.0, 0.9) * duration,
            (share_root,),
        )
        phases[export_phase(kill)] += 1
        assert_consistent(configured, share_root)
    landed = require_landings(phases, {"copying to the share"}, TRIALS)
    final = configured.run("backup", "start").json
    assert final["export"]["status"] == "Succeeded"
    assert_consistent(configured, share_root)
    internal = {b["id"] for b in configured.run("backup", "list").json["backups"]}
    exported = {p.name for p in share_root.iterdir() if (p / "manifest.json").exists()}
    assert internal <= exported, "catch-up must bring every kept backup to the share"
    record(
        "crash/export",
        f"{TRIALS} kill -9 trials against Samba, {landed} while copying to the share ({phase_text(phases)}); "
        f"every share copy matches its manifest by SHA-256; catch-up converged on {len(exported)} backups",
        trials=TRIALS,
        landed=landed,
        phases=dict(phases),
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
records = list_backups(controller)
sys.stderr.write('{"type": "log", "message": "retention begins"}\\n')
sys.stderr.flush()
export_and_retain(controller, records[-1], "crash-trial", EventSink(), [], now=later)
"""


def retention_process(engine: Engine) -> list[str]:
    return [sys.executable, "-c", RETENTION, str(engine.home)]


def retention_begun(events: Events) -> bool:
    return any(e.get("message") == "retention begins" for e in events)


@pytest.mark.slow
def test_kill_during_retention(configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path) -> None:
    """Retention deletes on both places; a kill in the middle must leave only complete backups listed."""
    rng = random.Random(SEED + 3)
    for index in range(6):  # six archives per backup: deleting a backup takes several steps on each side
        data = tmp_path / f"data{index}"
        data.mkdir()
        (data / "f.bin").write_bytes(rng.randbytes(rng.randint(1, 200_000)))
        configured.run("component", "add", f"c{index}", "--type", "directory", "--path", str(data))
    share_root = configure_share(configured, fresh_smb_server, "retain", "--retention-days", "2")

    def backups_on_both() -> tuple[int, int]:
        internal = len(configured.run("backup", "list").json["backups"])
        exported = [p for p in share_root.iterdir() if (p / "manifest.json").exists()] if share_root.exists() else []
        return internal, len(exported)

    def top_up() -> None:
        while backups_on_both()[0] < 4:
            configured.run("backup", "start")

    log = tmp_path / "retention.log"

    def timed_retention() -> float:
        top_up()
        seconds = measure_argv(retention_process(configured), configured.env, log, retention_begun)
        assert backups_on_both() == (1, 1)
        return seconds

    # From "retention begins" to the end, not from the interpreter's start: timed from the start, a third of
    # the kills fell after retention had finished.
    duration = median_of_three(timed_retention)
    phases: Counter[str] = Counter()
    for _trial in range(TRIALS):
        top_up()
        before = backups_on_both()
        kill = kill_during(
            retention_process(configured), configured.env, log, retention_begun, rng.uniform(0.0, 0.8) * duration
        )
        assert_consistent(configured, share_root)
        after = backups_on_both()
        if not kill.killed:
            phases["finished before the kill"] += 1
        elif not retention_begun(kill.events):
            phases["before retention began"] += 1
        else:
            phases["left retention half done" if after not in (before, (1, 1)) else "during retention"] += 1
    landed = require_landings(phases, {"left retention half done", "during retention"}, TRIALS)
    subprocess.run(retention_process(configured), env=configured.env, check=True, timeout=120)
    assert backups_on_both() == (1, 1)  # the next run finishes what the killed one started
    assert configured.run("backup", "start").json["export"]["status"] == "Succeeded"
    record(
        "crash/retention",
        f"{TRIALS} kill -9 trials, {landed} while retention ran ({phase_text(phases)}), 0 inconsistencies",
        trials=TRIALS,
        landed=landed,
        phases=dict(phases),
    )


@pytest.mark.slow
def test_kill_during_restore(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    rng = random.Random(SEED + 2)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    backup_id = configured.run("backup", "start").json["id"]
    target = tmp_path / "restore-target"
    args = ["restore", backup_id, "--key", str(cert_pair.pfx), "--key-password-stdin", "--to", str(target)]
    log = tmp_path / "events.log"

    def restore_begun(events: Events) -> bool:
        return bool(progress_of(events, "Restore"))

    def restore_published(events: Events) -> bool:  # logged right after the staged tree got the target's name
        return any(e.get("type") == "log" and "restored to" in str(e.get("message")) for e in events)

    def restore_once() -> float:
        seconds = measure(configured, args, log, restore_begun, cert_pair.password + "\n", restore_published)
        shutil.rmtree(target)
        return seconds

    duration = median_of_three(restore_once)
    phases: Counter[str] = Counter()
    for trial in range(TRIALS):
        kill = kill_during(
            engine_argv(*args),
            configured.env,
            log,
            restore_begun,
            rng.uniform(0.0, 0.7) * duration,
            stdin=cert_pair.password + "\n",
        )
        published = target / "data"
        if published.exists():  # the restore finished: the result is complete and exact
            assert sorted(p.name for p in published.iterdir()) == sorted(p.name for p in (tmp_path / "data").iterdir())
            for path in (tmp_path / "data").iterdir():
                assert (published / path.name).read_bytes() == path.read_bytes(), trial
            shutil.rmtree(target)
            phases["published before the kill" if kill.killed else "finished before the kill"] += 1
        else:  # interrupted: nothing was published, only a clearly named staging directory may remain
            leftovers = [p.name for p in target.iterdir()] if target.exists() else []
            assert all(".azsbackup-restore-" in name for name in leftovers), leftovers
            assert restore_begun(kill.events)
            phases["interrupted while writing the staging tree"] += 1
    interrupted = require_landings(phases, {"interrupted while writing the staging tree"}, TRIALS)
    record(
        "crash/restore",
        f"{TRIALS} kill -9 trials, {interrupted} interrupted restores ({phase_text(phases)}), 0 half-written targets",
        trials=TRIALS,
        interrupted=interrupted,
        phases=dict(phases),
    )


@pytest.mark.slow
def test_kill_during_rekey(configured: Engine, cert_pair: CertPair, other_cert_pair: CertPair, tmp_path: Path) -> None:
    """Each trial rekeys one backup to the other certificate and is killed on the way; the backup stays whole."""
    rng = random.Random(SEED + 4)
    make_data(tmp_path / "data", rng)
    (tmp_path / "data" / "large.bin").write_bytes(rng.randbytes(64 << 20))  # a copy long enough to land in
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    backup_id = configured.run("backup", "start").json["id"]
    pairs = {cert_pair.cer.name: cert_pair, other_cert_pair.cer.name: other_cert_pair}
    keys = {name: load_private_key(p.pfx, p.password.encode())[0] for name, p in pairs.items()}
    thumbprints = {name: thumbprint(load_certificate(p.cer)) for name, p in pairs.items()}
    log = tmp_path / "events.log"

    def current() -> str:
        manifest = json.loads((configured.home / "store" / backup_id / "manifest.json").read_text())
        (recipient,) = manifest["body"]["recipients"]
        return next(name for name, thumb in thumbprints.items() if thumb == recipient["thumbprint"])

    def rekey_args(holder: str) -> list[str]:
        other = next(p for name, p in pairs.items() if name != holder)
        key = ["--key", str(pairs[holder].pfx), "--key-password-stdin"]
        return ["rekey", backup_id, *key, "--new-cert", str(other.cer)]

    def rekey_begun(events: Events) -> bool:
        return bool(progress_of(events, "Rekey"))

    duration = measure(configured, rekey_args(current()), log, rekey_begun, stdin=cert_pair.password + "\n")
    phases: Counter[str] = Counter()
    for _trial in range(TRIALS):
        before = current()
        kill = kill_during(
            engine_argv(*rekey_args(before)),
            configured.env,
            log,
            rekey_begun,
            rng.uniform(0.0, 0.6) * duration,
            (configured.home / "store",),
            stdin=pairs[before].password + "\n",
        )
        after = current()  # the manifest names one recipient, and its key opens every archive
        verify_backup(Controller(configured.home), backup_id, EventSink(), private_key=keys[after])
        if not kill.killed:
            phases["finished before the kill"] += 1
        elif after != before:
            phases["manifest replaced, old archives not yet deleted"] += 1
        else:
            phases["copying archives under new names"] += 1
    landed = require_landings(
        phases, {"copying archives under new names", "manifest replaced, old archives not yet deleted"}, TRIALS
    )
    configured.run("prune")
    named = {
        c["archive"]["file"]
        for c in json.loads((configured.home / "store" / backup_id / "manifest.json").read_text())["body"]["components"]
    }
    assert {p.name for p in (configured.home / "store" / backup_id).glob("*.azsb")} == named
    record(
        "crash/rekey",
        f"{TRIALS} kill -9 trials, {landed} while rekeying ({phase_text(phases)}); the backup verified and "
        "decrypted with the key its manifest names after every kill; prune left only the named archives",
        trials=TRIALS,
        landed=landed,
        phases=dict(phases),
    )


@pytest.mark.slow
def test_kill_the_scheduler_during_a_scheduled_backup_and_an_export_catch_up(
    configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path
) -> None:
    """The real scheduler on its 4-hour schedule, started each time with its clock past the next slot (libfaketime).

    Even trials are killed while the scheduled backup writes archives, odd ones while it copies to the share;
    every start catches up the slot and the exports the kills interrupted. After the last kill one more slot
    runs untouched: it succeeds and the share holds every kept backup.
    """
    rng = random.Random(SEED + 5)
    make_data(tmp_path / "data", rng)
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    share_root = configure_share(configured, fresh_smb_server, "scheduled", "--scheduler", "--frequency-hours", "4")
    log = tmp_path / "events.log"

    def export_begun(events: Events) -> bool:
        return bool(progress_of(events, "Export"))

    backup_time = measure(configured, ["backup", "start"], log, backup_begun, ended=backup_done)
    export_time = measure(configured, ["backup", "start"], log, export_begun, ended=export_finished)
    configured.run("scheduler", "status")  # the first slot is four hours from now

    def scheduler(start_hours: int) -> tuple[list[str], dict[str, str]]:
        clock = {"LD_PRELOAD": libfaketime(), "FAKETIME": f"+{start_hours}h x1", "FAKETIME_DONT_RESET": "1"}
        return [sys.executable, "-m", "azsbackup", "--log-json", "scheduler", "run"], {**configured.env, **clock}

    backup_phases: Counter[str] = Counter()
    export_phases: Counter[str] = Counter()
    for trial in range(SCHEDULER_TRIALS):
        argv, env = scheduler(4 * trial + 5)
        if trial % 2 == 0:
            kill = kill_during(argv, env, log, backup_begun, rng.uniform(0.0, 0.7) * backup_time)
            backup_phases[backup_phase(kill)] += 1
        else:
            kill = kill_during(argv, env, log, export_begun, rng.uniform(0.0, 0.6) * export_time, (share_root,))
            export_phases[export_phase(kill)] += 1
        assert_consistent(configured, share_root)
    half = SCHEDULER_TRIALS // 2
    landed_backup = require_landings(backup_phases, ARCHIVE_PHASES, half)
    landed_export = require_landings(export_phases, {"copying to the share"}, half)

    argv, env = scheduler(4 * SCHEDULER_TRIALS + 5)
    with log.open("wb") as stderr:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 180
        while not any(e.get("type") == "log" and "status" in e for e in read_events(log)):
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)  # the scheduler stops once the job (backup and export) has ended
        process.wait(timeout=180)
    assert_consistent(configured, share_root)
    internal = {b["id"] for b in configured.run("backup", "list").json["backups"]}
    exported = {p.name for p in share_root.iterdir() if (p / "manifest.json").exists()}
    assert internal <= exported, "the scheduled run must catch the share up"
    jobs = configured.run("job", "list", "--kind", "backup", "--limit", "100").json["jobs"]
    assert jobs[0]["status"] == "Succeeded" and jobs[0]["trigger"] == "scheduled"
    record(
        "crash/scheduler",
        f"{SCHEDULER_TRIALS} kill -9 trials of the scheduler on its 4-hour schedule (libfaketime): "
        f"{landed_backup} of {half} in a scheduled backup writing archives ({phase_text(backup_phases)}), "
        f"{landed_export} of {half} in an export catch-up ({phase_text(export_phases)}); the next slot succeeded "
        f"and caught the share up ({len(exported)} backups)",
        trials=SCHEDULER_TRIALS,
        backup_phases=dict(backup_phases),
        export_phases=dict(export_phases),
    )
