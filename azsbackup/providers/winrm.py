"""The ``winrm`` provider: a directory tree on a remote Windows host, over WinRM/PSRP.

Nothing is installed on the host. The provider brings its PowerShell functions
with it: ``providers/scripts/AzsBackupRemote.ps1`` (function definitions only)
is sent once per connection as a script run in the runspace's global scope
(:meth:`~azsbackup.remote.client.RemoteClient.define`), then each function is
called by name with PSRP parameters. :data:`FUNCTIONS` lists every function the
provider calls, the parameters it passes (with their Python types) and the
properties it reads back; the contract tests hold the script to that list.

Backup lists the tree (``Get-AzsBackupRemoteTree``: names, types, sizes, last
write times), then streams each file in 1 MiB chunks
(``Read-AzsBackupRemoteFile``), hashing as it goes, and compares the SHA-256
with the one the host computes over the file afterwards
(``Get-AzsBackupRemoteFileHash``): a mismatch fails the component (corruption in
transit, or the file changed while it was read). Memory holds one chunk at a
time: 1 MiB per call keeps a 256 MiB file near 100 MiB peak RSS, where 4 MiB
calls reached 200-245 MiB (pypsrp holds several copies of each response).
Entries the host skipped (links, junctions, directories it cannot list, names
that are not valid Unicode) and files it cannot open (locked by another process
without sharing, access denied, gone) are warnings naming the file; the rest of
the tree is backed up.

Restore writes each file in chunks into a partial file on the host
(``Write-AzsBackupRemoteFile``); ``Complete-AzsBackupRemoteFile`` gives it its
name only once the host's SHA-256 of what it holds equals the one of the bytes
sent, and sets its last write time. Restoring into a root that is not empty
needs ``--force``; files of the backup then replace those of the same name, and
other files stay. With ``--to DIR`` it restores locally like the directory
provider.

The password of the remote account is a controller secret
(``component:<name>:password``), never a setting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from azsbackup.errors import (
    IntegrityError,
    InvalidValue,
    ProviderError,
    RemoteCommandError,
    RestoreTargetNotEmpty,
    SourceMissing,
)
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource, Readable
from azsbackup.providers.base import FilesAsArchived, ProviderContext, RestoreDestination, reject_unknown_settings

CHUNK = 1 << 20  # per remote call: bounds the client's buffers (base64 text, XML, fragments) per call
SETTINGS = ("host", "port", "remote_path", "username", "auth", "ssl", "cert_validation")
SCRIPT = "AzsBackupRemote.ps1"
NS_PER_TICK = 100  # .NET ticks are 100 ns; the script counts them from 1970-01-01 UTC
SKIPPABLE = {"AzsBackupRemote.Locked", "AzsBackupRemote.AccessDenied", "AzsBackupRemote.NotFound"}
"""Errors that make one file unreadable, not the tree: the file is skipped with a warning."""


@dataclass(frozen=True)
class RemoteFunction:
    """A function of the remote script as the provider calls it."""

    name: str
    parameters: Mapping[str, type]
    """Each parameter the provider passes, with the Python type of its value."""
    reads: tuple[str, ...] = ()
    """The properties the provider reads on each object the function writes."""


TREE = RemoteFunction(
    "Get-AzsBackupRemoteTree", {"Root": str}, ("RelativePath", "Type", "Size", "MtimeTicks", "Reason")
)
READ = RemoteFunction("Read-AzsBackupRemoteFile", {"Root": str, "RelativePath": str, "Offset": int, "Length": int})
HASH = RemoteFunction("Get-AzsBackupRemoteFileHash", {"Root": str, "RelativePath": str}, ("Sha256", "Size"))
MKDIR = RemoteFunction("New-AzsBackupRemoteDirectory", {"Root": str, "RelativePath": str})
WRITE = RemoteFunction("Write-AzsBackupRemoteFile", {"Root": str, "RelativePath": str, "Offset": int, "Data": bytes})
COMPLETE = RemoteFunction(
    "Complete-AzsBackupRemoteFile",
    {"Root": str, "RelativePath": str, "Sha256": str, "MtimeTicks": int},
    ("Sha256", "Size"),
)
FUNCTIONS = (TREE, READ, HASH, MKDIR, WRITE, COMPLETE)


def secret_key(component: str) -> str:
    return f"component:{component}:password"


def remote_script() -> str:
    """The text of the functions the provider defines on the host."""
    return (resources.files("azsbackup.providers") / "scripts" / SCRIPT).read_text(encoding="ascii")


def error_reason(exc: RemoteCommandError) -> str:
    """``AzsBackupRemote.Locked`` from ``AzsBackupRemote.Locked,Read-AzsBackupRemoteFile``."""
    return str(exc.facts.get("error_id", "")).partition(",")[0]


class _Host:
    """The remote functions on one connection, rooted at the component's remote path."""

    def __init__(self, client: Any, root: str, component: str) -> None:
        self._client = client
        self.root = root
        self.component = component

    def call(self, function: RemoteFunction, **values: object) -> list[Any]:
        arguments = {"Root": self.root, **values}
        for name, value in arguments.items():
            expected = function.parameters.get(name)
            if expected is None or not isinstance(value, expected) or isinstance(value, bool):
                raise TypeError(f"{function.name} -{name}: {type(value).__name__} is not what the provider declares")
        return list(self._client.invoke(function.name, arguments))

    def objects(self, function: RemoteFunction, **values: object) -> list[dict[str, Any]]:
        """The objects a function wrote, each checked to carry the properties the provider reads."""
        output = self.call(function, **values)
        for item in output:
            missing = [p for p in function.reads if not isinstance(item, dict) or p not in item]
            if missing:
                raise ProviderError(
                    component=self.component, detail=f"{function.name} answered without {', '.join(missing)}"
                )
        return output


