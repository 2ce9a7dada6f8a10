"""The contract between the service layer and component providers.

A provider turns a component's live data into a sequence of
:class:`~azsbackup.items.Item`\\ s (backup) and takes such a sequence back
(restore). It knows nothing about archives, encryption or storage: the service
hands it an :class:`~azsbackup.items.ItemSink` that the archive writer
implements, and an :class:`~azsbackup.items.ItemSource` that the archive reader
implements; both sides know only :mod:`azsbackup.items`.

A provider may rely on the source having validated item names, and must still
never write through a symbolic link (see :mod:`azsbackup.providers.fs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from azsbackup.errors import InvalidValue
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource, Readable
from azsbackup.model import EngineWarning
from azsbackup.providers.fs import restore_tree

# The item contract lives in azsbackup.items; its names stay importable from here
# for providers that take everything they implement from one module.
__all__ = [
    "Item",
    "ItemKind",
    "ItemSink",
    "ItemSource",
    "Provider",
    "ProviderContext",
    "Readable",
    "RestoreDestination",
    "reject_unknown_settings",
]


def reject_unknown_settings(type_name: str, settings: Mapping[str, object], allowed: Iterable[str]) -> None:
    """Raise InvalidValue naming every setting ``type_name`` does not take, and the ones it does (as options)."""
    known = list(allowed)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        options = ", ".join("--" + k.replace("_", "-") for k in known)
        raise InvalidValue(field=f"{type_name} settings", value=", ".join(unknown), allowed=options)


@dataclass
class ProviderContext:
    """What a provider may tell the service while it works."""

    component: str
    warnings: list[EngineWarning] = field(default_factory=list)
    on_progress: Callable[[int], None] = lambda _n: None
    """Called with the number of source bytes just read or written."""
    on_expected_bytes: Callable[[int], None] = lambda _n: None
    """Told how many bytes of file content the backup will read, once the provider knows (from any thread:
    a provider may sum its sizes while the backup runs)."""

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

    @classmethod
    def restore_files(cls, source: ItemSource, directory: Path, force: bool, ctx: ProviderContext) -> Path:
        """Write the data into ``directory`` as plain files, from the archive alone (``restore --to``).

        A class method: what ``--to`` gives depends on the component's type, never on whether this
        controller has the component configured (a fresh controller restoring another's backup).
        """
        ...


class FilesAsArchived:
    """``restore --to`` for the types whose archive members are the files themselves: the tree as stored."""

    @classmethod
    def restore_files(cls, source: ItemSource, directory: Path, force: bool, ctx: ProviderContext) -> Path:
        return restore_tree(source, directory, force=force, on_progress=ctx.on_progress)
