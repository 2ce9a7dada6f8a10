"""What the functions of azsbackup/providers/scripts/AzsBackupRemote.ps1 do on a host, for the WinRM TEST DOUBLE.

The double (server.py) never runs PowerShell. Once a client has defined these functions in its
session (the winrm provider sends the script when it connects), a call runs the Python below against a
local directory that stands for the host's disk: ``-Root`` is a local absolute path here, where a real
host gets a Windows path. The behaviour follows the script's contract: the same output objects
(PSCustomObject with the same properties and .NET types), the same error ids (``AzsBackupRemote.<Reason>``),
the same partial-file protocol for writes. Nothing here is callable before a client defined it, and the
parameters come bound by the definition the client sent (runspace.py).

What this cannot show is that the PowerShell bodies do the same on Windows (long paths, locked files,
reparse points, attributes): the static contract tests hold the script to its typed style, and only a
real host runs it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psrpcore.types import ErrorCategory, PSCustomObject, PSInt64

from tests.winrm_endpoint.runspace import CommandError, not_hostable
from tests.winrm_endpoint.server import WinRMEndpoint

PARTIAL = ".azsbackup-partial"
FORBIDDEN = set('"<>|:*?\\/') | {chr(c) for c in range(32)}  # [System.IO.Path]::GetInvalidFileNameChars() on Windows


@dataclass
class Faults:
    """Faults a test injects into the host's behaviour, and the calls the host served."""

    corrupt_next_read: bool = False
    corrupt_next_write: str = ""
    """A relative name: the first chunk written for it lands with one byte flipped."""
    locked: set[str] = field(default_factory=set)
    """Relative names another process holds without sharing: opening them fails with AzsBackupRemote.Locked."""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(function, parameters without byte values) for every call served."""


def _error(reason: str, message: str) -> CommandError:
    category = {
        "NotFound": ErrorCategory.ObjectNotFound,
        "AccessDenied": ErrorCategory.PermissionDenied,
        "Locked": ErrorCategory.ResourceBusy,
        "InvalidArgument": ErrorCategory.InvalidArgument,
        "Mismatch": ErrorCategory.InvalidData,
    }.get(reason, ErrorCategory.ReadError)
    return CommandError(f"AzsBackupRemote.{reason}", message, category)


def _os_error(exc: OSError, name: str) -> CommandError:
    if isinstance(exc, FileNotFoundError):
        return _error("NotFound", f"Could not find '{name}'.")
    if isinstance(exc, PermissionError):
        return _error("AccessDenied", f"Access to the path '{name}' is denied.")
    return _error("IOError", f"{name}: {exc.strerror or type(exc).__name__}")


def _resolve(root: str, relative: str = "") -> Path:
    """Get-AzsBackupRemotePath's rules: an absolute root; plain names below it."""
    if not Path(root).is_absolute():
        raise _error("InvalidArgument", f"The root {root} is not a fully qualified path.")
    parts = relative.split("/") if relative else []
    if any(p in ("", ".", "..") or FORBIDDEN & set(p) for p in parts):
        raise _error("InvalidArgument", f"The name {relative} is not a plain name below the root.")
    return Path(root, *parts)


