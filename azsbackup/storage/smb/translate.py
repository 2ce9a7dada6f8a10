"""smbprotocol, socket and OS failures as :mod:`azsbackup.errors` classes.

Messages are built from known facts (action, relative path, NTSTATUS name and
code), never from ``str()`` of a library exception, and never contain the
password.
"""

from __future__ import annotations

import errno
import socket
from typing import Literal

from smbprotocol.exceptions import SMBAuthenticationError, SMBConnectionClosed

from azsbackup.errors import (
    AccessDenied,
    AzsBackupError,
    EncryptionNotSupported,
    InvalidPath,
    LocationAuthFailed,
    LocationConnectionLost,
    LocationError,
    LocationFull,
    LocationUnreachable,
    NotFound,
)
from azsbackup.storage.paths import LocationSpec
from azsbackup.storage.smb import _compat
from azsbackup.storage.smb._compat import ntstatus_of

CONNECT_TIMEOUT_S = 15.0
"""TCP connect and protocol negotiation (at most the location's timeout)."""

_STATUS_NAMES: dict[int, str] = _compat.known_status_names()
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
END_OF_FILE = 0xC0000011

Missing = Literal["not-found", "invalid-path"]
"""What a missing file or folder becomes: NotFound (open_read, stat) or InvalidPath (a folder the operation needs)."""


def describe_status(status: int) -> str:
    """``STATUS_ACCESS_DENIED (0xC0000022)``."""
    return f"{_STATUS_NAMES.get(status, 'NTSTATUS')} (0x{status:08X})"


def _connection_gone(exc: BaseException) -> bool:
    if isinstance(exc, SMBConnectionClosed | ConnectionError | TimeoutError | socket.timeout):
        return True
    if _compat.credit_shortage(exc):
        # Raised to every waiting caller when smbprotocol's receiver thread died of it: its keepalive echo found
        # no credit left, all being held by requests a server that stopped answering never answers.
        return True
    if isinstance(exc, OSError) and exc.errno in _SOCKET_GONE:
        return True
    return _compat.bare_timeout(exc)


def _connect_failure(exc: BaseException) -> str | None:
    """Why a TCP connection could not be made, or None if ``exc`` is not a failed connect."""
    if not _compat.connect_failed(exc):
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
    if _compat.guest_refused(exc):
        return LocationAuthFailed(
            location=where, detail=f"{subject}: the server logged {username!r} on only as a guest, without signing"
        )
    if _compat.encryption_refused(exc):
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
