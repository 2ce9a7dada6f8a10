"""Writing a restored tree safely: staging, no writes through links, publish by rename.

:class:`StagedTree` is what every file-producing restore uses:

* the destination is checked first: missing or empty is fine; anything else
  needs ``force`` (:class:`~azsbackup.errors.RestoreTargetNotEmpty` otherwise),
  before a single byte is written;
* items are written into a staging directory beside the destination
  (``.<name>.azsbackup-restore-<random>``), so a failure half-way leaves the
  destination untouched; the staging directory is removed on any error;
* names are re-checked (relative, no ``..``) and every parent must be a real
  directory this restore created: nothing is ever written through a symbolic
  link, even one the archive itself planted;
* modes and exact mtimes are applied, directories last (writing into a
  directory changes its mtime);
* on success the staging directory is renamed into place; with ``force`` the
  old destination is first renamed aside and removed afterwards;
* a write the destination refuses (a full disk, a read-only file system, a
  file size limit) is :class:`~azsbackup.errors.OutputNotWritable` naming the
  target, whichever thread made it; errors reading the archive are not.

Small files (up to ``SMALL_FILE``) are created by ``CREATE_THREADS`` threads:
creating a file costs a file-system round trip that dwarfs writing a few
kilobytes, and a tree of ten thousand small files spent most of its restore
waiting in ``open``. Their content is read from the archive first, in order, and
handed over in batches (``BATCH_FILES`` files or ``BATCH_BYTES`` bytes): one
hand-over per file cost the reading thread more than the file's own parsing. At
most ``BATCHES_IN_FLIGHT + 1`` batches are held, each under ``BATCH_BYTES +
SMALL_FILE`` bytes. A file's mode and times are set through its open descriptor,
not its path: each path call walks the whole staging path again.

Large files are written by one writing thread, in order, from chunks the reading
thread hands it (at most ``CHUNKS_IN_FLIGHT`` of ``COPY_CHUNK`` bytes), so the
reading thread goes on with the next members while the bytes are copied into the
file. They are handed to the disk as they are written
(:func:`~azsbackup.osutil.start_writeback` every ``WRITEBACK_STEP`` bytes and at
their end), so the ``syncfs`` before the publish finds little left to write.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import stat
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Concatenate, ParamSpec, Self, TypeVar

from azsbackup.errors import RestoreTargetNotEmpty, UnsafeArchiveMember
from azsbackup.items import Item, ItemKind, ItemSource, MemberChecker, Readable, check_name
from azsbackup.osutil import WRITEBACK_STEP, fsync_dir, start_writeback, sync_file_system, writing_output

COPY_CHUNK = 1 << 20
SMALL_FILE = 256 << 10
BATCH_FILES = 32
BATCH_BYTES = 1 << 20
BATCHES_IN_FLIGHT = 4
CHUNKS_IN_FLIGHT = 8
CREATE_THREADS = 2
"""Creating files in one directory holds that directory's lock, and the archive's order keeps a directory's
files together: more threads spun on the lock (4 threads on 2 cores spent more CPU in the kernel and
restored more slowly than 2; docs/performance.md)."""
_BY_DESCRIPTOR = os.chmod in os.supports_fd and os.utime in os.supports_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


RESTORED_MODE_BITS = 0o1777
"""Permissions and the sticky bit. Setuid and setgid are not restored: a restored file belongs to whoever
restores it (owners are not recorded), so the bits would grant that user's rights (root's, usually) to
whatever the archive holds."""


def restored_mode(item: Item) -> int:
    return item.mode & RESTORED_MODE_BITS


def is_empty_or_missing(path: Path) -> bool:
    if not path.exists() and not path.is_symlink():
        return True
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


def _read_exactly(content: Readable | None, size: int) -> bytes:
    """Up to ``size`` bytes of ``content``: a member stream returns at most one segment per read."""
    parts, left = [], size
    while left and content is not None and (chunk := content.read(left)):
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _create(path: str) -> int:
    """A new file, open for writing: never an existing one, never through a link."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _finish_open_file(fd: int, item: Item) -> None:
    """The file's mode, then its exact mtime (after the last write, which would change it)."""
    if _BY_DESCRIPTOR:
        os.chmod(fd, restored_mode(item))
        os.utime(fd, ns=(item.mtime_ns, item.mtime_ns))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _writes(method: Callable[Concatenate[StagedTree, _P], _R]) -> Callable[Concatenate[StagedTree, _P], _R]:
    """Report an ``OSError`` of ``method`` (which only writes the staged tree) as
    :class:`~azsbackup.errors.OutputNotWritable` naming the restore's target: a full disk, a read-only file
    system or a file size limit is the destination's problem, not the engine's. Reading the archive is
    never under it, so a failing store is not blamed on the destination."""

    @functools.wraps(method)
    def writing(tree: StagedTree, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with writing_output(tree.target):
            return method(tree, *args, **kwargs)

    return writing


def restore_tree(source: ItemSource, target: Path, *, force: bool, on_progress: Callable[[int], None]) -> Path:
    """Write every item of ``source`` under ``target`` as files, atomically (:class:`StagedTree`)."""
    with StagedTree(target, force=force) as tree:
        for item, content in source:
            tree.add(item, content)
            on_progress(item.size)
    return target


class StagedTree:
    """A restore destination written atomically. Use as a context manager."""

    def __init__(self, target: Path, *, force: bool = False) -> None:
        self.target = target.absolute()
        self.force = force
        self.staging = self.target.parent / f".{self.target.name}.azsbackup-restore-{secrets.token_hex(4)}"
        self._root = str(self.staging)
        self._subject = str(self.target)
        self._dirs: list[tuple[str, Item]] = []
        self._created = {""}
        """The names of the directories this restore made; ``""`` is the staging directory."""
        self._members = MemberChecker(self._subject)
        self._creators: ThreadPoolExecutor | None = None
        self._in_flight: deque[Future[None]] = deque()
        self._batch: list[tuple[str, Item, bytes]] = []
        self._batch_bytes = 0
        self._writer: ThreadPoolExecutor | None = None
        self._chunks: deque[Future[None]] = deque()

    def __enter__(self) -> Self:
        if not self.force and not is_empty_or_missing(self.target):
            raise RestoreTargetNotEmpty(path=str(self.target))
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(mode=0o700)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self._stop_threads()
            shutil.rmtree(self.staging, ignore_errors=True)
            return
        try:
            self._send_batch()
            self._settle(self._in_flight, 0)
            self._settle(self._chunks, 0)
            self._stop_threads()
            self._finish_directories()
            self._publish()
        except BaseException:
            self._stop_threads()
            shutil.rmtree(self.staging, ignore_errors=True)
            raise

    # --- writing -------------------------------------------------------------------------------

    def path_of(self, name: str) -> Path:
        return Path(self._path(check_name(name, self._subject)))

    def _path(self, name: str) -> str:
        """The staged path of a checked name. Strings, not Paths: pathlib's work per member cost more than the
        member's own system calls on a tree of small files."""
        return os.path.join(self._root, *name.split("/"))  # noqa: PTH118 - see above

    @_writes
    def _parent_ready(self, name: str, member: str) -> None:
        """Create the missing parents of ``name``; every existing one must be a directory this restore made."""
        parent = name.rpartition("/")[0]
        missing = []
        while parent not in self._created:  # "" (the staging directory) always is
            missing.append(parent)
            parent = parent.rpartition("/")[0]
        for directory in reversed(missing):
            path = self._path(directory)
            with contextlib.suppress(FileNotFoundError):
                if not stat.S_ISDIR(os.lstat(path).st_mode):  # a link or a file the archive planted
                    raise UnsafeArchiveMember(
                        subject=self._subject, member=member, detail="a parent is not a directory"
                    )
            os.mkdir(path, 0o700)  # noqa: PTH102 - a string path (see _path); an existing directory fails here
            self._created.add(directory)

    def add(self, item: Item, content: Readable | None) -> None:
        self._members.check(item)  # the archive's rules again: duplicates, paths through links, outward links
        name = check_name(item.name, self._subject)
        self._parent_ready(name, item.name)
        path = self._path(name)
        if item.kind is ItemKind.DIRECTORY:
            self._make_directory(name, path, item)
        elif item.kind is ItemKind.SYMLINK:
            self._make_link(path, item)
        elif item.size <= SMALL_FILE:
            self._batch.append((path, item, _read_exactly(content, item.size)))
            self._batch_bytes += item.size
            if len(self._batch) >= BATCH_FILES or self._batch_bytes >= BATCH_BYTES:
                self._send_batch()
        else:
            self._write_file(path, item, content)

    @_writes
    def _make_directory(self, name: str, path: str, item: Item) -> None:
        if name not in self._created:
            os.mkdir(path, 0o700)  # noqa: PTH102 - a string path (see _path)
            self._created.add(name)
        self._dirs.append((name, item))

    @_writes
    def _make_link(self, path: str, item: Item) -> None:
        os.symlink(item.link_target, path)
        self._set_times(path, item, follow=False)

    def _send_batch(self) -> None:
        """Hand the small files read so far to a creating thread (after at most ``BATCHES_IN_FLIGHT - 1`` are
        left in flight)."""
        if self._batch:
            self._settle(self._in_flight, BATCHES_IN_FLIGHT - 1)
            self._in_flight.append(self._creator_pool().submit(self._create_small_files, self._batch))
            self._batch, self._batch_bytes = [], 0

    def _create_small_files(self, batch: list[tuple[str, Item, bytes]]) -> None:
        for path, item, data in batch:
            fd = _create(path)
            try:
                _write_all(fd, data)
                _finish_open_file(fd, item)
            finally:
                os.close(fd)
            self._finish_closed_file(path, item)

    def _creator_pool(self) -> ThreadPoolExecutor:
        if self._creators is None:
            self._creators = ThreadPoolExecutor(CREATE_THREADS, thread_name_prefix="azsbackup-create")
        return self._creators

    @_writes
    def _settle(self, pending: deque[Future[None]], keep: int) -> None:
        """Wait until at most ``keep`` of ``pending`` (batches or chunks) are left; raise what one raised."""
        while len(pending) > keep:
            pending.popleft().result()

    def _stop_threads(self) -> None:
        if self._creators is not None:
            self._creators.shutdown(wait=True, cancel_futures=True)
            self._creators = None
        if self._writer is not None:  # not cancelled: every file's last task closes it
            self._writer.shutdown(wait=True)
            self._writer = None
        self._in_flight.clear()
        self._chunks.clear()
        self._batch, self._batch_bytes = [], 0

    def _write_file(self, path: str, item: Item, content: Readable | None) -> None:
        """Hand a large file to the writing thread chunk by chunk, in order; its last task closes it, whatever
        happened before."""
        fd = self._open_new(path)
        written = handed = 0
        try:
            while written < item.size and content is not None:
                chunk = content.read(min(COPY_CHUNK, item.size - written))
                if not chunk:
                    break
                written += len(chunk)
                writeback = None
                if written - handed >= WRITEBACK_STEP:
                    writeback, handed = (handed, written - handed), written
                self._queue_write(self._write_chunk, fd, chunk, writeback)
                self._settle(self._chunks, CHUNKS_IN_FLIGHT)
        finally:  # queued, not waited for: an error already on its way is the one to report
            self._queue_write(self._finish_large_file, fd, path, item, (handed, written - handed))

    @_writes
    def _open_new(self, path: str) -> int:
        return _create(path)

    def _queue_write(self, task: Callable[..., None], *args: object) -> None:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="azsbackup-write")
        self._chunks.append(self._writer.submit(task, *args))

    @staticmethod
    def _write_chunk(fd: int, chunk: bytes, writeback: tuple[int, int] | None) -> None:
        _write_all(fd, chunk)
        if writeback is not None:
            start_writeback(fd, *writeback)

    def _finish_large_file(self, fd: int, path: str, item: Item, writeback: tuple[int, int]) -> None:
        try:
            start_writeback(fd, *writeback)
            _finish_open_file(fd, item)
        finally:
            os.close(fd)
        self._finish_closed_file(path, item)

    def _finish_closed_file(self, path: str, item: Item) -> None:
        if not _BY_DESCRIPTOR:  # pragma: no cover - Windows: by path, once the file is closed
            os.chmod(path, restored_mode(item))
            self._set_times(path, item, follow=True)

    @staticmethod
    def _set_times(path: str, item: Item, *, follow: bool) -> None:
        if follow or os.utime in os.supports_follow_symlinks:
            with contextlib.suppress(NotImplementedError):
                os.utime(path, ns=(item.mtime_ns, item.mtime_ns), follow_symlinks=follow)

    @_writes
    def _finish_directories(self) -> None:
        for name, item in sorted(self._dirs, key=lambda d: d[0].count("/"), reverse=True):  # deepest first
            path = self._path(name)
            os.chmod(path, restored_mode(item))
            self._set_times(path, item, follow=True)

    @_writes
    def _publish(self) -> None:
        """Make the staged tree durable, then give it the target's name (and make the rename durable).

        The target never names a tree whose bytes could still be lost to a power cut: a restore that
        said "Restored" is on disk, as ``cp -a`` followed by ``sync`` would be.
        """
        sync_file_system(self.staging)
        old = None
        if self.target.exists() or self.target.is_symlink():
            if is_empty_or_missing(self.target):
                self.target.rmdir()
            else:
                old = self.target.parent / f".{self.target.name}.azsbackup-old-{secrets.token_hex(4)}"
                self.target.rename(old)
        self.staging.rename(self.target)
        os.chmod(self.target, 0o755)  # noqa: S103 - the component root, like the directories it holds
        fsync_dir(self.target.parent)
        if old is not None:
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            else:
                old.unlink()