def _entry(name: str, kind: str, size: int = 0, ticks: int = 0, reason: str = "") -> PSCustomObject:
    return PSCustomObject(RelativePath=name, Type=kind, Size=PSInt64(size), MtimeTicks=PSInt64(ticks), Reason=reason)


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class RemoteHost:
    """The host-side behaviour of each function of AzsBackupRemote.ps1, by function name."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults

    def implementations(self) -> dict[str, Any]:
        return {
            "Get-AzsBackupRemotePath": lambda p: [str(_resolve(p["Root"], p["RelativePath"]))],
            "ConvertTo-AzsBackupRemoteError": self._helper_only,
            "New-AzsBackupRemoteTreeEntry": lambda p: [
                _entry(p["RelativePath"], p["Type"], p["Size"], p["MtimeTicks"], p["Reason"])
            ],
            "Get-AzsBackupRemoteTree": self.tree,
            "Read-AzsBackupRemoteFile": self.read,
            "Get-AzsBackupRemoteFileHash": self.hash,
            "New-AzsBackupRemoteDirectory": self.new_directory,
            "Write-AzsBackupRemoteFile": self.write,
            "Complete-AzsBackupRemoteFile": self.complete,
        }

    def _helper_only(self, _parameters: dict[str, Any]) -> list[Any]:
        raise not_hostable("ConvertTo-AzsBackupRemoteError turns a caught .NET exception into an ErrorRecord")

    def _open(self, root: str, relative: str) -> Any:
        if relative in self.faults.locked:
            raise _error("Locked", f"The process cannot access the file '{relative}' because it is being used.")
        try:
            return _resolve(root, relative).open("rb")
        except OSError as exc:
            raise _os_error(exc, relative) from exc

    def tree(self, p: dict[str, Any]) -> list[Any]:
        root = _resolve(p["Root"])
        if not root.is_dir():
            raise _error("NotFound", f"Cannot find the directory {p['Root']}.")
        entries: list[Any] = []
        pending = [""]
        while pending:
            prefix = pending.pop()
            try:
                children = sorted(os.scandir(root / prefix), key=lambda e: e.name)
            except OSError as exc:
                if not prefix:
                    raise _os_error(exc, p["Root"]) from exc
                entries.append(_entry(prefix.rstrip("/"), "Skipped", reason=f"cannot list the directory: {exc}"))
                continue
            for child in children:
                name, info = prefix + child.name, child.stat(follow_symlinks=False)
                ticks = info.st_mtime_ns // 100
                if any(0xD800 <= ord(c) <= 0xDFFF for c in name):  # undecodable bytes here, lone surrogates there
                    shown = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in name)
                    entries.append(_entry(shown, "Skipped", reason="the name is not valid Unicode"))
                elif stat.S_ISLNK(info.st_mode):
                    entries.append(_entry(name, "Skipped", 0, ticks, "a symbolic link, junction or mount point"))
                elif stat.S_ISDIR(info.st_mode):
                    entries.append(_entry(name, "Directory", 0, ticks))
                    pending.append(name + "/")
                elif stat.S_ISREG(info.st_mode):
                    entries.append(_entry(name, "File", info.st_size, ticks))
                else:
                    entries.append(_entry(name, "Skipped", 0, ticks, "not a file or directory"))
        return entries

    def read(self, p: dict[str, Any]) -> list[Any]:
        self.faults.calls.append(("Read-AzsBackupRemoteFile", dict(p)))
        with self._open(p["Root"], p["RelativePath"]) as fh:
            fh.seek(p["Offset"])
            data = fh.read(p["Length"])
        if self.faults.corrupt_next_read and data:
            self.faults.corrupt_next_read = False
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return [data] if data else []  # no empty byte array: the script writes nothing at the end of a file

    def hash(self, p: dict[str, Any]) -> list[Any]:
        with self._open(p["Root"], p["RelativePath"]):
            pass
        sha256, size = _sha256(_resolve(p["Root"], p["RelativePath"]))
        return [PSCustomObject(Sha256=sha256, Size=PSInt64(size))]

    def new_directory(self, p: dict[str, Any]) -> list[Any]:
        try:
            _resolve(p["Root"], p["RelativePath"]).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, p["RelativePath"]) from exc
        return []

    def _partial(self, root: str, relative: str) -> Path:
        _resolve(root, relative)
        return _resolve(root, relative.rpartition("/")[0]) / PARTIAL

    def write(self, p: dict[str, Any]) -> list[Any]:
        self.faults.calls.append(("Write-AzsBackupRemoteFile", {k: v for k, v in p.items() if k != "Data"}))
        partial, offset = self._partial(p["Root"], p["RelativePath"]), p["Offset"]
        try:
            if offset == 0:
                partial.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("r+b" if offset else "wb") as fh:
                length = fh.seek(0, os.SEEK_END)
                if length != offset:
                    raise _error("Mismatch", f"The partial file holds {length} bytes, not {offset}.")
                data = p["Data"]
                if self.faults.corrupt_next_write == p["RelativePath"] and data:
                    self.faults.corrupt_next_write = ""
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                fh.write(data)
        except OSError as exc:
            raise _os_error(exc, p["RelativePath"]) from exc
        return []

    def complete(self, p: dict[str, Any]) -> list[Any]:
        partial, target = self._partial(p["Root"], p["RelativePath"]), _resolve(p["Root"], p["RelativePath"])
        try:
            sha256, size = _sha256(partial)
            if sha256 != p["Sha256"]:
                partial.unlink()
                raise _error("Mismatch", f"{p['RelativePath']} was written with SHA-256 {sha256}, not {p['Sha256']}.")
            os.replace(partial, target)
            mtime_ns = p["MtimeTicks"] * 100
            os.utime(target, ns=(mtime_ns, mtime_ns))
        except OSError as exc:
            raise _os_error(exc, p["RelativePath"]) from exc
        return [PSCustomObject(Sha256=sha256, Size=PSInt64(size))]


def register_remote_functions(endpoint: WinRMEndpoint) -> Faults:
    """Teach the endpoint what the winrm provider's functions do, for sessions that define them."""
    faults = Faults()
    for name, implementation in RemoteHost(faults).implementations().items():
        endpoint.register_hostable(name, implementation)
    return faults