class _RemoteFile:
    """Reads one remote file in chunks and checks its SHA-256 with the host's when the last byte was read."""

    def __init__(self, host: _Host, name: str, size: int, first: bytes, on_progress: Callable[[int], None]) -> None:
        self._host = host
        self._on_progress = on_progress
        self._name = name
        self._size = size
        self._pending = first
        self._offset = len(first)
        self._digest = hashlib.sha256(first)

    def read(self, n: int = -1) -> bytes:
        if not self._pending:
            if self._offset >= self._size:
                return b""
            self._fetch()
        size = len(self._pending) if n < 0 else min(n, len(self._pending))
        data, self._pending = self._pending[:size], self._pending[size:]
        self._on_progress(len(data))
        if not self._pending and self._offset >= self._size:
            self._check()
        return data

    def _fetch(self) -> None:
        want = min(self._size - self._offset, CHUNK)
        output = self._host.call(READ, RelativePath=self._name, Offset=self._offset, Length=want)
        self._pending = bytes(output[0]) if output else b""
        if not self._pending:
            raise ProviderError(
                component=self._host.component, detail=f"{self._name} ended at {self._offset} of {self._size} bytes"
            )
        self._offset += len(self._pending)
        self._digest.update(self._pending)

    def _check(self) -> None:
        host = self._host.objects(HASH, RelativePath=self._name)[0]
        if host["Sha256"] != self._digest.hexdigest():
            changed = int(host["Size"]) != self._size
            raise IntegrityError(
                subject=self._name,
                detail=(
                    f"the file changed while it was read (now {host['Size']} bytes, {self._size} when listed)"
                    if changed
                    else "the bytes read do not match the host's SHA-256 (corrupted in transit, or changed while read)"
                ),
            )


