"""The file commands of the `winrm` provider, as the test double runs them: against a local directory that
stands for the remote host's disk. The real functions are azsbackup/providers/scripts/AzsBackupRemote.ps1."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.winrm_endpoint.server import CommandError, WinRMEndpoint


@dataclass
class Faults:
    corrupt_next_read: bool = False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def register_file_commands(endpoint: WinRMEndpoint) -> Faults:
    faults = Faults()

    def tree(p: dict[str, Any]) -> list[Any]:
        root = Path(p["Path"])
        if not root.is_dir():
            raise CommandError("PathNotFound", f"Cannot find path '{root}' because it does not exist.")
        entries = []
        for path in sorted(root.rglob("*")):
            is_dir = path.is_dir()
            entries.append(
                {
                    "RelativePath": path.relative_to(root).as_posix(),
                    "Type": "Directory" if is_dir else "File",
                    "Size": 0 if is_dir else path.stat().st_size,
                    "MtimeNs": path.stat().st_mtime_ns,
                    "Sha256": "" if is_dir else _sha256(path),
                }
            )
        return entries

    def read(p: dict[str, Any]) -> list[Any]:
        with Path(p["Path"]).open("rb") as fh:
            fh.seek(int(p.get("Offset", 0)))
            data = fh.read(int(p.get("Length", 4 << 20)))
        if faults.corrupt_next_read and data:
            faults.corrupt_next_read = False
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return [data]

    def write(p: dict[str, Any]) -> list[Any]:
        path, offset = Path(p["Path"]), int(p.get("Offset", 0))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("r+b" if offset else "wb") as fh:
            fh.seek(offset)
            fh.write(bytes(p.get("Data") or b""))
        return []

    endpoint.register("Get-AzsBackupRemoteTree", tree)
    endpoint.register("Read-AzsBackupRemoteFile", read)
    endpoint.register("Write-AzsBackupRemoteFile", write)
    endpoint.register("Get-AzsBackupRemoteFileHash", lambda p: [_sha256(Path(p["Path"]))])
    endpoint.register("New-AzsBackupRemoteDirectory", lambda p: [Path(p["Path"]).mkdir(parents=True, exist_ok=True)])
    return faults
