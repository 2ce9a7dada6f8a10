"""Finding where a backup is: the internal store first, else the external location (recovery)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from azsbackup.errors import NotFound
from azsbackup.model import check_backup_id
from azsbackup.service.catalog import MANIFEST
from azsbackup.service.controller import Controller
from azsbackup.storage.base import Location, join


@contextmanager
def backup_location(controller: Controller, backup_id: str) -> Iterator[Location]:
    """The location holding the complete backup ``backup_id``.

    A new controller recovering from a share has nothing in its internal
    store: its backups are read from the share's ``MASBackup`` folder.
    """
    check_backup_id(backup_id)
    if controller.store.exists(join(backup_id, MANIFEST)) or not controller.config().path:
        yield controller.store
        return
    from azsbackup.service.export import external_location

    with external_location(controller, create_root=False) as external:  # recovery needs read access only
        if not external.exists(join(backup_id, MANIFEST)):
            raise NotFound(kind="backup", name=backup_id, how="azsbackup backup list (--external)")
        yield external
