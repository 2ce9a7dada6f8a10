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
from typing import NoReturn, Protocol

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


MAX_NAME = 4096
"""Characters in a member name (format.md 3.2, rule 2): the writer and every reader enforce it."""


def check_name(name: str, subject: str) -> str:
    """Return the normalised relative name, or raise UnsafeArchiveMember."""
    stripped = name.rstrip("/")
    # Every name of a backup passes here, often twice: accept the usual one in a few substring tests.
    # An empty, "." or ".." component is a "//", "/./" or "/../" once the name is framed by slashes.
    framed = f"/{stripped}/"
    if (
        stripped
        and len(stripped) <= MAX_NAME
        and "\x00" not in name
        and "\\" not in name
        and name[0] != "/"
        and name[1:2] != ":"
        and "//" not in framed
        and "/./" not in framed
        and "/../" not in framed
    ):
        return stripped
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
    if len(stripped) > MAX_NAME:
        reasons.append(f"longer than {MAX_NAME} characters")
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


MAX_LINK_HOPS = 40
"""Links followed while resolving one target, as Linux allows (ELOOP beyond)."""


class MemberChecker:
    """The rules a sequence of members must follow, checked one member at a time, in order.

    A member is refused (:class:`UnsafeArchiveMember`) when:

    * its name is not a safe relative name (:func:`check_name`) or was already used by an earlier member;
    * its path runs through an earlier symbolic link member (``l/x`` after ``l -> …``);
    * it is a link whose target is absolute or empty, or that resolves above the root. A target is
      resolved component by component from the link's directory, as the file system does: ``..``
      leaves the path so far, and a name that is an earlier link member is replaced by what that
      link resolves to. So ``self -> .`` then ``sneaky -> self/..`` is refused;
    * it is a link named like a directory that an earlier member's path runs through (``b/x`` then
      ``b -> …``), or a link that would make an earlier link, resolved again through it, lead above
      the root (``a -> b/..`` then ``b -> .``).

    The writer refuses such members before writing them, and the reader and restore before using them.
    """

    def __init__(self, subject: str) -> None:
        self._subject = subject
        self._names: set[str] = set()
        self._parents: set[str] = set()
        self._links: dict[str, str] = {}
        self._through: dict[str, set[str]] = {}
        """For each name a link's resolution went through (and on from), the links that did."""

    def check(self, item: Item) -> None:
        """Raise if ``item`` may not follow the members checked so far; otherwise remember it."""
        name = check_name(item.name, self._subject)
        if name in self._names:
            self._refuse(name, "appears twice")
        parent = name.rpartition("/")[0]
        if item.kind is not ItemKind.SYMLINK and (not parent or parent in self._parents):
            # The usual member, in a directory an earlier member's path ran through: that directory's
            # own parents are known too (the set holds whole chains), and none is a link (a link is
            # refused under a name in the set, a name in the set is added only when none of its
            # parents is a link), so there is nothing to check or to add.
            self._names.add(name)
            return
        parts = name.split("/")
        parents = ["/".join(parts[:depth]) for depth in range(1, len(parts))]
        through = next((p for p in parents if p in self._links), None)
        if through is not None:
            self._refuse(name, f"its path runs through the symbolic link {through!r}")
        if item.kind is ItemKind.SYMLINK:
            self._check_link(name, item.link_target)
        self._names.add(name)
        self._parents.update(parents)

    def _check_link(self, name: str, target: str) -> None:
        check_link(name, target, self._subject)
        if name in self._parents:
            self._refuse(name, "an earlier member's path runs through this name")
        if not self._inside(name, target):
            self._refuse(name, f"link target {target!r} leads above the root")
        self._links[name] = target
        for earlier in sorted(self._through.get(name, ())):
            if not self._inside(earlier, self._links[earlier]):
                del self._links[name]
                self._refuse(name, f"it would make the earlier link {earlier!r} lead above the root")

    def _inside(self, link: str, target: str) -> bool:
        """Whether ``target`` of ``link`` resolves inside the root; records the names the resolution went through."""
        visited: set[str] = set()
        inside = self._resolve(link, link.split("/")[:-1], target, 0, visited) is not None
        for passed in visited:
            self._through.setdefault(passed, set()).add(link)
        return inside

    def _resolve(self, link: str, start: list[str], target: str, hops: int, visited: set[str]) -> list[str] | None:
        """Where ``target`` leads from the directory ``start``, through earlier link members; None: above the root."""
        path: list[str] | None = list(start)
        steps = [step for step in target.split("/") if step not in ("", ".")]
        for index, step in enumerate(steps):
            if path is None:
                return None
            if step == "..":
                if not path:
                    return None
                path.pop()
                continue
            path.append(step)
            joined = "/".join(path)
            if index < len(steps) - 1:
                visited.add(joined)
            if joined in self._links:
                if hops >= MAX_LINK_HOPS:
                    self._refuse(link, "too many levels of symbolic links")
                path = self._resolve(link, path[:-1], self._links[joined], hops + 1, visited)
        return path

    def _refuse(self, name: str, detail: str) -> NoReturn:
        raise UnsafeArchiveMember(subject=self._subject, member=name, detail=detail)
