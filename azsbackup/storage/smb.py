"""A folder on an SMB share as a location, on smbprotocol.

Connection and session
    Each :class:`SmbLocation` has a connection cache of its own: one TCP
    connection and one session for its (server, port, user), released by
    :meth:`SmbLocation.close`. smbclient's process-wide pool (smbprotocol
    1.17) hands a pooled session of the same user name to a later caller
    whatever password it gives, and after a refused encryption check keeps
    the half-made session, which the next ``register_session(encrypt=True)``
    returns and uses *unencrypted* (both seen against Samba 4.17). A private
    cache has neither problem. Every smbclient call passes the cache,
    ``port=`` and the credentials, so a connection lost to a server restart
    is re-established, re-authenticated and re-checked by the next call.

Encryption
    SMB3 encryption is required by default: smbprotocol refuses a server
    that cannot encrypt and we raise
    :class:`~azsbackup.errors.EncryptionNotSupported`. With
    ``allow_unencrypted`` the session still asks for encryption and falls back
    to a signed, unencrypted session only when the server cannot encrypt.
    :attr:`SmbLocation.session_info` tells which one was negotiated.

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
    These figures need :func:`_prime_allocator`: without it the same runs
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
    after :data:`IO_TIMEOUT_S` without progress (a send, or the answer to a
    data request), and after about the same time for any other request
    (smbprotocol's echo probe, every :data:`KEEPALIVE_S` of silence).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import hashlib
import io
import secrets
import socket
import stat as stat_module
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO, Literal, Self

import smbclient
import smbclient.shutil
from smbprotocol import MAX_PAYLOAD_SIZE, Dialects
from smbprotocol.exceptions import (
    SMBAuthenticationError,
    SMBConnectionClosed,
    SMBException,
    SMBOSError,
    SMBResponseException,
)
from smbprotocol.header import NtStatus
from smbprotocol.open import SMB2ReadResponse, SMB2WriteResponse

from azsbackup.errors import (
    AccessDenied,
    AzsBackupError,
    ChecksumMismatch,
    EncryptionNotSupported,
    InvalidPath,
    LocationAuthFailed,
    LocationConnectionLost,
    LocationError,
    LocationFull,
    LocationUnreachable,
    NotFound,
)
from azsbackup.storage.base import PARTIAL_MARKER, Entry, SpaceInfo, WriteResult
from azsbackup.storage.paths import Credentials, LocationSpec, is_valid_name

IO_CHUNK = 1 << 20
"""Bytes per SMB READ/WRITE request (capped by what the server negotiated); see the module docstring."""
IO_DEPTH = 4
"""Requests in flight per open file."""
IO_TIMEOUT_S = 60.0
"""How long one data request may go unanswered before the connection is given up as lost."""
CONNECT_TIMEOUT_S = 15.0
"""TCP connect and protocol negotiation (at most the location's timeout)."""
KEEPALIVE_S = 30.0
"""Idle time (at most half the location's timeout) after which smbprotocol's receiver probes the server with an
echo; no answer to it within the same time closes the connection, which ends every request waiting on it."""
CLOSE_TIMEOUT_S = 5
"""Logging off and closing the connection on :meth:`SmbLocation.close`."""

PRIME_SIZE = (8 << 20) + (64 << 10)
"""See :func:`_prime_allocator`: above the largest request smbprotocol builds (8 MiB)."""
PAYLOAD_UNIT: int = MAX_PAYLOAD_SIZE
"""64 KiB: what one SMB credit pays for."""

_DIALECTS = {
    Dialects.SMB_2_0_2: "2.0.2",
    Dialects.SMB_2_1_0: "2.1",
    Dialects.SMB_3_0_0: "3.0",
    Dialects.SMB_3_0_2: "3.0.2",
    Dialects.SMB_3_1_1: "3.1.1",
}
_CIPHERS = {1: "AES-128-CCM", 2: "AES-128-GCM", 3: "AES-256-CCM", 4: "AES-256-GCM"}


# --- NTSTATUS -> error class ------------------------------------------------------------------

_STATUS_NAMES: dict[int, str] = {
    int(value): name for name, value in vars(NtStatus).items() if name.startswith("STATUS_") and isinstance(value, int)
}
_STATUS_NAMES.update(
    {
        0xC000000F: "STATUS_NO_SUCH_FILE",
        0xC0000044: "STATUS_QUOTA_EXCEEDED",
        0xC0000064: "STATUS_NO_SUCH_USER",
        0xC000006E: "STATUS_ACCOUNT_RESTRICTION",
        0xC000006F: "STATUS_INVALID_LOGON_HOURS",
        0xC0000070: "STATUS_INVALID_WORKSTATION",
        0xC0000072: "STATUS_ACCOUNT_DISABLED",
        0xC00000A2: "STATUS_MEDIA_WRITE_PROTECTED",
        0xC00000BE: "STATUS_BAD_NETWORK_PATH",
        0xC00000C4: "STATUS_UNEXPECTED_NETWORK_ERROR",
        0xC00000C9: "STATUS_NETWORK_NAME_DELETED",
        0xC00000CA: "STATUS_NETWORK_ACCESS_DENIED",
        0xC000015B: "STATUS_LOGON_TYPE_NOT_GRANTED",
        0xC0000193: "STATUS_ACCOUNT_EXPIRED",
        0xC000020C: "STATUS_CONNECTION_DISCONNECTED",
        0xC000020D: "STATUS_CONNECTION_RESET",
        0xC0000224: "STATUS_PASSWORD_MUST_CHANGE",
        0xC0000234: "STATUS_ACCOUNT_LOCKED_OUT",
        0xC000035C: "STATUS_NETWORK_SESSION_EXPIRED",
    }
)
_AUTH_FAILED = {0xC000006A, 0xC000006D, 0xC0000064, 0xC000006E, 0xC000006F, 0xC0000070, 0xC0000071, 0xC0000072}
_AUTH_FAILED |= {0xC000015B, 0xC0000193, 0xC0000224, 0xC0000234}
_DENIED = {0xC0000022, 0xC0000061, 0xC00000A2, 0xC00000CA}
_FULL = {0xC000007F, 0xC0000044}
_NO_SHARE = {0xC00000CC, 0xC00000BE}
_MISSING = {0xC0000034, 0xC000003A, 0xC0000225, 0xC000000F, 0xC0000033, 0xC000003B, 0xC0000103}
_LOST = {0xC00000C4, 0xC00000C9, 0xC000020C, 0xC000020D, 0xC0000203, 0xC000035C, 0xC0000128}
_SOCKET_GONE = {
    errno.EPIPE,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ETIMEDOUT,
    errno.EAGAIN,
    errno.EWOULDBLOCK,
    errno.EBADF,
}
"""errno of a send that failed, or made no progress within the send timeout (SO_SNDTIMEO: EAGAIN).

EBADF: smbprotocol's receiver thread closes the socket when the server ends the
connection, so a send racing with it finds the descriptor already closed."""
_COLLISION = 0xC0000035
_END_OF_FILE = 0xC0000011

Missing = Literal["not-found", "invalid-path"]
"""What a missing file or folder becomes: NotFound (open_read, stat) or InvalidPath (a folder the operation needs)."""


def ntstatus_of(exc: BaseException) -> int | None:
    """The NTSTATUS an smbprotocol exception carries, if any."""
    if isinstance(exc, SMBOSError):
        return int(exc.ntstatus)
    if isinstance(exc, SMBResponseException):
        return int(exc.status)
    return None


def describe_status(status: int) -> str:
    """``STATUS_ACCESS_DENIED (0xC0000022)``."""
    return f"{_STATUS_NAMES.get(status, 'NTSTATUS')} (0x{status:08X})"


def _encryption_refused(exc: BaseException) -> bool:
    # smbprotocol raises a bare SMBException for this (session.py); its text is the only way to tell.
    return isinstance(exc, SMBException) and "encryption is required" in str(exc)


def _guest_refused(exc: BaseException) -> bool:
    return isinstance(exc, SMBException) and "authenticated as a guest" in str(exc)


def _credit_shortage(exc: BaseException) -> bool:
    # smbprotocol raises a bare SMBException when a request needs more credits than the window holds.
    return type(exc) is SMBException and "credits are available" in str(exc)


def _connection_gone(exc: BaseException) -> bool:
    if isinstance(exc, SMBConnectionClosed | ConnectionError | TimeoutError | socket.timeout):
        return True
    if _credit_shortage(exc):
        # Raised to every waiting caller when smbprotocol's receiver thread died of it: its keepalive echo found
        # no credit left, all being held by requests a server that stopped answering never answers.
        return True
    if isinstance(exc, OSError) and exc.errno in _SOCKET_GONE:
        return True
    return isinstance(exc, SMBException) and "timeout" in str(exc).lower() and ntstatus_of(exc) is None


def _connect_failure(exc: BaseException) -> str | None:
    """Why a TCP connection could not be made (smbprotocol wraps the socket error in a ValueError)."""
    if not isinstance(exc, ValueError) or not str(exc).startswith("Failed to connect to"):
        return None
    cause = exc.__cause__
    if isinstance(cause, socket.gaierror):
        return "the server name does not resolve"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused (nothing listens on the port)"
    if isinstance(cause, TimeoutError | socket.timeout):
        return f"no answer within {CONNECT_TIMEOUT_S} s"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    return "cannot connect"


def translate(
    exc: BaseException, *, spec: LocationSpec, username: str, action: str, path: str, missing: Missing
) -> AzsBackupError:
    """The :mod:`azsbackup.errors` exception for a failure of ``action`` on ``path`` (relative to the location)."""
    where = spec.display
    subject = f"{action} {path}".rstrip() if path else action
    status = ntstatus_of(exc)
    code = f": {describe_status(status)}" if status is not None else ""
    port = spec.port
    if action == "connect" and status in _MISSING:
        status = 0xC00000CC  # connecting stats the share's root: what is missing is the share
    if status in _AUTH_FAILED or isinstance(exc, SMBAuthenticationError):
        return LocationAuthFailed(
            location=where, detail=f"{subject}: the server refused the logon of {username!r}{code}"
        )
    if _guest_refused(exc):
        return LocationAuthFailed(
            location=where, detail=f"{subject}: the server logged {username!r} on only as a guest, without signing"
        )
    if _encryption_refused(exc):
        return EncryptionNotSupported(location=where, detail=f"{subject}: the server cannot encrypt SMB traffic")
    if status in _DENIED:
        return AccessDenied(location=where, detail=f"{subject}: access denied to {username!r}{code}")
    if status in _FULL or (status is None and isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
        return LocationFull(location=where, detail=f"{subject}: no space left on the share{code}")
    if status in _NO_SHARE:
        return InvalidPath(location=where, detail=f"{subject}: there is no share {spec.share!r} on {spec.server}{code}")
    if status in _MISSING:
        if missing == "not-found":
            return NotFound(kind="file", name=f"{path} on {where}", how=f"dir {where}")
        return InvalidPath(location=where, detail=f"{subject}: no such file or folder{code}")
    if status == _COLLISION:
        return LocationError(location=where, detail=f"{subject}: the target exists already{code}")
    reason = _connect_failure(exc)
    if reason is not None:
        return LocationUnreachable(location=where, detail=f"{subject}: {reason}", port=port)
    if status in _LOST or _connection_gone(exc):
        if action == "connect":
            return LocationUnreachable(location=where, detail=f"{subject}: the server closed the connection", port=port)
        return LocationConnectionLost(
            location=where, detail=f"{subject}: the connection to the server was lost{code}", port=port
        )
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return LocationError(location=where, detail=f"{subject}: {why}{code}")


# --- the location -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """What was negotiated with the server, for ``location test``."""

    dialect: str
    encrypted: bool
    cipher: str | None

    def __str__(self) -> str:
        if not self.encrypted:
            return f"SMB {self.dialect}, NOT encrypted (signed only)"
        return f"SMB {self.dialect}, encrypted" + (f" ({self.cipher})" if self.cipher else "")


class SmbLocation:
    """A folder on an SMB share: ``\\\\server\\share\\folder``; paths are relative to the folder.

    Connecting (in the constructor) logs on and connects the share, so bad
    credentials, a missing share or a server that cannot encrypt fail here.
    ``chunk_size``, ``depth`` and ``timeout`` tune the data transfer (see the
    module docstring). One thread at a time per location.
    """

    def __init__(
        self,
        spec: LocationSpec,
        credentials: Credentials,
        *,
        allow_unencrypted: bool = False,
        chunk_size: int = IO_CHUNK,
        depth: int = IO_DEPTH,
        timeout: float = IO_TIMEOUT_S,
    ) -> None:
        if spec.kind != "smb":
            raise ValueError(f"not an SMB location: {spec.display}")
        self.spec = spec
        self._credentials = credentials
        self._allow_unencrypted = allow_unencrypted
        self._encrypt = True
        self._cache: dict[str, Any] = {}
        self._closed = False
        self.chunk_size = chunk_size
        self.depth = depth
        self.timeout = timeout
        _prime_allocator()
        self._connect()

    def __repr__(self) -> str:
        return f"SmbLocation({self.spec.display!r}, user={self._credentials.username!r})"

    @property
    def display(self) -> str:
        return self.spec.display

    @property
    def username(self) -> str:
        return self._credentials.username

    # --- connection ---------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        """The session arguments every smbclient call takes (so a lost connection is rebuilt the same way)."""
        if self._closed:
            raise LocationError(location=self.display, detail="the location was closed")
        return {
            "username": self._credentials.username or None,
            "password": self._credentials.password or None,
            "port": self.spec.port,
            "encrypt": self._encrypt,
            "connection_timeout": min(CONNECT_TIMEOUT_S, self.timeout),
            "connection_cache": self._cache,
        }

    def _session(self) -> Any:
        """The live session; a lost connection is re-established (and bounded in time) first."""
        session = smbclient.register_session(self.spec.host, **self._settings())
        _bound_waits(session.connection, self.timeout)
        return session

    def _kwargs(self) -> dict[str, Any]:
        """Arguments for an smbclient call, with the connection checked and bounded first."""
        self._session()
        return self._settings()

    def _connect(self) -> None:
        try:
            with self.translating("connect"):
                try:
                    self._session()
                except SMBException as exc:
                    if not (self._allow_unencrypted and _encryption_refused(exc)):
                        raise
                    self._drop_connections(graceful=False)
                    self._encrypt = False
                    self._session()
                # Connect the share now: a missing share is a configuration error, reported before any transfer.
                smbclient.stat(self._share_root, **self._kwargs())
        except BaseException:
            self._drop_connections(graceful=False)
            raise

    @property
    def session_info(self) -> SessionInfo:
        """Negotiated dialect, and whether traffic to this share is encrypted."""
        with self.translating("connect"):
            session = self._session()
            connection = session.connection
            tree_encrypted = any(
                tree.share_name.lower().endswith("\\" + self.spec.share.lower()) and tree.encrypt_data
                for tree in session.tree_connect_table.values()
            )
            encrypted = bool(session.encrypt_data) or tree_encrypted
            dialect = _DIALECTS.get(int(connection.dialect), f"0x{int(connection.dialect):04x}")
            cipher = _CIPHERS.get(int(connection.cipher_id or 0)) if encrypted else None
        return SessionInfo(dialect, encrypted, cipher)

    @property
    def dialect(self) -> str:
        """The negotiated SMB dialect, e.g. ``3.1.1``."""
        return self.session_info.dialect

    @property
    def encrypted(self) -> bool:
        return self.session_info.encrypted

    def _drop_connections(self, *, graceful: bool) -> None:
        """Close every connection of this location; a lost or hung one only has its socket closed."""
        for key in list(self._cache):
            connection = self._cache.pop(key)
            if graceful:
                with contextlib.suppress(Exception):
                    connection.disconnect(close=True, timeout=CLOSE_TIMEOUT_S)
            with contextlib.suppress(Exception):
                connection.disconnect(close=False)

    def close(self) -> None:
        """Log off and close the connection; idempotent."""
        if not self._closed:
            self._drop_connections(graceful=True)
            self._closed = True

    @contextlib.contextmanager
    def translating(self, action: str, path: str = "", *, missing: Missing = "invalid-path") -> Iterator[None]:
        """Re-raise smbprotocol's, socket and OS exceptions as :mod:`azsbackup.errors` classes."""
        try:
            yield
        except AzsBackupError:
            raise
        except (SMBException, OSError, ValueError) as exc:
            error = translate(
                exc, spec=self.spec, username=self._credentials.username, action=action, path=path, missing=missing
            )
            if isinstance(error, LocationUnreachable):
                self._drop_connections(graceful=False)  # the next call reconnects
            raise self._redacted(error) from exc

    def _redacted(self, error: AzsBackupError) -> AzsBackupError:
        """Defence in depth: a password that somehow reached a message is masked."""
        secret = self._credentials.password
        if secret and (secret in error.message or secret in error.hint):
            error.message = error.message.replace(secret, "***")
            error.hint = error.hint.replace(secret, "***")
            error.args = (error.message,)
        return error

    # --- paths --------------------------------------------------------------------------------

    def _parts(self, path: str) -> list[str]:
        parts = [p for p in path.split("/") if p]
        if not all(is_valid_name(p) for p in parts):
            raise InvalidPath(location=self.display, detail=f"refused path {path!r}")
        return parts

    @property
    def _share_root(self) -> str:
        return f"\\\\{self.spec.host}\\{self.spec.share}"

    def _unc(self, path: str) -> str:
        return self.spec.unc(*self._parts(path))

    # --- the Location protocol ------------------------------------------------------------------

    def open_write(self, path: str, *, expected_sha256: str | None = None) -> SmbWriter:
        return SmbWriter(self, "/".join(self._parts(path)), expected_sha256)

    def open_read(self, path: str) -> BinaryIO:
        return io.BufferedReader(self._open_reader(path), buffer_size=256 << 10)

    def _open_reader(self, path: str) -> _PipelinedReader:
        with self.translating("open", path, missing="not-found"):
            handle = smbclient.open_file(self._unc(path), mode="rb", buffering=0, share_access="r", **self._kwargs())
        return _PipelinedReader(self, handle, path)

    def stat(self, path: str) -> Entry:
        parts = self._parts(path)
        with self.translating("stat", path, missing="not-found"):
            st = smbclient.stat(self.spec.unc(*parts), **self._kwargs())
        name = parts[-1] if parts else (self.spec.folders or (self.spec.share,))[-1]
        return Entry(name, stat_module.S_ISDIR(st.st_mode), int(st.st_size), float(st.st_mtime))

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except NotFound:
            return False
        return True

    def list(self, path: str = "") -> list[Entry]:
        unc = self._unc(path)
        try:
            with self.translating("list", path, missing="not-found"), smbclient.scandir(unc, **self._kwargs()) as it:
                entries = [
                    Entry(
                        e.name,
                        e.is_dir(),
                        int(e.smb_info.end_of_file),
                        e.smb_info.last_write_time.timestamp(),
                    )
                    for e in it
                ]
        except NotFound:
            return []
        return sorted(entries, key=lambda e: e.name)

    def makedirs(self, path: str) -> None:
        parts = self._parts(path)
        if not parts and not self.spec.folders:
            return  # the share's root, connected in __init__
        with self.translating("create folder", path):
            smbclient.makedirs(self.spec.unc(*parts), exist_ok=True, **self._kwargs())

    def rename(self, src: str, dst: str) -> None:
        """Rename a file or folder; ``dst`` must not exist (its parent folder is created)."""
        parent = "/".join(self._parts(dst)[:-1])
        if parent:
            self.makedirs(parent)
        with self.translating("rename", f"{src} to {dst}"):
            smbclient.rename(self._unc(src), self._unc(dst), **self._kwargs())

    def replace(self, src: str, dst: str) -> None:
        """Rename ``src`` over ``dst``, which may exist."""
        with self.translating("rename", f"{src} to {dst}"):
            smbclient.replace(self._unc(src), self._unc(dst), **self._kwargs())

    def delete(self, path: str) -> None:
        with contextlib.suppress(NotFound), self.translating("delete", path, missing="not-found"):
            smbclient.remove(self._unc(path), **self._kwargs())

    def delete_tree(self, path: str) -> None:
        if not self._parts(path):
            raise LocationError(location=self.display, detail="refusing to delete the location's root")
        with contextlib.suppress(NotFound), self.translating("delete folder", path, missing="not-found"):
            smbclient.shutil.rmtree(self._unc(path), **self._kwargs())

    def free_space(self) -> SpaceInfo:
        """Total and free bytes of the share's volume, as the server reports them for this account."""
        with self.translating("query free space"):
            info = smbclient.stat_volume(self._share_root, **self._kwargs())
        return SpaceInfo(total=int(info.total_size), free=int(info.caller_available_size))


_allocator_primed = False


def _prime_allocator() -> None:
    """Let glibc's malloc serve the request buffers from its heap instead of a fresh ``mmap`` each.

    glibc gives blocks above its mmap threshold (128 KiB at start) their own
    ``mmap``, page-faulted and zeroed on every use, and returns heap memory
    above twice that to the system eagerly. It raises both when a program
    frees such a block. smbprotocol builds several buffers of a request's size
    for each request (message, encrypted message, TCP frame) and the receiver
    as many for each answer; freeing one 8 MiB block first moves them all onto
    the heap. Measured, 256 MiB written with 1 MiB requests: client system
    time 0.7 s -> 0.1 s and 220 -> 480 MB/s. Elsewhere this does nothing.
    A caller that reads its source in blocks of 8 MiB has the same effect.
    """
    global _allocator_primed
    if not _allocator_primed:
        block = bytearray(PRIME_SIZE)
        del block
        _allocator_primed = True


def _bound_waits(connection: Any, timeout: float) -> None:
    """Bound how long a request can wait on a server that stopped answering.

    smbprotocol has no public setting for either: its receiver thread probes
    an idle server with an echo only after 600 s, and its socket is blocking,
    so a send to a server that stopped reading blocks for good (holding the
    transport's lock, so the connection cannot even be closed). A socket
    timeout makes such a send fail after ``timeout`` without progress; the
    receiver only reads after ``select`` reported data, so it is not affected.
    """
    keepalive = max(1.0, min(KEEPALIVE_S, timeout / 2))
    if getattr(connection, "_receive_timeout", 0) > keepalive:
        connection._receive_timeout = keepalive
    sock = getattr(connection.transport, "_sock", None)
    if isinstance(sock, socket.socket) and not getattr(connection, "_azsbackup_send_timeout", None):
        # SO_SNDTIMEO, not settimeout(): a Python-level timeout turns each send of a multi-MiB message into many
        # partial sends, and smbprotocol copies the rest of the message after each one.
        if sys.platform == "win32":
            value = struct.pack("I", int(timeout * 1000))
        else:
            value = struct.pack("ll", int(timeout), int(timeout % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
        connection._azsbackup_send_timeout = timeout


def _credits(connection: Any) -> int:
    window = connection.sequence_window
    return int(window["high"] - window["low"])


def _charge(connection: Any, length: int) -> int:
    """Credits a request of ``length`` bytes costs (one per 64 KiB with multi-credit, SMB 2.1 and later)."""
    if not connection.supports_multi_credit:
        return 1
    return max(1, (length - 1) // PAYLOAD_UNIT + 1)


class _Pipe:
    """Requests on one open file, up to ``depth`` in flight, answered in order.

    A request of ``n`` bytes costs ``ceil(n / 64 KiB)`` credits; each request
    asks the server for enough credits to keep ``depth`` requests of
    :attr:`chunk` bytes in flight. Until the window has grown, or while other
    streams hold credits, a request shrinks to what the credits pay for.
    """

    def __init__(self, location: SmbLocation, handle: Any, operation: Literal["read", "write"]) -> None:
        self.location = location
        self.handle = handle
        self.fd = handle.fd
        self.connection = self.fd.connection
        self.session_id = self.fd.tree_connect.session.session_id
        self.tree_id = self.fd.tree_connect.tree_connect_id
        self.pending: collections.deque[tuple[Any, int]] = collections.deque()
        limit = int(getattr(self.connection, f"max_{operation}_size"))
        self.chunk = max(PAYLOAD_UNIT, min(location.chunk_size, limit))

    def fit(self, length: int) -> int:
        """How many of ``length`` bytes to request now; 0: wait for the oldest answer first."""
        if self.pending and len(self.pending) >= self.location.depth:
            return 0
        credits = _credits(self.connection)
        if credits >= _charge(self.connection, length):
            return length
        if self.pending:
            return 0
        return min(length, max(credits, 1) * PAYLOAD_UNIT)

    def send(self, message: Any, length: int) -> None:
        charge = _charge(self.connection, length)
        wanted = self.location.depth * _charge(self.connection, self.chunk)
        deadline = time.monotonic() + self.location.timeout
        while True:
            # Credits run short only while other requests on the connection hold them (another stream's, or
            # the receiver's keepalive echo taking one between this check and the send).
            while _credits(self.connection) < charge:
                if time.monotonic() > deadline:
                    raise SMBConnectionClosed("no SMB credits were granted in time")
                time.sleep(0.001)
            shortfall = max(0, wanted - (_credits(self.connection) - charge))
            try:
                request = self.connection.send(
                    message, sid=self.session_id, tid=self.tree_id, credit_request=min(charge + shortfall, 1024)
                )
            except SMBException as exc:
                if _credit_shortage(exc) and time.monotonic() <= deadline:
                    continue
                raise
            self.pending.append((request, length))
            return

    def receive(self) -> tuple[Any, int]:
        """The oldest request's response header, and the length it asked for."""
        request, length = self.pending.popleft()
        return self.connection.receive(request, timeout=self.location.timeout), length

    def drain(self) -> None:
        """Collect the answers of requests still in flight, ignoring their errors (after a failure)."""
        while self.pending:
            with contextlib.suppress(Exception):
                self.receive()

    def close(self) -> None:
        self.drain()
        self.handle.close()


class _WritePipe(_Pipe):
    def write(self, payload: bytes, offset: int) -> None:
        while payload:
            n = self.fit(len(payload))
            if n == 0:
                self.complete_one()
                continue
            piece, payload = (payload, b"") if n == len(payload) else (payload[:n], payload[n:])
            message, _ = self.fd.write(piece, offset=offset, send=False)
            self.send(message, n)
            offset += n

    def complete_one(self) -> None:
        header, length = self.receive()
        response = SMB2WriteResponse()
        response.unpack(header["data"].get_value())
        written = int(response["count"].get_value())
        if written != length:
            raise SMBException(f"short write: {written} of {length} bytes")

    def finish(self) -> None:
        """Wait for every write, have the server flush the file to stable storage, close it."""
        while self.pending:
            self.complete_one()
        self.fd.flush()
        self.handle.close()


class SmbWriter:
    """Writes ``<final>.partial-<random>`` with requests in flight, reads it back, renames it to ``<final>``."""

    def __init__(self, location: SmbLocation, path: str, expected_sha256: str | None = None) -> None:
        self._location = location
        self._final = path
        directory = path.rpartition("/")[0]
        self._tmp = f"{path}{PARTIAL_MARKER}{secrets.token_hex(4)}"
        self._expected = expected_sha256
        self._digest = hashlib.sha256()
        self._size = 0
        self._sent = 0
        self._buffer = bytearray()
        self._pipe: _WritePipe | None = None
        if directory:
            location.makedirs(directory)
        with location.translating("create", self._tmp):
            handle = smbclient.open_file(location._unc(self._tmp), mode="xb", buffering=0, **location._kwargs())
        self._pipe = _WritePipe(location, handle, "write")
        self._chunk = self._pipe.chunk

    @property
    def temporary_path(self) -> str:
        """The ``.partial-`` name the data goes to until :meth:`commit`."""
        return self._tmp

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._pipe is None:
            raise LocationError(location=self._location.display, detail="write after commit or abort")
        view = memoryview(data).cast("B")
        count = len(view)
        if self._expected is None:  # a known SHA-256 spares hashing on the critical path
            self._digest.update(view)
        self._size += count
        pipe = self._pipe
        with self._failing("write", self._final):
            if self._buffer:  # top up the partly filled request first
                taken = min(len(view), self._chunk - len(self._buffer))
                self._buffer += view[:taken]
                view = view[taken:]
                if len(self._buffer) == self._chunk:
                    self._send(pipe, bytes(self._buffer))
                    self._buffer.clear()
            while len(view) >= self._chunk:
                self._send(pipe, bytes(view[: self._chunk]))
                view = view[self._chunk :]
            self._buffer += view
        return count

    def _send(self, pipe: _WritePipe, payload: bytes) -> None:
        pipe.write(payload, self._sent)
        self._sent += len(payload)

    @contextlib.contextmanager
    def _failing(self, action: str, path: str) -> Iterator[None]:
        """Translate errors; on any failure the partial file is removed (best effort) before raising."""
        try:
            with self._location.translating(action, path):
                yield
        except LocationUnreachable:
            self._discard(delete=False)  # the connection is gone: the partial file is left for prune
            raise
        except BaseException:
            self._discard(delete=True)
            raise

    def commit(self) -> WriteResult:
        """Finish the writes, read the file back and compare its SHA-256, rename it to the final name."""
        pipe = self._pipe
        if pipe is None:
            raise LocationError(location=self._location.display, detail="commit after commit or abort")
        with self._failing("write", self._final):
            if self._buffer:
                self._send(pipe, bytes(self._buffer))
                self._buffer.clear()
            pipe.finish()
            self._pipe = None
        with self._failing("read back", self._tmp):
            size, digest = self._read_back()
            expected = (self._size, self._expected or self._digest.hexdigest())
            if (size, digest) != expected:
                raise ChecksumMismatch(
                    subject=f"{self._location.display}: {self._final}",
                    detail=f"read back {size} bytes with SHA-256 {digest}; wrote {expected[0]} bytes, {expected[1]}",
                )
        with self._failing("rename", self._tmp):
            self._location.replace(self._tmp, self._final)
        return WriteResult(self._final, size, digest)

    def _read_back(self) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        reader = self._location._open_reader(self._tmp)
        try:
            while chunk := reader.read_chunk():
                digest.update(chunk)
                size += len(chunk)
        finally:
            reader.close()
        return size, digest.hexdigest()

    def abort(self) -> None:
        """Close and delete the partial file; idempotent, never raises (a leftover is for ``prune``)."""
        self._discard(delete=True)

    def _discard(self, *, delete: bool) -> None:
        pipe, self._pipe = self._pipe, None
        self._buffer.clear()
        if pipe is not None:
            with contextlib.suppress(Exception):
                pipe.close()
        if delete:
            with contextlib.suppress(Exception):
                self._location.delete(self._tmp)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pipe is not None:
            self.abort()


class _PipelinedReader(io.RawIOBase):
    """A file on the share, read ahead with several requests in flight."""

    def __init__(self, location: SmbLocation, handle: Any, path: str) -> None:
        super().__init__()
        self._location = location
        self._path = path
        self._pipe = _Pipe(location, handle, "read")
        self._chunk = self._pipe.chunk
        self._size = int(handle.fd.end_of_file)
        self._requested = 0  # offset of the next request to send
        self._position = 0  # offset of the next byte handed out
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        target = max(0, base + offset)
        ahead = target - self._position
        if 0 <= ahead <= len(self._current):
            self._current = self._current[ahead:]
        else:
            self._pipe.drain()
            self._current = memoryview(b"")
            self._requested = target
        self._position = target
        return target

    def read_chunk(self) -> memoryview:
        """The next piece of the file as it arrived (empty at the end)."""
        if not self._current:
            self._current = self._next()
        piece, self._current = self._current, memoryview(b"")
        self._position += len(piece)
        return piece

    def readinto(self, buffer: Any) -> int:
        if not self._current:
            self._current = self._next()
        n = min(len(buffer), len(self._current))
        buffer[:n] = self._current[:n]
        self._current = self._current[n:]
        self._position += n
        return n

    def readall(self) -> bytes:
        parts = []
        while piece := self.read_chunk():
            parts.append(bytes(piece))
        return b"".join(parts)

    def _next(self) -> memoryview:
        with self._location.translating("read", self._path):
            self._fill()
            if not self._pipe.pending:
                return memoryview(b"")
            try:
                header, length = self._pipe.receive()
                data = _read_payload(header)
            except SMBResponseException as exc:
                if exc.status != _END_OF_FILE:
                    raise
                data, length = b"", 1  # the file shrank below the offset asked for
            if len(data) < length:  # the file shrank: its new end is here
                self._pipe.drain()
                self._size = self._requested = self._position + len(data)
            self._fill()
        return memoryview(data)

    def _fill(self) -> None:
        pipe = self._pipe
        while self._requested < self._size:
            length = pipe.fit(min(self._chunk, self._size - self._requested))
            if length == 0:
                break
            message, _ = pipe.fd.read(self._requested, length, send=False)
            pipe.send(message, length)
            self._requested += length

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self._pipe.close()
        super().close()


def _read_payload(header: Any) -> bytes:
    response = SMB2ReadResponse()
    response.unpack(header["data"].get_value())
    return bytes(response["buffer"].get_value())
