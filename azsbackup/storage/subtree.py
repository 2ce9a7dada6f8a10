"""A folder of a location seen as a location of its own (``MASBackup/`` on a share)."""

from __future__ import annotations

import dataclasses
from types import TracebackType
from typing import BinaryIO, Self

from azsbackup.errors import LocationError
from azsbackup.storage.base import AtomicWriter, Entry, Location, SpaceInfo, WriteResult, join


class Subtree:
    """Every path is taken relative to ``prefix`` inside ``base``; closing does not close ``base``."""

    def __init__(self, base: Location, prefix: str) -> None:
        self.base = base
        self.prefix = prefix.strip("/")

    def _p(self, path: str) -> str:
        return join(self.prefix, path)

    @property
    def display(self) -> str:
        return f"{self.base.display}/{self.prefix}"

    def open_write(self, path: str, *, expected_sha256: str | None = None, read_back: bool = False) -> AtomicWriter:
        writer = self.base.open_write(self._p(path), expected_sha256=expected_sha256, read_back=read_back)
        return _SubtreeWriter(writer, path)

    def open_read(self, path: str) -> BinaryIO:
        return self.base.open_read(self._p(path))

    def stat(self, path: str) -> Entry:
        return self.base.stat(self._p(path))

    def exists(self, path: str) -> bool:
        return self.base.exists(self._p(path))

    def list(self, path: str = "") -> list[Entry]:
        return self.base.list(self._p(path))

    def makedirs(self, path: str) -> None:
        self.base.makedirs(self._p(path))

    def rename(self, src: str, dst: str) -> None:
        self.base.rename(self._p(src), self._p(dst))

    def delete(self, path: str) -> None:
        self.base.delete(self._p(path))

    def delete_tree(self, path: str) -> None:
        if not path.strip("/"):
            raise LocationError(location=self.display, detail="refusing to delete the location's root")
        self.base.delete_tree(self._p(path))

    def free_space(self) -> SpaceInfo | None:
        return self.base.free_space()

    def close(self) -> None:
        """The base location belongs to whoever opened it."""


class _SubtreeWriter:
    """The base location's writer; what it committed is named by its path in the subtree."""

    def __init__(self, inner: AtomicWriter, path: str) -> None:
        self._inner = inner
        self._path = path

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return self._inner.write(data)

    def commit(self) -> WriteResult:
        return dataclasses.replace(self._inner.commit(), path=self._path)

    def abort(self) -> None:
        self._inner.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)
