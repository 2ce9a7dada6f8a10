"""Prove a location works before anything depends on it (``azsbackup location test``).

The checks, in order; the first failure stops the ones that depend on it and
becomes :attr:`ProbeReport.error`, a typed :mod:`azsbackup.errors` exception
the caller maps to an exit code:

================================  ============================================================================
``reachable``                     TCP connection and SMB negotiation with the server (SMB); the blob
                                  endpoint answered, over HTTPS or (allowed, warned) plain HTTP, with the
                                  REST API version used (blob)
``logged on``                     the session with the configured account (SMB only)
``dialect and encryption``        e.g. ``SMB 3.1.1, encrypted (AES-128-GCM)`` (SMB only)
``authenticated``                 the account key or SAS token was accepted; a SAS's expiry (blob only)
``container``                     the container exists (blob only)
``SAS permissions``               the SAS grants read, write, delete and list (blob with a SAS only)
``folder``                        the configured folder exists
``create``                        a probe file can be created (under its ``.partial-`` name)
``write``                         1 MiB written and committed: read back, SHA-256 compared, renamed
``read back``                     the committed file reads back with the same SHA-256
``rename``                        the file can be renamed
``delete``                        the file can be deleted, and is gone
``free space``                    free and total bytes of the volume (blob storage reports none: not checked)
``forecast``                      whether ``backups_kept`` backups of ``expected_backup_size`` (plus a margin)
                                  fit into the free space and what they already use of it
================================  ============================================================================

:func:`probe_location` takes an open location (so the first three are
reported from its session); :func:`open_and_probe` also opens it, and reports
an unreachable server, a refused logon or a server that cannot encrypt as the
failed check it is. The probe file is removed whatever happens.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from azsbackup.errors import (
    AccessDenied,
    AzsBackupError,
    EncryptionNotSupported,
    InvalidPath,
    LocationAuthFailed,
    LocationError,
    LocationFull,
)
from azsbackup.storage.base import Location
from azsbackup.storage.paths import Credentials, LocationSpec

PROBE_SIZE = 1 << 20
FORECAST_MARGIN = 0.10
"""Extra room the forecast asks for beyond ``backups_kept × expected_backup_size``."""

CHECK_NAMES = (
    "reachable",
    "logged on",
    "dialect and encryption",
    "folder",
    "create",
    "write",
    "read back",
    "rename",
    "delete",
    "free space",
    "forecast",
)
BLOB_CHECK_NAMES = ("reachable", "authenticated", "container", "SAS permissions", *CHECK_NAMES[3:])
"""The checks of a blob location (``SAS permissions`` only with a SAS token)."""


@dataclass(frozen=True)
class ProbeCheck:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class ProbeReport:
    """The checks that ran, in order; ``error`` is the failure that stopped the probe (or the forecast's)."""

    location: str
    checks: list[ProbeCheck] = field(default_factory=list)
    error: AzsBackupError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(check.ok for check in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(ProbeCheck(name, ok, detail))

    def to_dict(self) -> dict[str, object]:
        return {
            "location": self.location,
            "ok": self.ok,
            "checks": [check.to_dict() for check in self.checks],
            "error": self.error.to_dict() if self.error else None,
        }


class _Stop(Exception):
    """A check failed; the ones after it are not run."""


@contextmanager
def _step(report: ProbeReport, name: str) -> Iterator[None]:
    """Run one check: a typed error is recorded as its failure and stops the probe."""
    try:
        yield
    except AzsBackupError as exc:
        report.add(name, False, exc.message)
        report.error = exc
        raise _Stop from exc


def probe_location(
    location: Location, *, expected_backup_size: int | None, backups_kept: int, already_stored: int = 0
) -> ProbeReport:
    """Run every check on an open ``location``; typed errors end up in the report, not raised.

    ``already_stored`` is what backups that will still be kept already occupy
    on the location: that space is not free, but does not have to be found again.
    """
    report = ProbeReport(location.display)
    _probe(location, report, expected_backup_size, backups_kept, already_stored)
    return report


def open_and_probe(
    spec: LocationSpec,
    credentials: Credentials,
    *,
    allow_unencrypted: bool = False,
    allow_insecure_http: bool = False,
    blob_api_version: str | None = None,
    expected_backup_size: int | None,
    backups_kept: int,
    already_stored: int = 0,
) -> ProbeReport:
    """Open the location ``spec`` describes and probe it; a failure to open is reported as the check it fails."""
    from azsbackup.storage import open_location

    report = ProbeReport(spec.display)
    try:
        location = open_location(
            spec,
            credentials,
            allow_unencrypted=allow_unencrypted,
            allow_insecure_http=allow_insecure_http,
            blob_api_version=blob_api_version,
        )
    except LocationError as exc:
        _report_open_failure(spec, credentials, report, exc)
        return report
    try:
        _probe(location, report, expected_backup_size, backups_kept, already_stored)
    finally:
        location.close()
    return report


def _probe(location: Location, report: ProbeReport, size: int | None, backups_kept: int, already_stored: int) -> None:
    _describe_session(location, report)
    try:
        _probe_file(location, report)
        _forecast(location, report, size, backups_kept, already_stored)
    except _Stop:
        pass


def _report_open_failure(spec: LocationSpec, credentials: Credentials, report: ProbeReport, exc: LocationError) -> None:
    """The check an error while opening fails (and the ones before it, which passed)."""
    if spec.kind == "blob":
        _report_blob_open_failure(spec, report, exc)
        return
    reached = ProbeCheck("reachable", True, f"connected to {spec.server}:{spec.port}")
    logged_on = ProbeCheck("logged on", True, f"logged on as {credentials.username!r}")
    if isinstance(exc, LocationAuthFailed):
        passed, failed = [reached], "logged on"
    elif isinstance(exc, EncryptionNotSupported):  # refused after the logon, before any share
        passed, failed = [reached, logged_on], "dialect and encryption"
    elif isinstance(exc, InvalidPath | AccessDenied):  # the share
        passed, failed = [reached, logged_on], "folder"
    else:  # unreachable, or anything else before the logon completed
        passed, failed = [], "reachable"
    report.checks.extend(passed)
    report.add(failed, False, exc.message)
    report.error = exc


def _report_blob_open_failure(spec: LocationSpec, report: ProbeReport, exc: LocationError) -> None:
    """Opening a blob location lists its container: which of reachable, authenticated, SAS permissions,
    container failed."""
    from azsbackup.errors import BlobContainerMissing, BlobPermissionDenied

    reached = ProbeCheck("reachable", True, f"{spec.account_url} answered")
    authenticated = ProbeCheck("authenticated", True, "the credential was accepted")
    if isinstance(exc, LocationAuthFailed):
        passed, failed = [reached], "authenticated"
    elif isinstance(exc, BlobContainerMissing | BlobPermissionDenied):  # missing, or listing it was refused
        passed, failed = [reached, authenticated], "container"
    else:  # unreachable, TLS, throttled, a REST API version the endpoint does not serve
        passed, failed = [], "reachable"
    report.checks.extend(passed)
    report.add(failed, False, exc.message)
    report.error = exc


def _session_of(location: Location) -> Any:
    """The SMB location under ``location`` (which may be a folder of it), or None for a local one."""
    seen = location
    for _ in range(8):
        if hasattr(seen, "session_info") or hasattr(seen, "session_checks"):
            return seen
        base = getattr(seen, "base", None)
        if base is None:
            return None
        seen = base
    return None


def _describe_session(location: Location, report: ProbeReport) -> None:
    smb = _session_of(location)
    if smb is None:
        return
    if hasattr(smb, "session_checks"):  # what opening a blob location proved
        for name, ok, detail in smb.session_checks():
            report.add(name, ok, detail)
        if not report.ok:
            report.error = smb.sas_permission_error()
        return
    spec: LocationSpec = smb.spec
    report.add("reachable", True, f"connected to {spec.server}:{spec.port}")
    report.add("logged on", True, f"logged on as {smb.username!r}")
    try:
        info = smb.session_info
    except LocationError as exc:
        report.add("dialect and encryption", False, exc.message)
        report.error = exc
        return
    report.add("dialect and encryption", True, str(info))


def _probe_file(location: Location, report: ProbeReport) -> None:
    if report.error is not None:
        raise _Stop
    with _step(report, "folder"):
        if not location.exists(""):
            raise InvalidPath(location=location.display, detail="the configured folder does not exist")
    report.add("folder", True, f"{location.display} exists")
    name = f"azsbackup-probe-{secrets.token_hex(6)}"
    renamed = f"{name}.renamed"
    data = os.urandom(PROBE_SIZE)
    expected = hashlib.sha256(data).hexdigest()
    try:
        with _step(report, "create"):
            writer = location.open_write(name)
        report.add("create", True, f"created {name}")
        with writer, _step(report, "write"):
            writer.write(data)
            result = writer.commit()
        report.add("write", True, f"wrote, flushed and committed {result.size} bytes")
        with _step(report, "read back"), location.open_read(name) as back:
            digest = hashlib.sha256(back.read()).hexdigest()
        if digest != expected:
            report.add("read back", False, f"content differs: SHA-256 {digest}, wrote {expected}")
            report.error = LocationError(location=location.display, detail=f"{name} reads back different content")
            raise _Stop
        report.add("read back", True, f"{PROBE_SIZE} bytes, SHA-256 matches")
        with _step(report, "rename"):
            location.rename(name, renamed)
        report.add("rename", True, f"renamed to {renamed}")
        with _step(report, "delete"):
            location.delete(renamed)
            if location.exists(renamed):
                raise LocationError(location=location.display, detail=f"{renamed} is still there after deleting it")
        report.add("delete", True, f"deleted {renamed}")
    finally:
        for leftover in (name, renamed):
            with suppress(AzsBackupError):
                location.delete(leftover)


def _forecast(
    location: Location, report: ProbeReport, size: int | None, backups_kept: int, already_stored: int
) -> None:
    with _step(report, "free space"):
        space = location.free_space()
    if space is None:
        report.add("free space", True, "the storage reports no capacity (an account is bounded by its quota)")
        report.add("forecast", True, "not checked: no capacity to compare with")
        return
    report.add("free space", True, f"{_size(space.free)} free of {_size(space.total)}")
    if size is None:
        report.add("forecast", True, "no backup yet to forecast from")
        return
    needed = math.ceil(backups_kept * size * (1 + FORECAST_MARGIN))
    missing = needed - already_stored - space.free
    detail = (
        f"{backups_kept} backups of about {_size(size)} need {_size(needed)} with a {FORECAST_MARGIN:.0%} margin; "
        f"{_size(already_stored)} already stored, {_size(space.free)} free"
    )
    if missing > 0:
        report.add("forecast", False, f"{detail}: {_size(missing)} short")
        report.error = LocationFull(
            location=location.display, detail=f"the next backups will not fit: {_size(missing)} short"
        )
        return
    report.add("forecast", True, detail)


def _size(n: int) -> str:
    """``512 bytes``, ``1.5 MiB``, ``3.2 TiB``."""
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
