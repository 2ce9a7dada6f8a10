"""``location test``: prove the external location works before anything depends on it.

Each check is reported on its own, in order, and the first failure stops the
ones that depend on it: reachable and logged on → folder exists → SMB dialect
and encryption → create, write, read back, rename and delete a probe file →
free space → whether the backups the retention keeps will fit (forecast from
the sizes of recent backups, with a 10 % margin).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from azsbackup.errors import AzsBackupError, ExitCode, LocationFull, NotConfigured
from azsbackup.model import SCHEMA
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller
from azsbackup.storage.base import Location

PROBE_SIZE = 1 << 20
MARGIN = 1.1


@dataclass
class LocationReport:
    path: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    error: AzsBackupError | None = None

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"name": name, "ok": ok, "detail": detail})

    @property
    def exit_code(self) -> int:
        return int(self.error.exit_code) if self.error else int(ExitCode.OK)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "path": self.path,
            "status": "Failed" if self.error else "Succeeded",
            "checks": self.checks,
            "error": self.error.to_dict() if self.error else None,
        }


def backups_kept(frequency_hours: int, retention_days: int) -> int:
    return retention_days * 24 // frequency_hours + 1


def check_location(controller: Controller) -> LocationReport:
    from azsbackup.service.export import external_location

    config = controller.config()
    if not config.path:
        raise NotConfigured(field="external path", how="azsbackup config set --path \\\\server\\share\\folder")
    report = LocationReport(config.path)
    try:
        with external_location(controller, create_root=False) as location:
            report.check("connect", True, f"reached and logged on to {location.display}")
            _describe_session(location, report)
            _probe_file(location, report)
            _forecast(controller, location, report, config.frequency_hours, config.retention_days)
    except AzsBackupError as exc:
        report.error = exc
        report.check(exc.code, False, exc.message)
    return report


def _describe_session(location: Location, report: LocationReport) -> None:
    base = getattr(location, "base", location)
    dialect = getattr(base, "dialect", None)
    if dialect is None:
        report.check("transport", True, "local directory")
        return
    encrypted = bool(getattr(base, "encrypted", False))
    report.check("transport", True, f"SMB {dialect}, {'encrypted' if encrypted else 'NOT encrypted'}")


def _probe_file(location: Location, report: LocationReport) -> None:
    name = f"azsbackup-probe-{secrets.token_hex(4)}"
    data = os.urandom(PROBE_SIZE)
    location.makedirs("")
    with location.open_write(name) as writer:
        writer.write(data)
        writer.commit()
    report.check("create and write", True, f"wrote {PROBE_SIZE} bytes to {name}")
    with location.open_read(name) as back:
        same = hashlib.sha256(back.read()).digest() == hashlib.sha256(data).digest()
    report.check("read back", same, "content matches" if same else "content differs")
    location.rename(name, name + ".renamed")
    report.check("rename", True, "renamed the probe file")
    location.delete(name + ".renamed")
    report.check("delete", not location.exists(name + ".renamed"), "deleted the probe file")


def _forecast(
    controller: Controller, location: Location, report: LocationReport, frequency: int, retention: int
) -> None:
    space = location.free_space()
    report.check("free space", True, f"{space.free} of {space.total} bytes free")
    recent = [r.stored_size for r in list_backups(controller)[-5:]]
    if not recent:
        report.check("forecast", True, "no backup yet to forecast from")
        return
    kept = backups_kept(frequency, retention)
    needed = int(max(recent) * kept * MARGIN)
    exported = sum(r.stored_size for r in list_backups(controller) if r.export.get("status") == "Succeeded")
    fits = needed - exported <= space.free
    report.check("forecast", fits, f"{kept} backups of up to {max(recent)} bytes need about {needed} bytes")
    if not fits:
        raise LocationFull(location=location.display, detail=f"the next backups will not fit ({needed} bytes needed)")
