"""Storage locations: the internal store, a local export directory, an SMB share, a blob container.

:func:`open_location` is the one factory; every location implements
:class:`azsbackup.storage.base.Location`, and one conformance suite
(``tests/storage/test_conformance.py``) holds them all to it.
"""

from __future__ import annotations

from pathlib import Path

from azsbackup.storage.base import Location
from azsbackup.storage.paths import Credentials, LocationSpec


def open_location(
    spec: LocationSpec,
    credentials: Credentials,
    *,
    allow_unencrypted: bool = False,
    allow_insecure_http: bool = False,
    blob_api_version: str | None = None,
) -> Location:
    """Open the location ``spec`` describes.

    An SMB location connects and logs on here, so an unreachable server,
    refused credentials, a missing share or a server that cannot encrypt
    (unless ``allow_unencrypted``) raise their :mod:`azsbackup.errors` class
    now. A blob location lists its container here, so an unreachable
    endpoint, a refused key or SAS, an expired SAS or a missing container
    raise now; plain ``http://`` needs ``allow_insecure_http``, and
    ``blob_api_version`` overrides the pinned REST version. The caller closes
    the location.
    """
    if spec.kind == "local":
        from azsbackup.storage.local import LocalLocation

        return LocalLocation(Path(spec.path))
    if spec.kind == "blob":
        from azsbackup.storage.blob import BlobLocation

        return BlobLocation(spec, credentials, allow_insecure_http=allow_insecure_http, api_version=blob_api_version)
    from azsbackup.storage.smb import SmbLocation

    return SmbLocation(spec, credentials, allow_unencrypted=allow_unencrypted)


def transport_warning(spec: LocationSpec, *, allow_insecure_http: bool) -> str | None:
    """What to warn an operator about the location's transport (plain http allowed for a blob location)."""
    if spec.kind != "blob" or spec.scheme != "http" or not allow_insecure_http:
        return None
    return (
        f"{spec.display} is plain http: requests, and a SAS token in them, cross the network unencrypted "
        "(backups stay encrypted at rest); use https outside test setups"
    )


def check_settings(spec: LocationSpec, *, password: str | None, allow_insecure_http: bool) -> None:
    """Check, before anything is stored, what can be checked without connecting: a blob location's
    transport (``http://`` only when allowed) and the form of its secret (an account key or a SAS token)."""
    if spec.kind != "blob":
        return
    from azsbackup.storage.blob import check_transport, parse_secret

    check_transport(spec, allow_insecure_http)
    if password:
        parse_secret(password)
