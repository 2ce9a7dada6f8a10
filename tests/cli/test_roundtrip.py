"""Backup → verify → restore through the real CLI, for every local provider type."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.trees import build_sample_tree, snapshot


def key_args(cert: CertPair) -> list[str]:
    return ["--key", str(cert.pfx), "--key-password-stdin"]


def test_directory_round_trip_is_exact(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))

    backup = configured.run("backup", "start").json
    assert backup["status"] == "Succeeded"
    assert {c["name"]: c["status"] for c in backup["components"]} == {
        "tree": "Succeeded",
        "controller": "Succeeded",
    }
    assert backup["stored_size"] > 0 and backup["trusted"] is True

    verified = configured.run("backup", "verify", backup["id"]).json
    assert verified["status"] == "Verified" and verified["deep"] is False
    deep = configured.run(
        "backup", "verify", backup["id"], "--deep", *key_args(cert_pair), input=cert_pair.password + "\n"
    ).json
    assert deep["deep"] is True

    target = tmp_path / "restored"
    configured.run(
        "restore",
        backup["id"],
        *key_args(cert_pair),
        "--to",
        str(target),
        "--component",
        "tree",
        input=cert_pair.password + "\n",
    )
    assert snapshot(target / "tree") == snapshot(source)


def test_small_files_across_segment_boundaries_restore_exactly(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    """Small files are created by several threads from content read ahead: each must get all its bytes."""
    source = tmp_path / "many"
    source.mkdir()
    for index in range(120):  # 120 x up to 200 KiB of random bytes: several 4 MiB segment boundaries fall in files
        (source / f"f{index:03d}.bin").write_bytes(os.urandom(1000 + index * 1700))
    (source / "empty").write_bytes(b"")
    configured.run("component", "add", "many", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    target = tmp_path / "restored"
    args = ["restore", backup_id, *key_args(cert_pair), "--to", str(target), "--component", "many"]
    configured.run(*args, input=cert_pair.password + "\n")
    assert snapshot(target / "many") == snapshot(source)


def test_restore_in_place_needs_force(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    before = snapshot(source)
    (source / "etc" / "app.json").write_text("changed after the backup")

    configured.error(
        "restore",
        backup_id,
        *key_args(cert_pair),
        code="restore-target-exists",
        exit_code=2,
        input=cert_pair.password + "\n",
    )
    assert (source / "etc" / "app.json").read_text() == "changed after the backup"

    configured.run("restore", backup_id, *key_args(cert_pair), "--force", input=cert_pair.password + "\n")
    assert snapshot(source) == before


WRITER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
deadline = time.monotonic() + float(sys.argv[2])
n = 0
while time.monotonic() < deadline:
    with db:
        db.execute("UPDATE account SET balance = balance - 1 WHERE id = 1")
        db.execute("UPDATE account SET balance = balance + 1 WHERE id = 2")
        db.execute("INSERT INTO ledger (amount) VALUES (1)")
    n += 1
print(n)
"""


