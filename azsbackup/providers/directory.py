"""The ``directory`` provider: a directory tree with include/exclude globs.

Kept: regular files (content, mode bits, exact mtime), directories (including
empty ones), symbolic links (as links, never followed), non-ASCII and
undecodable names (surrogate escapes round-trip).

Globs match the relative POSIX path (``etc/conf.d/a.conf``) with
:func:`fnmatch.fnmatchcase`, where ``*`` also crosses ``/``. An item is backed
up when it matches an include glob (or none are given) and no exclude glob;
an excluded directory prunes its whole subtree. Directories are always kept
when something inside them is included.

Reported as warnings, with the file's name, and not fatal:

* a file whose size or mtime changed while it was read (its stat size is
  kept: the content is padded or cut, so the archive stays consistent);
* a file that cannot be read (permissions), which is skipped;
* a FIFO, socket or device, which is skipped;
* a name that the archive format refuses everywhere (``c:x`` at the top of the
  tree reads as a drive letter; a path over 4 096 characters), which is skipped
  with its subtree;
* a symbolic link pointing outside the tree (absolute, or leading above the
  root when followed through the links before it, as
  :class:`~azsbackup.items.MemberChecker` resolves it), which is skipped:
  restore refuses such links, and skipping them at backup time keeps every
  backup restorable.
"""

from __future__ import annotations

import fnmatch
import io
import os
import stat
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from azsbackup.errors import InvalidValue, ProviderError, SourceMissing, UnsafeArchiveMember
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource, MemberChecker, check_name
from azsbackup.providers.base import (
    FilesAsArchived,
    ProviderContext,
    RestoreDestination,
    reject_unknown_settings,
)

SETTINGS = ("path", "include", "exclude")
SMALL_FILE = 64 << 10
"""Files up to this size are read whole in one call and handed over as bytes: per file, not per byte, costs."""
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _storable_name(rel: str) -> bool:
    """Whether the format's name rule (:func:`~azsbackup.items.check_name`) accepts ``rel``."""
    try:
        check_name(rel, "")
    except UnsafeArchiveMember:
        return False
    return True


class _PaddedFile:
    """Yields exactly ``size`` bytes of a file that may change while it is read."""

    def __init__(self, handle: io.FileIO, size: int) -> None:
        self._handle = handle
        self._left = size
        self.changed = False

    def readinto(self, buffer: memoryview) -> int:
        if not self._left:
            return 0
        view = buffer[: min(len(buffer), self._left)]
        got = self._handle.readinto(view)
        if not got:
            self.changed = True
            view[:] = bytes(len(view))  # the file shrank: pad with zeros
            got = len(view)
        self._left -= got
        return int(got)

    def read(self, n: int = -1) -> bytes:
        size = self._left if n < 0 else min(n, self._left)
        buffer = bytearray(size)
        got = self.readinto(memoryview(buffer))
        return bytes(buffer[:got])

    def grew(self) -> bool:
        return self._handle.read(1) != b""


