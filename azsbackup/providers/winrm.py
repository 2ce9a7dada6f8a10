"""The ``winrm`` provider: a directory tree on a remote Windows host, over WinRM/PSRP.

Backup enumerates the remote tree with one call (names, sizes, mtimes and
SHA-256, from ``Get-AzsBackupRemoteTree``), then streams each file in 1 MiB
chunks (``Read-AzsBackupRemoteFile``), hashing as it goes: a file whose bytes
do not hash to what the host reported fails the component (corruption in
transit, or the file changed between listing and reading). Memory holds one
chunk at a time: 1 MiB per call keeps a 256 MiB file near 100 MiB peak RSS, where
4 MiB calls reached 200-245 MiB (pypsrp holds several copies of each response).

Restore writes the files back in chunks (``Write-AzsBackupRemoteFile``) and
compares each file's remote SHA-256 with the archive's; with ``--to DIR`` it
restores locally like the directory provider. The remote commands are plain
PowerShell functions shipped in ``providers/scripts/AzsBackupRemote.ps1``.

The password of the remote account is a controller secret
(``component:<name>:password``), never a setting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from azsbackup.errors import IntegrityError, InvalidValue, ProviderError
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource, Readable
from azsbackup.providers.base import ProviderContext, RestoreDestination, reject_unknown_settings
from azsbackup.providers.fs import StagedTree

CHUNK = 1 << 20  # per remote call: bounds the client's buffers (base64 text, XML, fragments) per call
SETTINGS = ("host", "port", "remote_path", "username", "auth", "ssl", "cert_validation")


def secret_key(component: str) -> str:
    return f"component:{component}:password"


class _RemoteFile:
    """Reads one remote file in chunks and checks its SHA-256 when the last byte was read."""

    def __init__(self, invoke: Callable[..., list[Any]], path: str, size: int, sha256: str, name: str) -> None:
        self._invoke = invoke
        self._path = path
        self._size = size
        self._expected = sha256
        self._name = name
        self._offset = 0
        self._digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        left = self._size - self._offset
        if left <= 0:
            return b""
        want = min(left, CHUNK if n < 0 else min(n, CHUNK))
        result = self._invoke("Read-AzsBackupRemoteFile", {"Path": self._path, "Offset": self._offset, "Length": want})
        data = bytes(result[0]) if result else b""
        if not data:
            raise ProviderError(component=self._name, detail=f"{self._path} ended at {self._offset} of {self._size}")
        self._offset += len(data)
        self._digest.update(data)
        if self._offset >= self._size and self._digest.hexdigest() != self._expected:
            raise IntegrityError(
                subject=self._path,
                detail="the bytes read do not match the host's SHA-256 (corrupted in transit, or changed while read)",
            )
        return data


class WinRMProvider:
    type_name: ClassVar[str] = "winrm"

    def __init__(self, component: str, settings: dict[str, Any]) -> None:
        self.component = component
        self._settings = settings
        self.secret: Callable[[str], str | None] = lambda _key: None

    def bind_secrets(self, lookup: Callable[[str], str | None]) -> None:
        """Give the provider read access to the controller's secrets (its account password)."""
        self.secret = lookup

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> WinRMProvider:
        reject_unknown_settings("winrm", settings, SETTINGS)
        for required in ("host", "remote_path"):
            if not isinstance(settings.get(required), str) or not settings[required]:
                raise InvalidValue(
                    field=required.replace("_", "-"),
                    value=repr(settings.get(required)),
                    allowed="a value (required for winrm components)",
                )
        return cls(component, dict(settings))

    def settings(self) -> dict[str, object]:
        return dict(self._settings)

    def describe(self) -> str:
        return f"{self._settings['remote_path']} on {self._settings['host']} (WinRM)"

    def _client(self) -> Any:
        from azsbackup.remote.client import RemoteClient, RemoteSettings

        password = self.secret(secret_key(self.component))
        if not password:
            raise ProviderError(
                component=self.component,
                detail="no password is stored for the remote account",
                hint="Add the component again with the remote password (remote_password secret).",
            )
        s = self._settings
        return RemoteClient(
            RemoteSettings(
                host=str(s["host"]),
                username=str(s.get("username", "")),
                password=password,
                port=int(s["port"]) if s.get("port") else None,
                ssl=bool(s.get("ssl", True)),
                cert_validation=s.get("cert_validation", True),
                auth=str(s.get("auth", "negotiate")),
            )
        )

    def _tree(self, client: Any) -> Iterator[dict[str, Any]]:
        entries = client.invoke("Get-AzsBackupRemoteTree", {"Path": self._settings["remote_path"]})
        for entry in entries:
            relative = str(entry["RelativePath"])
            if relative.startswith("/") or ".." in PurePosixPath(relative).parts:
                raise IntegrityError(subject=self.component, detail=f"the host listed an unsafe name {relative!r}")
            yield entry

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        root = str(self._settings["remote_path"]).rstrip("/\\")
        with self._client() as client:
            entries = list(self._tree(client))
            ctx.expect_bytes(sum(int(e["Size"]) for e in entries if e["Type"] != "Directory"))
            for entry in entries:
                name, mtime = str(entry["RelativePath"]), int(entry["MtimeNs"])
                if entry["Type"] == "Directory":
                    sink.add(Item(name, ItemKind.DIRECTORY, 0o755, mtime))
                    continue
                size = int(entry["Size"])
                remote = f"{root}/{name}"
                content = _RemoteFile(client.invoke, remote, size, str(entry["Sha256"]), self.component)
                sink.add(Item(name, ItemKind.FILE, 0o644, mtime, size), content)
                ctx.on_progress(size)

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path | str:
        if dest.directory is not None:
            with StagedTree(dest.directory, force=dest.force) as tree:
                for item, content in source:
                    tree.add(item, content)
            return dest.directory
        root = str(self._settings["remote_path"]).rstrip("/\\")
        with self._client() as client:
            for item, content in source:
                remote = f"{root}/{item.name}"
                if item.kind is ItemKind.DIRECTORY:
                    client.invoke("New-AzsBackupRemoteDirectory", {"Path": remote})
                elif item.kind is ItemKind.FILE and content is not None:
                    self._upload(client, remote, content, item)
                    ctx.on_progress(item.size)
        return f"{self._settings['host']}:{root}"

    def _upload(self, client: Any, remote: str, content: Readable, item: Item) -> None:
        digest, offset = hashlib.sha256(), 0
        client.invoke("Write-AzsBackupRemoteFile", {"Path": remote, "Offset": 0, "Data": b""})
        while chunk := content.read(CHUNK):
            client.invoke("Write-AzsBackupRemoteFile", {"Path": remote, "Offset": offset, "Data": chunk})
            digest.update(chunk)
            offset += len(chunk)
        remote_hash = client.invoke("Get-AzsBackupRemoteFileHash", {"Path": remote})[0]
        if remote_hash != digest.hexdigest():
            raise IntegrityError(subject=remote, detail="the file on the host does not match what was sent")
