"""``location test``: prove the external location works before anything depends on it.

It tests the configured location, or a candidate path and account before they
are configured (Azure Stack's share accessibility test); a candidate leaves the
configuration as it was.

The checks themselves live in :mod:`azsbackup.storage.probe` (reachable,
logged on, dialect and encryption, folder, create, write, read back, rename,
delete, free space, forecast); this module feeds them the controller's
configuration and history: the share and its stored credentials, the largest
recent backup, how many backups retention keeps and what the share already
holds of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azsbackup.model import SCHEMA
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller
from azsbackup.storage.paths import Credentials
from azsbackup.storage.probe import FORECAST_MARGIN, ProbeReport

RECENT = 5
"""How many recent backups the size forecast looks at (the largest of them counts)."""


@dataclass(frozen=True)
class LocationReport:
    path: str
    probe: ProbeReport

    def to_dict(self) -> dict[str, Any]:
        error = self.probe.error
        return {
            "schema": SCHEMA,
            "path": self.path,
            "status": "Succeeded" if self.probe.ok else "Failed",
            "checks": [check.to_dict() for check in self.probe.checks],
            "error": error.to_dict() if error else None,
        }


def backups_kept(frequency_hours: int, retention_days: int) -> int:
    """Backups alive at once under the schedule: one per slot over the retention period, plus the newest."""
    return retention_days * 24 // frequency_hours + 1


def space_needed(largest_recent: int, kept: int) -> int:
    """Bytes ``kept`` backups of ``largest_recent`` bytes need, with the forecast's margin."""
    return int(largest_recent * kept * (1 + FORECAST_MARGIN))


def check_location(controller: Controller, candidate: tuple[str, Credentials] | None = None) -> LocationReport:
    """Probe the configured location, or a ``candidate`` (path, credentials) before it is configured.

    Both go through the same checks with the controller's own history for the
    forecast; a candidate is probed with the configured transport options
    (``allow_unencrypted``, ``allow_insecure_http``, ``blob_api_version``: it
    would be used with them) and nothing about it is stored.
    """
    from azsbackup.service.export import configured_location, location_options
    from azsbackup.storage.paths import parse_location
    from azsbackup.storage.probe import open_and_probe

    config = controller.config()
    if candidate is not None:
        path, credentials = candidate
    else:
        configured = configured_location(controller)  # NotConfigured when there is none
        path, credentials = config.path or configured.spec.display, configured.credentials
    spec = parse_location(path)
    records = list_backups(controller)
    exported = sum(r.stored_size for r in records if r.export.get("status") == "Succeeded")
    probe = open_and_probe(
        spec,
        credentials,
        **location_options(config),
        expected_backup_size=max((r.stored_size for r in records[-RECENT:]), default=None),
        backups_kept=backups_kept(config.frequency_hours, config.retention_days),
        already_stored=exported if path == config.path else 0,  # a new place holds none of them yet
    )
    return LocationReport(path, probe)