def _string_list(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidValue(field=field, value=repr(value), allowed="a list of glob patterns")
    return list(value)


class DirectoryProvider(FilesAsArchived):
    type_name: ClassVar[str] = "directory"

    def __init__(self, component: str, path: Path, include: list[str], exclude: list[str]) -> None:
        self.component = component
        self.path = path
        self.include = include
        self.exclude = exclude

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> DirectoryProvider:
        reject_unknown_settings("directory", settings, SETTINGS)
        path = settings.get("path")
        if not isinstance(path, str) or not path or not Path(path).is_absolute():
            raise InvalidValue(field="path", value=repr(path), allowed="an absolute directory path (--path)")
        return cls(
            component,
            Path(path),
            _string_list(settings.get("include"), "include"),
            _string_list(settings.get("exclude"), "exclude"),
        )

    def settings(self) -> dict[str, object]:
        return {"path": str(self.path), "include": self.include, "exclude": self.exclude}

    def describe(self) -> str:
        filters = "".join(f" +{g}" for g in self.include) + "".join(f" -{g}" for g in self.exclude)
        return f"directory {self.path}{filters}"

    # --- backup -----------------------------------------------------------------------------

    def _selected(self, rel: str, is_dir: bool) -> bool:
        if any(fnmatch.fnmatchcase(rel, g) for g in self.exclude):
            return False
        return is_dir or not self.include or any(fnmatch.fnmatchcase(rel, g) for g in self.include)

    def _walk(self, directory: str, rel: str, ctx: ProviderContext) -> Iterator[tuple[str, os.stat_result, str]]:
        """``(relative name, lstat, path)`` of every selected entry below ``directory``, depth first, sorted by name.

        Paths stay strings: a ``Path`` per entry cost more than the entry's stat on a tree of small files.
        """
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=_entry_name)
        except OSError as exc:
            ctx.warn("unreadable", f"cannot list {directory}: {exc.strerror}", directory)
            return
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                ctx.warn("unreadable", f"cannot stat {entry.path}: {exc.strerror}", entry.path)
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if (self.include or self.exclude) and not self._selected(child_rel, is_dir):
                continue
            if not _storable_name(child_rel):
                skipped = f"{child_rel} and everything below it" if is_dir else child_rel
                ctx.warn("unsafe-name", f"skipped {skipped}: the archive format cannot hold this name", child_rel)
                continue
            yield child_rel, st, entry.path
            if is_dir:
                yield from self._walk(entry.path, child_rel, ctx)

    def _content_bytes(self) -> int:
        """The sizes of the regular files the walk will back up, summed: a lean walk for progress only.

        No sorting, no warnings (the real walk reports what it cannot read), and
        a ``stat`` only for regular files (``DirEntry`` knows the others' type).
        """
        total = 0
        pending = [(str(self.path), "")]
        while pending:
            directory, rel = pending.pop()
            try:
                with os.scandir(directory) as it:
                    entries = list(it)
            except OSError:
                continue
            for entry in entries:
                child_rel = f"{rel}/{entry.name}" if rel else entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not self.exclude or self._selected(child_rel, True):
                            pending.append((entry.path, child_rel))
                    elif entry.is_file(follow_symlinks=False) and (
                        not (self.include or self.exclude) or self._selected(child_rel, False)
                    ):
                        total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
        return total

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        if not self.path.is_dir():
            raise SourceMissing(component=self.component, path=str(self.path))
        # The sizes are summed for progress only, on a thread of their own: the backup starts at once instead
        # of after a first walk of the whole tree (0.16-0.25 s of a 1 GiB tree, with one core busy).
        sizing = threading.Thread(target=self._announce_size, args=(ctx,), name="azsbackup-size", daemon=True)
        sizing.start()
        try:
            self._back_up_tree(sink, ctx)
        finally:
            sizing.join()

    def _back_up_tree(self, sink: ItemSink, ctx: ProviderContext) -> None:
        pending_dirs: list[tuple[str, os.stat_result]] = []
        links = MemberChecker(self.component)  # sees the links only: a walk never repeats a name or enters a link
        for rel, st, path in self._walk(str(self.path), "", ctx):
            if stat.S_ISDIR(st.st_mode):
                pending_dirs.append((rel, st))
                continue
            # A directory is written just before its first entry, so excluded-only dirs still appear empty.
            self._flush_dirs(sink, pending_dirs)
            self._back_up_entry(sink, ctx, rel, st, path, links)
        self._flush_dirs(sink, pending_dirs)

    def _announce_size(self, ctx: ProviderContext) -> None:
        ctx.expect_bytes(self._content_bytes())

    @staticmethod
    def _flush_dirs(sink: ItemSink, pending: list[tuple[str, os.stat_result]]) -> None:
        for rel, st in pending:
            sink.add(Item(rel, ItemKind.DIRECTORY, stat.S_IMODE(st.st_mode), st.st_mtime_ns))
        pending.clear()

    def _back_up_entry(
        self, sink: ItemSink, ctx: ProviderContext, rel: str, st: os.stat_result, path: str, links: MemberChecker
    ) -> None:
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            link = Item(rel, ItemKind.SYMLINK, mode, st.st_mtime_ns, link_target=os.readlink(path))
            try:
                links.check(link)  # followed through the links written before it, as restore will
            except UnsafeArchiveMember:
                ctx.warn("link-outside", f"skipped {rel}: the link points outside the tree ({link.link_target})", rel)
                return
            sink.add(link)
        elif stat.S_ISREG(st.st_mode):
            self._back_up_file(sink, ctx, rel, st, path)
        else:
            ctx.warn("special-file", f"skipped {rel}: not a regular file, directory or link", rel)

    def _back_up_file(self, sink: ItemSink, ctx: ProviderContext, rel: str, st: os.stat_result, path: str) -> None:
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            ctx.warn("unreadable", f"skipped {rel}: {exc.strerror}", rel)
            return
        item = Item(rel, ItemKind.FILE, stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_size)
        try:
            if st.st_size <= SMALL_FILE:
                changed = self._add_small_file(sink, item, fd)
            else:
                changed = self._add_large_file(sink, item, fd)
            after = os.fstat(fd)
        except OSError as exc:
            raise ProviderError(component=self.component, detail=f"reading {rel}: {exc.strerror}") from exc
        finally:
            os.close(fd)
        if changed or after.st_mtime_ns != st.st_mtime_ns or after.st_size != st.st_size:
            ctx.warn("file-changed", f"{rel} changed while it was read; the backup holds a mix", rel)
        ctx.on_progress(st.st_size)

    @staticmethod
    def _add_small_file(sink: ItemSink, item: Item, fd: int) -> bool:
        """Add a file read whole, in one read of one byte more than its size (that byte tells it grew).

        A read that returns the whole size is taken as the end: asking again to be told so would double the
        calls, and a file that grew since its stat shows in the size that ``fstat`` gives after.
        """
        data = os.read(fd, item.size + 1)
        while len(data) < item.size and (more := os.read(fd, item.size + 1 - len(data))):
            data += more  # a short read that is not the end (not seen from local file systems, allowed by POSIX)
        changed = len(data) != item.size
        data = data[: item.size].ljust(item.size, b"\x00")  # cut or padded with zeros: the archive stays consistent
        sink.add(item, io.BytesIO(data))
        return changed

    @staticmethod
    def _add_large_file(sink: ItemSink, item: Item, fd: int) -> bool:
        with open(fd, "rb", buffering=0, closefd=False) as handle:
            content = _PaddedFile(handle, item.size)
            sink.add(item, content)
            return content.changed or content.grew()

    # --- restore ----------------------------------------------------------------------------

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path:
        return self.restore_files(source, dest.directory or self.path, dest.force, ctx)
