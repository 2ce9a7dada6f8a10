"""The ``sqlite`` provider: a live SQLite database through the online backup API.

The snapshot is taken in one step (``Connection.backup`` with all pages at
once) from a read-only connection into a temporary file, which makes it
transactionally consistent even while other processes commit (in WAL mode
writers are not even blocked). The snapshot passes ``PRAGMA integrity_check``
before it is archived as one file named after the database.

Restore writes the file beside its destination, checks its integrity, and
moves it into place with an atomic rename, removing the old database's
``-wal`` and ``-shm`` files, which belong to the replaced database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from azsbackup.errors import InvalidValue, ProviderError, RestoreTargetNotEmpty, SourceMissing
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource
from azsbackup.osutil import fsync_dir
from azsbackup.providers.base import FilesAsArchived, ProviderContext, RestoreDestination, reject_unknown_settings

COPY_CHUNK = 1 << 20


class SqliteProvider(FilesAsArchived):
    type_name: ClassVar[str] = "sqlite"

    def __init__(self, component: str, path: Path) -> None:
        self.component = component
        self.path = path

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> SqliteProvider:
        reject_unknown_settings("sqlite", settings, ("path",))
        path = settings.get("path")
        if not isinstance(path, str) or not path or not Path(path).is_absolute():
            raise InvalidValue(
                field="path", value=repr(path), allowed="the absolute path of a SQLite database (--path)"
            )
        return cls(component, Path(path))

    def settings(self) -> dict[str, object]:
        return {"path": str(self.path)}

    def describe(self) -> str:
        return f"SQLite database {self.path}"

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        if not self.path.is_file():
            raise SourceMissing(component=self.component, path=str(self.path))
        mode = stat.S_IMODE(self.path.stat().st_mode)
        with tempfile.TemporaryDirectory(prefix="azsbackup-sqlite-") as tmp:
            snapshot = Path(tmp) / self.path.name
            self._snapshot(snapshot)
            size = snapshot.stat().st_size
            ctx.expect_bytes(size)
            with open(snapshot, "rb") as fh:
                sink.add(Item(self.path.name, ItemKind.FILE, mode, self.path.stat().st_mtime_ns, size), fh)
            ctx.on_progress(size)

    def _snapshot(self, snapshot: Path) -> None:
        try:
            source = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True, timeout=60)
            try:
                target = sqlite3.connect(snapshot)
                with contextlib.closing(target):
                    source.backup(target)
                    check = target.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                source.close()
        except sqlite3.Error as exc:
            raise ProviderError(component=self.component, detail=f"snapshot of {self.path} failed: {exc}") from exc
        if check != "ok":
            raise ProviderError(component=self.component, detail=f"the snapshot fails integrity_check: {check}")

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path:
        target = (dest.directory / self.path.name) if dest.directory is not None else self.path
        if target.exists() and not dest.force:
            raise RestoreTargetNotEmpty(path=str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.azsbackup-restore-{secrets.token_hex(4)}")
        try:
            self._write_single_file(source, staging, ctx)
            self._check(staging)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{target}{suffix}").unlink()
            staging.replace(target)
            fsync_dir(target.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()
        return target

    def _write_single_file(self, source: ItemSource, staging: Path, ctx: ProviderContext) -> None:
        written = False
        for item, content in source:
            if item.kind is not ItemKind.FILE or content is None or written:
                raise ProviderError(component=self.component, detail=f"unexpected archive member {item.name!r}")
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            with os.fdopen(fd, "wb") as out:
                while chunk := content.read(COPY_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())  # durable before it replaces the live database
            os.chmod(staging, stat.S_IMODE(item.mode))
            os.utime(staging, ns=(item.mtime_ns, item.mtime_ns))
            ctx.on_progress(item.size)
            written = True
        if not written:
            raise ProviderError(component=self.component, detail="the archive holds no database")

    def _check(self, database: Path) -> None:
        try:
            with contextlib.closing(sqlite3.connect(database)) as db:
                check = db.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.Error as exc:
            raise ProviderError(component=self.component, detail=f"restored database unreadable: {exc}") from exc
        if check != "ok":
            raise ProviderError(component=self.component, detail=f"restored database fails integrity_check: {check}")
