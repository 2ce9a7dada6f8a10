"""Storage locations: the internal store, a local export directory, an SMB share.

:func:`open_location` is the one factory; every location implements
:class:`azsbackup.storage.base.Location`, and one conformance suite
(``tests/storage/test_conformance.py``) holds them all to it.
"""

from __future__ import annotations

from pathlib import Path

from azsbackup.storage.base import Location
from azsbackup.storage.paths import Credentials, LocationSpec


def open_location(spec: LocationSpec, credentials: Credentials, *, allow_unencrypted: bool = False) -> Location:
    """Open the location ``spec`` describes.

    An SMB location connects and logs on here, so an unreachable server,
    refused credentials, a missing share or a server that cannot encrypt
    (unless ``allow_unencrypted``) raise their :mod:`azsbackup.errors` class
    now. The caller closes the location.
    """
    if spec.kind == "local":
        from azsbackup.storage.local import LocalLocation

        return LocalLocation(Path(spec.path))
    from azsbackup.storage.smb import SmbLocation

    return SmbLocation(spec, credentials, allow_unencrypted=allow_unencrypted)
