"""A folder on an SMB share as a location, on smbprotocol.

The package in four parts: :mod:`~azsbackup.storage.smb.location` (connection,
session, encryption, the Location protocol), :mod:`~azsbackup.storage.smb.pipeline`
(file data with requests in flight), :mod:`~azsbackup.storage.smb.translate`
(failures as :mod:`azsbackup.errors` classes) and :mod:`~azsbackup.storage.smb._compat`
(every use of smbprotocol beyond its documented API).

Data transfer
    File data does not go through smbclient's ``BufferedWriter``/``BufferedReader``,
    which keep one request in flight: :class:`SmbWriter` and the stream
    :meth:`SmbLocation.open_read` returns use smbprotocol's ``Open.write`` /
    ``Open.read`` with ``send=False`` and keep :data:`IO_DEPTH` requests of
    :data:`IO_CHUNK` bytes in flight, asking the server for the credits that
    takes. 1 MiB requests, four in flight, were the fastest measured; the
    measurements are in ``docs/performance.md`` ("SMB requests: size and
    depth"). They need :func:`~azsbackup.storage.smb.pipeline.prime_allocator`.

Errors
    Every smbprotocol, socket and OS failure is translated into the classes
    of :mod:`azsbackup.errors` (``raise … from exc``), with the NTSTATUS name
    and code in the message; messages are built from known facts (action,
    relative path, status), never from ``str()`` of a library exception, and
    never contain the password. A server that stops answering is given up on
    after :data:`IO_TIMEOUT_S` without progress (see
    :mod:`~azsbackup.storage.smb.location`).
"""

from __future__ import annotations

from azsbackup.storage.smb.location import IO_TIMEOUT_S, SessionInfo, SmbLocation
from azsbackup.storage.smb.pipeline import IO_CHUNK, IO_DEPTH, SmbWriter
from azsbackup.storage.smb.translate import describe_status, translate

__all__ = [
    "IO_CHUNK",
    "IO_DEPTH",
    "IO_TIMEOUT_S",
    "SessionInfo",
    "SmbLocation",
    "SmbWriter",
    "describe_status",
    "translate",
]
