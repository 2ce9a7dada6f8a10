"""The location: one folder on an SMB share, its connection, session and encryption.

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

Waits
    A server that stops answering is given up on after :data:`IO_TIMEOUT_S`
    without progress (a send, or the answer to a data request), and after
    about the same time for any other request (smbprotocol's echo probe, every
    :data:`KEEPALIVE_S` of silence).
"""

from __future__ import annotations

import contextlib
import io
import socket
import stat as stat_module
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import smbclient
import smbclient.shutil
from smbprotocol import Dialects
from smbprotocol.exceptions import SMBException

from azsbackup.errors import AzsBackupError, InvalidPath, LocationError, LocationUnreachable, NotFound
from azsbackup.storage.base import Entry, SpaceInfo
from azsbackup.storage.paths import Credentials, LocationSpec, is_valid_name
from azsbackup.storage.smb import _compat
from azsbackup.storage.smb.pipeline import (
    IO_CHUNK,
    IO_DEPTH,
    SmbWriter,
    open_reader,
    prime_allocator,
)
from azsbackup.storage.smb.translate import CONNECT_TIMEOUT_S, Missing, translate

IO_TIMEOUT_S = 60.0
"""How long one data request may go unanswered before the connection is given up as lost."""
KEEPALIVE_S = 30.0
"""Idle time (at most half the location's timeout) after which smbprotocol's receiver probes the server with an
echo; no answer to it within the same time closes the connection, which ends every request waiting on it."""
CLOSE_TIMEOUT_S = 5
"""Logging off and closing the connection on :meth:`SmbLocation.close`."""

_DIALECTS = {
    Dialects.SMB_2_0_2: "2.0.2",
    Dialects.SMB_2_1_0: "2.1",
    Dialects.SMB_3_0_0: "3.0",
    Dialects.SMB_3_0_2: "3.0.2",
    Dialects.SMB_3_1_1: "3.1.1",
}
_CIPHERS = {1: "AES-128-CCM", 2: "AES-128-GCM", 3: "AES-256-CCM", 4: "AES-256-GCM"}


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
        prime_allocator()
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
                    if not (self._allow_unencrypted and _compat.encryption_refused(exc)):
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
            encrypted = _compat.share_encrypted(session, self.spec.share)
            dialect_id, cipher_id = _compat.dialect_and_cipher(session.connection)
            dialect = _DIALECTS.get(dialect_id, f"0x{dialect_id:04x}")
            cipher = _CIPHERS.get(cipher_id) if encrypted else None
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
                    _compat.disconnect(connection, graceful=True, timeout=CLOSE_TIMEOUT_S)
            with contextlib.suppress(Exception):
                _compat.disconnect(connection, graceful=False, timeout=CLOSE_TIMEOUT_S)

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

    def open_write(self, path: str, *, expected_sha256: str | None = None, read_back: bool = False) -> SmbWriter:
        return SmbWriter(self, "/".join(self._parts(path)), expected_sha256, read_back=read_back)

    def open_read(self, path: str) -> BinaryIO:
        return io.BufferedReader(open_reader(self, path), buffer_size=256 << 10)

    def open_file(self, path: str, mode: str, share_access: str | None = None) -> Any:
        """An unbuffered smbclient file for the pipelined streams (:mod:`~azsbackup.storage.smb.pipeline`)."""
        return smbclient.open_file(self._unc(path), mode=mode, buffering=0, share_access=share_access, **self._kwargs())

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


def _bound_waits(connection: Any, timeout: float) -> None:
    """Bound how long a request can wait on a server that stopped answering.

    smbprotocol has no public setting for either: its receiver thread probes
    an idle server with an echo only after 600 s, and its socket is blocking,
    so a send to a server that stopped reading blocks for good (holding the
    transport's lock, so the connection cannot even be closed). A socket
    timeout makes such a send fail after ``timeout`` without progress; the
    receiver only reads after ``select`` reported data, so it is not affected.
    """
    _compat.shorten_receive_timeout(connection, max(1.0, min(KEEPALIVE_S, timeout / 2)))
    sock = _compat.socket_of(connection)
    if sock is not None and not getattr(connection, "_azsbackup_send_timeout", None):
        # SO_SNDTIMEO, not settimeout(): a Python-level timeout turns each send of a multi-MiB message into many
        # partial sends, and smbprotocol copies the rest of the message after each one.
        if sys.platform == "win32":
            value = struct.pack("I", int(timeout * 1000))
        else:
            value = struct.pack("ll", int(timeout), int(timeout % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
        connection._azsbackup_send_timeout = timeout
