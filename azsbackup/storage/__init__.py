"""Storage locations: the internal store, a local export directory, an SMB share.

:func:`open_location` is the one factory; every location implements
:class:`azsbackup.storage.base.Location`.
"""

from __future__ import annotations

from pathlib import Path

from azsbackup.storage.base import Location
from azsbackup.storage.paths import Credentials, LocationSpec


def open_location(spec: LocationSpec, credentials: Credentials, *, allow_unencrypted: bool = False) -> Location:
    """Connect to the location ``spec`` describes (SMB sessions require encryption unless allowed otherwise)."""
    if spec.kind == "local":
        from azsbackup.storage.local import LocalLocation

        return LocalLocation(Path(spec.path))
    from azsbackup.storage.smb import SmbLocation  # type: ignore[import-not-found,unused-ignore]

    location: Location = SmbLocation(spec, credentials, allow_unencrypted=allow_unencrypted)
    return location
