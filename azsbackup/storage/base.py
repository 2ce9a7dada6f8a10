"""The storage contract every location implements.

A location is a tree of files addressed by relative POSIX paths
(``MASBackup/20261124T215012.345Z-9f3a01bc/manifest.json``). It knows nothing of
archives or manifests. Guarantees every implementation gives, checked by the
one conformance suite in ``tests/storage/test_conformance.py``:

* :meth:`Location.open_write` returns an :class:`AtomicWriter`: data goes to
  a temporary name beside the final one (``<name>.partial-<random>``); on
  :meth:`AtomicWriter.commit` it is flushed to stable storage and renamed to
  its final name. A reader never sees a partial file under a final name.
  After an :meth:`AtomicWriter.abort` or a crash only a ``.partial-`` file is
  left, which ``prune`` removes. A blob location has no temporary name: it
  stages blocks, each checked by the service against its MD5, and publishes
  them with one commit; until then nothing is listed (see
  ``azsbackup/storage/blob.py``).
* ``read_back=True`` adds the inline check: before the file gets its name
  (a blob: right after its commit, deleting it on a mismatch) it is read back
  in full and its size and SHA-256 compared with what was written, or with
  ``expected_sha256``; a difference raises
  :class:`~azsbackup.errors.ChecksumMismatch` and publishes nothing. Without
  it the writer reads nothing back and, when the caller names the SHA-256,
  hashes nothing either: :attr:`WriteResult.sha256` is then the caller's.
* read-after-write: a committed file is immediately visible to
  :meth:`open_read`, :meth:`stat` and :meth:`list`.
* failures are raised as :class:`~azsbackup.errors.LocationError`
  subclasses (unreachable, invalid path, authentication, access denied,
  full, connection lost), never as a library's own exception.
* :meth:`Location.free_space` is None where the storage reports no capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Protocol, Self

PARTIAL_MARKER = ".partial-"
"""Infix of temporary names; anything containing it is a leftover of an interrupted write."""


@dataclass(frozen=True)
class Entry:
    """One name in a directory listing."""

    name: str
    is_dir: bool
    size: int = 0
    mtime: float = 0.0


@dataclass(frozen=True)
class SpaceInfo:
    total: int
    free: int


@dataclass(frozen=True)
class WriteResult:
    path: str
    size: int
    sha256: str


class AtomicWriter(Protocol):
    """A file being written under a temporary name. Use as a context manager:
    leaving the block without :meth:`commit` aborts."""

    def write(self, data: bytes | bytearray | memoryview) -> int: ...

    def commit(self) -> WriteResult:
        """Flush (with ``read_back``: read back and compare the SHA-256), then rename to the final name."""
        ...

    def abort(self) -> None:
        """Remove the temporary file; never raises for a missing file."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class Location(Protocol):
    """A storage location: the internal store, a local export directory or an SMB share."""

    @property
    def display(self) -> str:
        """Where this is, for people and alerts (never contains a password)."""
        ...

    def open_write(self, path: str, *, expected_sha256: str | None = None, read_back: bool = False) -> AtomicWriter:
        """Start writing ``path`` under a temporary name.

        ``expected_sha256`` is the content's SHA-256 when the caller already
        knows it (an archive named in a signed manifest): the writer does not
        hash the data on the way out, and a read-back is compared with it.
        ``read_back`` reads the file back before it gets its name (see above).
        """
        ...

    def open_read(self, path: str) -> BinaryIO: ...

    def stat(self, path: str) -> Entry:
        """Raise :class:`~azsbackup.errors.NotFound` if there is no such file or directory."""
        ...

    def exists(self, path: str) -> bool: ...

    def list(self, path: str = "") -> list[Entry]:
        """The entries of a directory, sorted by name; an empty list if it does not exist."""
        ...

    def makedirs(self, path: str) -> None: ...

    def rename(self, src: str, dst: str) -> None:
        """Rename a file or directory; ``dst`` must not exist."""
        ...

    def delete(self, path: str) -> None:
        """Delete a file; no error if it does not exist."""
        ...

    def delete_tree(self, path: str) -> None:
        """Delete a directory and everything in it; no error if it does not exist."""
        ...

    def free_space(self) -> SpaceInfo | None:
        """Free and total bytes; None where the storage reports no capacity (blob storage)."""
        ...

    def close(self) -> None: ...


def join(*parts: str) -> str:
    """Join relative POSIX path parts, ignoring empty ones."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))
