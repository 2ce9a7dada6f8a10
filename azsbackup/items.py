"""What a component's data is made of, between the providers and the archive.

Providers turn live data into :class:`Item`\\ s written to an
:class:`ItemSink` (backup) and take them back from an :class:`ItemSource`
(restore); the archive writer is such a sink and the archive reader such a
source. This module is the contract both sides know, so that neither knows
the other.

Item names are relative POSIX paths (``a/b/c.txt``), never absolute, never
containing ``..``; :func:`check_name` and :func:`check_link` are the one
definition of what an archive may hold, used by the reader on every member and
by providers before they write anything.
"""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from azsbackup.errors import UnsafeArchiveMember
from azsbackup.osutil import IS_WINDOWS


class Readable(Protocol):
    """A stream of bytes: ``read(n)`` returns up to ``n`` bytes, and ``b""`` at the end."""

    def read(self, n: int, /) -> bytes: ...


class ItemKind(enum.StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"


@dataclass(frozen=True)
class Item:
    """One entry of a component's data.

    ``mode`` holds permission bits only (``0o7777`` mask); ``mtime_ns`` is
    nanoseconds since the epoch so that restores are exact; ``size`` is the
    exact number of bytes of a file's content; ``link_target`` is the literal
    target of a symbolic link.
    """

    name: str
    kind: ItemKind
    mode: int = 0o644
    mtime_ns: int = 0
    size: int = 0
    link_target: str = ""


class ItemSink(Protocol):
    """Where a provider writes the items of a backup, in order."""

    def add(self, item: Item, content: Readable | None = None) -> None:
        """Add one item. For a FILE, ``content`` yields exactly ``item.size`` bytes.

        If ``content`` yields fewer bytes the sink raises; providers that
        read live files pass a wrapper that pads and reports the change.
        """


class ItemSource(Protocol):
    """The items of one component's archive, in the order they were written."""

    def __iter__(self) -> Iterator[tuple[Item, Readable | None]]:
        """Yield each item with a stream of its content (FILE) or None.

        A content stream is valid only until the next item is requested.
        """
        ...


def check_name(name: str, subject: str) -> str:
    """Return the normalised relative name, or raise UnsafeArchiveMember."""
    stripped = name.rstrip("/")
    reasons = []
    if not stripped:
        reasons.append("empty name")
    if "\x00" in name:
        reasons.append("NUL in name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        reasons.append("absolute path")
    if IS_WINDOWS and "\\" in name:  # pragma: no cover - a separator there
        reasons.append("backslash in name")
    parts = stripped.split("/")
    if any(p in ("", ".", "..") for p in parts):
        reasons.append("'.', '..' or an empty component")
    if reasons:
        raise UnsafeArchiveMember(subject=subject, member=name, detail=", ".join(reasons))
    return stripped


def check_link(name: str, target: str, subject: str) -> None:
    """A link may only point inside the component: relative, and never above its root."""
    if not target or target.startswith(("/", "\\")) or (len(target) > 1 and target[1] == ":") or "\x00" in target:
        raise UnsafeArchiveMember(subject=subject, member=name, detail=f"link target {target!r} is absolute or empty")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if resolved == ".." or resolved.startswith("../"):
        raise UnsafeArchiveMember(subject=subject, member=name, detail=f"link target {target!r} points outside")
