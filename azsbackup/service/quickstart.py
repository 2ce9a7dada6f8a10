"""The embedded default: a complete local controller exercised end to end in one command.

``azsbackup quickstart`` creates, in one directory: a controller, a generated
certificate pair, sample components of each local type (a directory tree, a
SQLite database that is being written to during the backup, a command dump),
then backs up, verifies without the key, runs a deep verify (restore drill)
and a restore with the key into a scratch directory, and compares every
restored byte with the source. It uses the same service functions as every
other command; nothing here is a shortcut.
"""

from __future__ import annotations

import filecmp
import secrets
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azsbackup.crypto.certs import load_private_key
from azsbackup.errors import AlreadyExists, IntegrityError
from azsbackup.events import EventSink
from azsbackup.model import SCHEMA
from azsbackup.osutil import write_private_file, writing_output
from azsbackup.samples import make_sample_database, make_sample_tree, writes_during
from azsbackup.service.backup import run_backup
from azsbackup.service.certificates import create_certificate
from azsbackup.service.components import add_component
from azsbackup.service.configure import apply_update
from azsbackup.service.controller import Controller
from azsbackup.service.restore import restore_backup
from azsbackup.service.verify import verify_backup
from azsbackup.state.config import UNSET, ConfigUpdate

MARKER = ".azsbackup-quickstart"


@dataclass
class QuickstartReport:
    root: Path
    steps: list[dict[str, Any]] = field(default_factory=list)

    def step(self, name: str, detail: str, **facts: Any) -> None:
        self.steps.append({"step": name, "detail": detail, **facts})

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "root": str(self.root), "steps": self.steps}


def prepare_root(root: Path) -> None:
    """Use ``root`` if it is new or an earlier quickstart's directory; refuse anything else."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise AlreadyExists(kind="directory", name=str(root), hint="Choose an empty or new directory with --dir.")
        shutil.rmtree(root)
    with writing_output(root):
        root.mkdir(parents=True, exist_ok=True)
        (root / MARKER).write_text("created by azsbackup quickstart; safe to delete\n", encoding="utf-8")


def run_quickstart(root: Path, events: EventSink) -> QuickstartReport:
    root = root.absolute()
    prepare_root(root)
    report = QuickstartReport(root)
    controller = Controller(root / "controller")
    try:
        _run_steps(controller, root, report, events)
    finally:
        controller.close()
    return report


def _run_steps(controller: Controller, root: Path, report: QuickstartReport, events: EventSink) -> None:
    certs = root / "certs"
    password = secrets.token_urlsafe(18)
    write_private_file(root / "quickstart.pfx.password", password.encode())
    cert = create_certificate("quickstart", certs, password, days=365, key_size=3072)
    report.step("certificate", f"generated {cert['cer']} and {cert['pfx']}", thumbprint=cert["thumbprint"])
    apply_update(controller, ConfigUpdate(encryption_cert=Path(cert["cer"]), scheduler_enabled=UNSET))
    report.step(
        "controller",
        f"created controller in {controller.home}",
        signing_key=controller.signing_key.fingerprint,
    )

    sources = root / "sources"
    make_sample_tree(sources / "config-store")
    make_sample_database(sources / "inventory.db")
    add_component(controller, "config-store", "directory", {"path": str(sources / "config-store")})
    add_component(controller, "inventory-db", "sqlite", {"path": str(sources / "inventory.db")})
    dump = [
        sys.executable,
        "-c",
        "import json,sys; json.dump({'etcd': {'members': 3, 'revision': 4242}}, sys.stdout)",
    ]
    add_component(controller, "etcd-dump", "command", {"dump_command": _quote(dump)})
    report.step("components", "registered config-store (directory), inventory-db (sqlite), etcd-dump (command)")

    with writes_during(sources / "inventory.db") as writer:
        record = run_backup(controller, events)
    summary = (
        f"backup {record.id}: {record.status}, {len(record.components)} components, "
        f"{record.size / 1e6:.1f} MB of data stored as {record.stored_size / 1e6:.1f} MB, encrypted; "
        f"the database took {writer.commits} commits while it was backed up"
    )
    report.step(
        "backup",
        summary,
        id=record.id,
        status=record.status,
        size=record.size,
        stored_size=record.stored_size,
        writer_commits_during_backup=writer.commits,
    )

    verify_backup(controller, record.id, events)
    report.step("verify", "signature, trust, sizes and SHA-256 of every archive checked without the key")
    key, _ = load_private_key(Path(cert["pfx"]), password.encode())
    verify_backup(controller, record.id, events, private_key=key)
    report.step("restore drill", "decrypted and read every archive with the .pfx (deep verify), wrote nothing")

    restored = root / "restored"
    restore_backup(controller, record.id, key, events, to=restored)
    _compare_trees(sources / "config-store", restored / "config-store")
    with sqlite3.connect(restored / "inventory-db" / "inventory.db") as db:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    if check != "ok":
        raise IntegrityError(subject="restored inventory.db", detail=f"integrity_check: {check}")
    report.step("restore", f"restored into {restored}; config-store byte-identical, inventory-db integrity ok")


def _quote(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


def _compare_trees(left: Path, right: Path) -> None:
    comparison = filecmp.dircmp(left, right)
    pending = [comparison]
    while pending:
        current = pending.pop()
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        if current.left_only or current.right_only or mismatch or errors:
            raise IntegrityError(subject=str(right), detail=f"restored tree differs from {left}")
        pending.extend(current.subdirs.values())