def test_sqlite_snapshot_is_consistent_while_written(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, pad BLOB)")
        db.executemany("INSERT INTO account VALUES (?, ?)", [(1, 1_000_000), (2, 0)])
        db.executemany("INSERT INTO ledger (amount, pad) VALUES (0, randomblob(2000))", [()] * 2000)
    db.close()
    configured.run("component", "add", "ledger", "--type", "sqlite", "--path", str(database))

    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(database), "8"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    backup = configured.run("backup", "start").json
    commits = int(writer.communicate(timeout=60)[0])
    assert commits > 0 and backup["status"] == "Succeeded"

    target = tmp_path / "restored"
    configured.run(
        "restore",
        backup["id"],
        *key_args(cert_pair),
        "--to",
        str(target),
        "--component",
        "ledger",
        input=cert_pair.password + "\n",
    )
    with sqlite3.connect(target / "ledger" / "ledger.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        total = db.execute("SELECT sum(balance) FROM account").fetchone()[0]
        moved = db.execute("SELECT balance FROM account WHERE id = 2").fetchone()[0]
        ledger = db.execute("SELECT sum(amount) FROM ledger").fetchone()[0]
    db.close()
    assert total == 1_000_000, "the snapshot mixes two transactions"
    assert moved == ledger, "accounts and ledger come from different moments"


def test_command_dump_and_restore(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    restored = tmp_path / "restored-by-command.bin"
    dump = f'{sys.executable} -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 40000)"'
    restore = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'wb').write(sys.stdin.buffer.read())\" {restored}"
    configured.run(
        "component", "add", "etcd", "--type", "command", "--dump-command", dump, "--restore-command", restore
    )
    backup = configured.run("backup", "start").json
    assert backup["status"] == "Succeeded"

    configured.run(
        "restore", backup["id"], *key_args(cert_pair), "--component", "etcd", input=cert_pair.password + "\n"
    )
    assert restored.read_bytes() == bytes(range(256)) * 40000


def test_one_failing_component_gives_partial_and_the_rest_restores(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configured.run(
        "component",
        "add",
        "broken",
        "--type",
        "command",
        "--dump-command",
        f"{sys.executable} -c \"import sys; sys.stderr.write('dump failed'); sys.exit(3)\"",
    )

    result = configured.run("backup", "start", expect=3)
    backup = result.json
    status = {c["name"]: c for c in backup["components"]}
    assert backup["status"] == "PartialSucceeded"
    assert status["broken"]["status"] == "Failed" and status["broken"]["error"]["code"] == "command-failed"
    assert status["tree"]["status"] == "Succeeded"
    assert any(e["type"] == "component_status" and e["component"]["name"] == "broken" for e in result.events())

    target = tmp_path / "restored"
    configured.run("restore", backup["id"], *key_args(cert_pair), "--to", str(target), input=cert_pair.password + "\n")
    assert snapshot(target / "tree") == snapshot(source)
    assert not (target / "broken").exists()


def test_delete_removes_a_backup_and_only_that_one(configured: Engine, tmp_path: Path) -> None:
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    first = configured.run("backup", "start").json["id"]
    second = configured.run("backup", "start").json["id"]
    configured.run("backup", "delete", first)
    assert [b["id"] for b in configured.run("backup", "list").json["backups"]] == [second]
    assert not (configured.home / "store" / first).exists()
    configured.error("backup", "delete", first, code="not-found", exit_code=14)
    configured.run("backup", "verify", second)


def test_restore_to_a_directory_does_not_depend_on_the_configuration(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    """`restore --to` gives the same files whether or not this controller still has the components
    (a fresh controller recovering another's backup has none): a dump as one 0600 ``stdout.dump``."""
    source = tmp_path / "tree"
    build_sample_tree(source)
    dump = f"{sys.executable} -c \"import sys; sys.stdout.write('dump ' * 1000)\""
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configured.run("component", "add", "etcd", "--type", "command", "--dump-command", dump)
    backup_id = configured.run("backup", "start").json["id"]

    def restore_to(target: Path) -> None:
        configured.run(
            "restore", backup_id, *key_args(cert_pair), "--to", str(target), "--component", "tree",
            "--component", "etcd", input=cert_pair.password + "\n",
        )  # fmt: skip

    restore_to(tmp_path / "configured")
    configured.run("component", "remove", "tree")
    configured.run("component", "remove", "etcd")
    restore_to(tmp_path / "unconfigured")

    def files(target: Path) -> dict[str, tuple[object, ...]]:  # the dump's time is the restore's, as for any new file
        return {name: entry[:2] + entry[3:] for name, entry in snapshot(target).items()}

    assert files(tmp_path / "configured") == files(tmp_path / "unconfigured")
    dumped = tmp_path / "unconfigured" / "etcd" / "stdout.dump"
    assert dumped.read_text() == "dump " * 1000 and stat.S_IMODE(dumped.stat().st_mode) == 0o600
    assert snapshot(tmp_path / "unconfigured" / "tree") == snapshot(source)


def test_restore_to_a_directory_takes_a_type_this_engine_does_not_know_as_files(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    """A backup from a newer release may hold a component type this engine lacks: `--to` still gives its files."""
    import dataclasses

    from azsbackup.archive.manifest import decode_signed, encode_signed
    from azsbackup.crypto.signing import SigningKey

    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    configured.run("component", "remove", "tree")
    manifest_path = configured.home / "store" / backup_id / "manifest.json"
    manifest, _ = decode_signed(manifest_path.read_bytes())
    future = [dataclasses.replace(c, type="future-type") if c.name == "tree" else c for c in manifest.components]
    signed = encode_signed(
        dataclasses.replace(manifest, components=future), SigningKey.load(configured.home / "signing.key")
    )
    manifest_path.write_bytes(signed)

    configured.run(
        "restore", backup_id, *key_args(cert_pair), "--to", str(tmp_path / "out"), "--component", "tree",
        input=cert_pair.password + "\n",
    )  # fmt: skip
    assert snapshot(tmp_path / "out" / "tree") == snapshot(source)
