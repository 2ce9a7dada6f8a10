"""Component providers: what gets backed up and how it is put back.

:data:`PROVIDER_TYPES` maps a component type name to its provider class.
Provider modules are imported on first use so that commands which never touch
a provider (``config get``, ``--help``) start fast.
"""

from __future__ import annotations

import importlib

from azsbackup.errors import InvalidValue
from azsbackup.providers.base import FilesAsArchived, Provider

PROVIDER_TYPES: dict[str, str] = {
    "directory": "azsbackup.providers.directory:DirectoryProvider",
    "sqlite": "azsbackup.providers.sqlite:SqliteProvider",
    "command": "azsbackup.providers.command:CommandProvider",
    "winrm": "azsbackup.providers.winrm:WinRMProvider",
    "controller": "azsbackup.providers.controller:ControllerProvider",
}
OPERATOR_TYPES = ("directory", "sqlite", "command", "winrm")


def files_restorer(name: str) -> type[FilesAsArchived] | type[Provider]:
    """What gives ``restore --to`` files for component type ``name``: its provider, or for a type this
    engine does not know (a backup from a newer release), the archive's members as they are."""
    return provider_type(name) if name in PROVIDER_TYPES else FilesAsArchived


def provider_type(name: str) -> type[Provider]:
    """The provider class of component type ``name``."""
    target = PROVIDER_TYPES.get(name)
    if target is None:
        raise InvalidValue(field="component type", value=repr(name), allowed=", ".join(OPERATOR_TYPES))
    module, _, cls = target.partition(":")
    provider: type[Provider] = getattr(importlib.import_module(module), cls)
    return provider
