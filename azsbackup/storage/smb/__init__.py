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
    takes. Measured on the project's 2-core test machine (shared, load 1.3-1.8),
    smbd 4.17 on loopback, share with encryption required (AES-128-GCM),
    random data; median of 3 runs of 512 MiB each, a fresh connection per run,
    MB/s of the write phase (server flush included) / the read-back (SHA-256
    included)::

        smbclient open_file(buffering=8 MiB), 1 or 8 MiB writes   174-250 write, 248-332 read (8 MiB reads)
        request size x in flight:    0.5 MiB x 4   473 / 598      2 MiB x 2   320 / 695
                                     1 MiB x 2     555 / 769      2 MiB x 4   546 / 751
                                     1 MiB x 4     566 / 737      4 MiB x 2   230 / 647
                                     1 MiB x 8     519 / 696      8 MiB x 1   277 / 441

    8 MiB requests (the largest Samba negotiates) are the slowest: each is
    encrypted, sent, decrypted and written in turn while the other side
    waits. 1 MiB requests with four in flight overlap the two sides' work,
    and 4 MiB in flight still covers a 10 Gbit/s link at 3 ms round trip.
    These figures need :func:`~azsbackup.storage.smb.pipeline.prime_allocator`: without it the same runs
    give 200-400 MB/s writing, most of the difference spent in page faults.

    End to end, the way export writes (a file read in 8 MiB blocks, written,
    committed: flushed, read back and compared, renamed) and restore reads
    (8 MiB reads, SHA-256), against Samba's ``smbclient put``/``get
    --client-protection=encrypt`` of the same file (no flush, no read-back),
    median (min-max) MB/s::

                        write + commit     read          smbclient put   smbclient get
        256 MiB, 5 runs  252 (221-297)     564 (529-618)  555 (354-702)    590 (332-608)
        1 GiB, 3 runs    206 (196-208)     618 (601-647)  606 (387-644)    671 (318-728)

    A 1 GiB commit spent 2.7-2.9 s writing (370-400 MB/s), 0.3 s in the
    server's flush and 1.6-1.8 s reading back: the read-back the storage
    contract requires costs about as much again as the transfer itself.

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