class WinRMProvider(FilesAsArchived):
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

    def _connect(self, client: Any) -> _Host:
        """The provider's functions, defined in the runspace this connection opened."""
        client.define(remote_script())
        return _Host(client, str(self._settings["remote_path"]), self.component)

    def _tree(self, host: _Host) -> Iterator[dict[str, Any]]:
        try:
            entries = host.objects(TREE)
        except RemoteCommandError as exc:
            if error_reason(exc) == "AzsBackupRemote.NotFound":
                raise SourceMissing(component=self.component, path=host.root) from exc
            raise
        for entry in entries:
            relative = str(entry["RelativePath"])
            if not relative or relative.startswith("/") or ".." in PurePosixPath(relative).parts:
                raise IntegrityError(subject=self.component, detail=f"the host listed an unsafe name {relative!r}")
            yield entry

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        with self._client() as client:
            host = self._connect(client)
            entries = list(self._tree(host))
            ctx.expect_bytes(sum(int(e["Size"]) for e in entries if e["Type"] == "File"))
            for entry in entries:
                name, mtime_ns = str(entry["RelativePath"]), int(entry["MtimeTicks"]) * NS_PER_TICK
                if entry["Type"] == "Skipped":
                    code = "link-skipped" if "link" in str(entry["Reason"]) else "unreadable"
                    ctx.warn(code, f"skipped {name}: {entry['Reason'] or 'skipped by the host'}", name)
                elif entry["Type"] == "Directory":
                    sink.add(Item(name, ItemKind.DIRECTORY, 0o755, mtime_ns))
                else:
                    self._back_up_file(host, sink, ctx, Item(name, ItemKind.FILE, 0o644, mtime_ns, int(entry["Size"])))

    def _back_up_file(self, host: _Host, sink: ItemSink, ctx: ProviderContext, item: Item) -> None:
        try:
            output = (
                host.call(READ, RelativePath=item.name, Offset=0, Length=min(item.size, CHUNK)) if item.size else []
            )
        except RemoteCommandError as exc:
            if error_reason(exc) not in SKIPPABLE:
                raise
            ctx.warn("unreadable", f"skipped {item.name}: {exc.facts.get('detail', '')}", item.name)
            return
        first = bytes(output[0]) if output else b""
        sink.add(item, _RemoteFile(host, item.name, item.size, first, ctx.on_progress))

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path | str:
        if dest.directory is not None:
            return self.restore_files(source, dest.directory, dest.force, ctx)
        with self._client() as client:
            host = self._connect(client)
            if not dest.force and self._has_entries(host):
                raise RestoreTargetNotEmpty(path=f"{self._settings['host']}:{host.root}")
            for item, content in source:
                if item.kind is ItemKind.DIRECTORY:
                    host.call(MKDIR, RelativePath=item.name)
                elif item.kind is ItemKind.FILE and content is not None:
                    self._upload(host, content, item)
                    ctx.on_progress(item.size)
        return f"{self._settings['host']}:{host.root}"

    def _has_entries(self, host: _Host) -> bool:
        try:
            return bool(host.call(TREE))
        except RemoteCommandError as exc:
            if error_reason(exc) == "AzsBackupRemote.NotFound":
                return False  # the root is created with the first file
            raise

    def _upload(self, host: _Host, content: Readable, item: Item) -> None:
        digest, offset = hashlib.sha256(), 0
        chunk = content.read(CHUNK)
        host.call(WRITE, RelativePath=item.name, Offset=0, Data=chunk)  # creates (or empties) the partial file
        while chunk:
            digest.update(chunk)
            offset += len(chunk)
            chunk = content.read(CHUNK)
            if chunk:
                host.call(WRITE, RelativePath=item.name, Offset=offset, Data=chunk)
        written = host.objects(
            COMPLETE, RelativePath=item.name, Sha256=digest.hexdigest(), MtimeTicks=item.mtime_ns // NS_PER_TICK
        )[0]
        if written["Sha256"] != digest.hexdigest() or int(written["Size"]) != offset:
            raise IntegrityError(subject=item.name, detail="the file on the host does not match what was sent")
