"""kill -9 the engine at seeded random moments of a backup exported to blob storage (Azurite).

After every kill: every blob any reader can list is complete (its content hashes to the SHA-256 stored
with it, which is the internal copy's), no backup without all its archives has a manifest, every backup
listed internally verifies; and the run after the last kill exports every backup the container misses.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.azurite import KEY, AzuriteServer
from tests.reliability.figures import record
from tests.reliability.test_crash_consistency import TRIALS

SEED = 20261201
PREFIX = "crash"
ARCHIVE_MIB = 11
"""One component of this size (random, so stored as it is): a first block of 8 MiB staged, then a second."""


def wait_for_export(process: subprocess.Popen[str]) -> bool:
    """Read the engine's events until its export starts; False if it ended first."""
    assert process.stderr is not None
    return any(line.startswith("{") and '"activity": "Export"' in line for line in process.stderr)


def export_duration(engine: Engine) -> float:
    """How long the export phase of one backup takes now: kill moments are drawn within it."""
    process = engine.start("backup", "start")
    assert wait_for_export(process)
    started = time.monotonic()
    process.communicate(timeout=300)
    assert process.returncode == 0
    return time.monotonic() - started


def kill_during_export(engine: Engine, delay: float) -> int:
    """Start a backup, kill -9 it ``delay`` seconds into its export; 1 if it was still running."""
    process = engine.start("backup", "start")
    try:
        if not wait_for_export(process):
            return 0
        time.sleep(delay)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        return int(killed)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def verify_new_backups(engine: Engine, verified: set[str]) -> None:
    """Every backup listed internally verifies (each once: it does not change), and nothing unlisted in the
    store has a manifest."""
    listed = {b["id"] for b in engine.run("backup", "list").json["backups"]}
    for backup_id in sorted(listed - verified):
        engine.run("backup", "verify", backup_id)
    verified |= listed
    store = engine.home / "store"
    unlisted = [d for d in store.iterdir() if d.is_dir() and d.name not in listed] if store.exists() else []
    assert not [d for d in unlisted if (d / "manifest.json").exists()], unlisted


def check_listed_blobs(
    azurite: AzuriteServer, container: str, store: Path, checked: set[tuple[str, str]]
) -> tuple[int, int]:
    """Assert that every committed blob is whole; return (blobs listed, blobs with uncommitted data only).

    ``checked`` holds the (name, ETag) of blobs already hashed: a blob is read once per version."""
    root = f"{PREFIX}/MASBackup/"
    with azurite.service() as service:
        client = service.get_container_client(container)
        listed = {str(b.name): b for b in client.list_blobs(name_starts_with=root, include=["metadata"])}
        staged = {str(b.name) for b in client.list_blobs(name_starts_with=root, include=["uncommittedblobs"])}
        by_backup: dict[str, set[str]] = {}
        for name, blob in listed.items():
            if name.endswith("/"):
                continue  # a folder's marker
            backup_id, file = name[len(root) :].split("/", 1)
            by_backup.setdefault(backup_id, set()).add(file)
            if (name, str(blob.etag)) in checked:
                continue
            checked.add((name, str(blob.etag)))
            content = client.download_blob(name).readall()
            digest = hashlib.sha256(content).hexdigest()
            assert digest == blob.metadata["sha256"], f"{name}: a partial blob is listed"
            internal = store / backup_id / file
            if internal.exists():
                assert digest == hashlib.sha256(internal.read_bytes()).hexdigest(), name
        for backup_id, files in by_backup.items():
            if "manifest.json" in files:  # published: every archive it names is there, whole
                manifest = json.loads(client.download_blob(f"{root}{backup_id}/manifest.json").readall())
                named = {c["archive"]["file"] for c in manifest["body"]["components"] if c["archive"]}
                assert named <= files, f"{backup_id}: the manifest is listed before its archives"
    return len(listed), len(staged - set(listed))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_during_blob_export(configured: Engine, azurite: AzuriteServer, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "random.bin").write_bytes(rng.randbytes(ARCHIVE_MIB << 20))
    configured.run("component", "add", "data", "--type", "directory", "--path", str(tmp_path / "data"))
    container = azurite.new_container()
    configured.run(
        "config",
        "set",
        "--path",
        azurite.url(container, PREFIX),
        "--allow-insecure-http",
        "--password-stdin",
        input=KEY + "\n",
    )
    store = configured.home / "store"
    duration = export_duration(configured)
    kills = staged_seen = 0
    checked: set[tuple[str, str]] = set()
    verified: set[str] = set()
    for _trial in range(TRIALS):
        kills += kill_during_export(configured, rng.uniform(0.0, 0.95) * duration)
        verify_new_backups(configured, verified)
        _, staged_only = check_listed_blobs(azurite, container, store, checked)
        staged_seen += staged_only > 0
    assert kills >= TRIALS // 2, f"only {kills} of {TRIALS} trials hit a running backup"
    assert staged_seen > 0, "no trial was killed while blocks were staged but not committed"

    final = configured.run("backup", "start").json
    assert final["export"]["status"] == "Succeeded"
    internal = {b["id"] for b in configured.run("backup", "list").json["backups"]}
    exported = {b["id"] for b in configured.run("backup", "list", "--external").json["backups"]}
    assert internal <= exported, "catch-up must bring every kept backup to the container"
    check_listed_blobs(azurite, container, store, checked)
    for backup_id in sorted(internal):
        configured.run("backup", "verify", backup_id)
    with azurite.service() as service:  # the disk is shared: give the space back
        service.delete_container(container)
    record(
        "crash/blob-export",
        f"{TRIALS} kill -9 trials ({kills} mid-run, {staged_seen} with staged blocks) against Azurite, "
        f"no partial blob listed, container converged on {len(exported)} backups",
        trials=TRIALS,
        killed=kills,
        staged=staged_seen,
    )
