"""``prune``: remove what interrupted writes left behind, in the internal store and on the share.

Garbage is: a backup directory without a manifest (an interrupted backup or
export, or an interrupted deletion), any ``.partial-`` file (an interrupted
atomic write), and files in a complete backup directory that its manifest does
not name (left by an interrupted rekey). Prune holds the controller lock, so
it never mistakes a backup in progress for garbage. ``dry_run`` only lists.
On the share only ``MASBackup/`` is examined; nothing else there is touched.

The report names each path twice: as ``{location, path}`` objects, and in
``paths`` as one string relative to where it lives, the form Azure Stack's
prune returns: ``MASBackup/…`` on the external location (relative to the
configured path), ``store/…`` in the controller directory.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from azsbackup.archive.manifest import archives_of
from azsbackup.errors import AzsBackupError
from azsbackup.events import EventSink
from azsbackup.model import SCHEMA, backup_id_time
from azsbackup.service.catalog import MANIFEST, read_manifest, sync_catalog
from azsbackup.service.controller import STORE_DIR, Controller
from azsbackup.service.export import EXTERNAL_ROOT, external_location
from azsbackup.service.jobs import recorded_job
from azsbackup.storage.base import PARTIAL_MARKER, Location, join

ROOTS = {"internal": STORE_DIR, "external": EXTERNAL_ROOT}
"""What each place's paths are relative to, as named in ``paths``."""


@dataclass
class PruneReport:
    dry_run: bool
    found: list[dict[str, str]] = field(default_factory=list)

    @property
    def relative_paths(self) -> list[str]:
        """Every path removed (or that a dry run would remove), relative to the location or controller directory."""
        return [join(ROOTS[p["location"]], p["path"]) for p in self.found]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "dry_run": self.dry_run,
            "paths_to_delete" if self.dry_run else "deleted": self.found,
            "paths": self.relative_paths,
        }


def _is_backup_dir(name: str) -> bool:
    try:
        backup_id_time(name)
    except ValueError:
        return False
    return True


def find_garbage(location: Location) -> list[tuple[str, bool]]:
    """(path, is_directory) of every leftover in ``location``."""
    garbage: list[tuple[str, bool]] = []
    for entry in location.list():
        if PARTIAL_MARKER in entry.name:
            garbage.append((entry.name, entry.is_dir))
        elif entry.is_dir and _is_backup_dir(entry.name):
            garbage.extend(_garbage_in_backup(location, entry.name))
    return garbage


def _garbage_in_backup(location: Location, backup_id: str) -> list[tuple[str, bool]]:
    directory = backup_id
    if not location.exists(join(directory, MANIFEST)):
        return [(directory, True)]
    try:
        manifest, _ = read_manifest(location, backup_id)
    except AzsBackupError:
        return []  # a damaged manifest is verify's finding, not garbage to delete silently
    named = {ref.file for _, ref in archives_of(manifest)} | {MANIFEST}
    return [(join(directory, e.name), e.is_dir) for e in location.list(directory) if e.name not in named]


def prune(controller: Controller, events: EventSink, *, dry_run: bool) -> PruneReport:
    report = PruneReport(dry_run)
    with controller.exclusive("prune"), recorded_job(controller, "prune", events) as job, ExitStack() as stack:
        places: list[tuple[str, Location]] = [("internal", controller.store)]
        if controller.config().path:
            places.append(("external", stack.enter_context(external_location(controller))))
        for place, location in places:
            for path, is_dir in find_garbage(location):
                report.found.append({"location": place, "path": path})
                if not dry_run:
                    (location.delete_tree if is_dir else location.delete)(path)
        sync_catalog(controller)
        job.status, job.result = "Succeeded", report.to_dict()
    return report
