"""The contract between the service layer and component providers.

A provider turns a component's live data into a sequence of :class:`Item`\\ s
(backup) and takes such a sequence back (restore). It knows nothing about
archives, encryption or storage: the service hands it an :class:`ItemSink`
that the archive writer implements, and an :class:`ItemSource` that the
archive reader implements.

Item names are relative POSIX paths (``a/b/c.txt``), never absolute, never
containing ``..``; a provider may rely on the source having validated them,
and must still never write through a symbolic link (see
:mod:`azsbackup.providers.fs`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol

from azsbackup.errors import InvalidValue
from azsbackup.model import EngineWarning


def reject_unknown_settings(type_name: str, settings: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Raise InvalidValue naming every setting ``type_name`` does not take, and the ones it does (as options)."""
    known = list(allowed)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        options = ", ".join("--" + k.replace("_", "-") for k in known)
        raise InvalidValue(field=f"{type_name} settings", value=", ".join(unknown), allowed=options)


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

    def add(self, item: Item, content: BinaryIO | None = None) -> None:
        """Add one item. For a FILE, ``content`` yields exactly ``item.size`` bytes.

        If ``content`` yields fewer bytes the sink raises; providers that
        read live files pass a wrapper that pads and reports the change.
        """


class ItemSource(Protocol):
    """The items of one component's archive, in the order they were written."""

    def __iter__(self) -> Iterator[tuple[Item, BinaryIO | None]]:
        """Yield each item with a stream of its content (FILE) or None.

        A content stream is valid only until the next item is requested.
        """
        ...


@dataclass
class ProviderContext:
    """What a provider may tell the service while it works."""

    component: str
    warnings: list[EngineWarning] = field(default_factory=list)
    on_progress: Callable[[int], None] = lambda _n: None
    """Called with the number of source bytes just read or written."""
    on_expected_bytes: Callable[[int], None] = lambda _n: None
    """Told how many bytes of file content the backup will read, once the provider knows."""

    def warn(self, code: str, message: str, subject: str = "") -> None:
        self.warnings.append(EngineWarning(code, message, subject))

    def expect_bytes(self, count: int) -> None:
        """Announce the bytes of file content about to be backed up (a scan's sum, a snapshot's size)."""
        self.on_expected_bytes(count)


@dataclass(frozen=True)
class RestoreDestination:
    """Where a restore puts a component back.

    ``directory`` is None for "where it came from" (the configured source);
    otherwise the component lands in that directory (``DIR/<component>/`` as
    chosen by the service). ``force`` allows replacing existing data.
    """

    directory: Path | None
    force: bool = False


class Provider(Protocol):
    """A component type. One instance per configured component."""

    type_name: ClassVar[str]

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> Provider:
        """Build from stored settings; raise :class:`~azsbackup.errors.InvalidValue` if they are not valid."""
        ...

    def settings(self) -> dict[str, object]:
        """The settings to store (JSON-serialisable, no secrets)."""
        ...

    def describe(self) -> str:
        """One line for ``component list``: what is backed up."""
        ...

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        """Write the component's data into ``sink``. Raise a ProviderError subclass on failure."""
        ...

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path | str:
        """Put the data back; return where it went (a path, or a description such as the restore command)."""
        ...
