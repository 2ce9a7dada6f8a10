"""Every use of smbprotocol beyond its documented API, in one place.

smbprotocol documents ``smbclient``'s functions and the message classes; the
pipelined transfers, the bounded waits and the error translation also need
attributes and behaviours it does not promise to keep. Each is wrapped here,
with the versions it was read on and checked against, so that an upgrade
reviews one file, and ``tests/storage/test_smb_compat.py`` fails with the name
of whatever went missing.

Checked on: smbprotocol 1.17.0 (the versions ``pyproject.toml`` allows).
"""

from __future__ import annotations

import inspect
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from smbprotocol import MAX_PAYLOAD_SIZE
from smbprotocol.connection import Ciphers, Dialects, Request
from smbprotocol.exceptions import SMBConnectionClosed, SMBException, SMBOSError, SMBResponseException
from smbprotocol.header import Commands, NtStatus, SMB2HeaderRequest
from smbprotocol.open import SMB2ReadResponse, SMB2WriteRequest, SMB2WriteResponse

from azsbackup.storage.smb import wire

CHECKED_VERSIONS = ("1.17",)
"""The smbprotocol releases (major.minor) every function below was read on and tested with."""


def installed_version() -> str:
    return version("smbprotocol")


def checked(installed: str | None = None) -> bool:
    """Whether the installed smbprotocol is a release this module was checked on."""
    major_minor = ".".join((installed or installed_version()).split(".")[:2])
    return major_minor in CHECKED_VERSIONS


PAYLOAD_UNIT: int = MAX_PAYLOAD_SIZE
"""64 KiB: what one SMB credit pays for."""


# --- NTSTATUS --------------------------------------------------------------------------------


def ntstatus_of(exc: BaseException) -> int | None:
    """The NTSTATUS an smbprotocol exception carries, if any (1.17: ``SMBOSError.ntstatus``, ``.status``)."""
    if isinstance(exc, SMBOSError):
        return int(exc.ntstatus)
    if isinstance(exc, SMBResponseException):
        return int(exc.status)
    return None


def known_status_names() -> dict[int, str]:
    """The ``STATUS_*`` constants smbprotocol knows (1.17: plain class attributes of ``NtStatus``)."""
    return {
        int(value): name
        for name, value in vars(NtStatus).items()
        if name.startswith("STATUS_") and isinstance(value, int)
    }


# --- errors told apart by their text ---------------------------------------------------------
# smbprotocol raises a bare SMBException (or ValueError) for these; the message is the only way to tell them
# apart. Texts as in 1.17: session.py (encryption, guest), connection.py (credits), transport.py (connect).


def encryption_refused(exc: BaseException) -> bool:
    """The server cannot encrypt and the session required it."""
    return isinstance(exc, SMBException) and "encryption is required" in str(exc)


def guest_refused(exc: BaseException) -> bool:
    """The server logged the user on as a guest, which cannot sign or encrypt."""
    return isinstance(exc, SMBException) and "authenticated as a guest" in str(exc)


def credit_shortage(exc: BaseException) -> bool:
    """A request needed more credits than the window holds."""
    return type(exc) is SMBException and "credits are available" in str(exc)


def bare_timeout(exc: BaseException) -> bool:
    """A wait for an answer ran out (an SMBException without a status that says so)."""
    return isinstance(exc, SMBException) and "timeout" in str(exc).lower() and ntstatus_of(exc) is None


def connect_failed(exc: BaseException) -> bool:
    """A TCP connect failed; smbprotocol wraps the socket error (its ``__cause__``) in a ValueError."""
    return isinstance(exc, ValueError) and str(exc).startswith("Failed to connect to")


# --- waits -----------------------------------------------------------------------------------


def shorten_receive_timeout(connection: Any, seconds: float) -> None:
    """Make the receiver thread probe an idle server after ``seconds`` (1.17: ``Connection._receive_timeout``).

    smbprotocol's only setting for it is an environment variable read when the
    connection is made (600 s by default).
    """
    if getattr(connection, "_receive_timeout", 0) > seconds:
        connection._receive_timeout = seconds


def socket_of(connection: Any) -> socket.socket | None:
    """The connection's TCP socket (1.17: ``Connection.transport._sock``), None while not connected."""
    sock = getattr(connection.transport, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


# --- credits and requests sent without waiting -------------------------------------------------


def credits(connection: Any) -> int:
    """Credits the server granted that no request holds (1.17: ``Connection.sequence_window``)."""
    window = connection.sequence_window
    return int(window["high"] - window["low"])


def charge(connection: Any, length: int) -> int:
    """Credits a request of ``length`` bytes costs (one per 64 KiB with multi-credit, SMB 2.1 and later)."""
    if not connection.supports_multi_credit:
        return 1
    return max(1, (length - 1) // PAYLOAD_UNIT + 1)


def max_size(connection: Any, operation: str) -> int:
    """The largest READ or WRITE the server negotiated (1.17: ``max_read_size`` / ``max_write_size``)."""
    return int(getattr(connection, f"max_{operation}_size"))


def open_of(handle: Any) -> Any:
    """The smbprotocol ``Open`` behind an smbclient raw file (1.17: ``SMBRawIO.fd``)."""
    return handle.fd


def ids_of(fd: Any) -> tuple[int, int]:
    """Session and tree ids a request on ``fd`` is sent with (1.17: ``Open.tree_connect``)."""
    return fd.tree_connect.session.session_id, fd.tree_connect.tree_connect_id


def file_size(handle: Any) -> int:
    """The size of the opened file, as the server reported it on open (1.17: ``Open.end_of_file``)."""
    return int(handle.fd.end_of_file)


@dataclass(frozen=True)
class DirectWrite:
    """A WRITE request :func:`send` lays out and encrypts itself (:mod:`~azsbackup.storage.smb.wire`)."""

    fd: Any
    cipher: AESGCM
    data: bytes | memoryview
    offset: int


def write_request(fd: Any, data: bytes | memoryview, offset: int) -> Any:
    """A WRITE request built but not sent.

    On a session or share that encrypts with AES-GCM (SMB 3.1.1) and does not
    also sign, a :class:`DirectWrite`; otherwise smbprotocol's own message
    (1.17: ``Open.write(..., send=False)`` returns ``(message, unpack)``).
    """
    cipher = _direct_cipher(fd)
    if cipher is not None:
        limit = max_size(fd.connection, "write")
        if len(data) > limit:  # what Open.write refuses
            raise SMBException(f"a WRITE of {len(data)} bytes is over the negotiated {limit}")
        return DirectWrite(fd, cipher, data, offset)
    message, _ = fd.write(bytes(data), offset=offset, send=False)  # smbprotocol keeps it until sent
    return message


def _direct_cipher(fd: Any) -> AESGCM | None:
    """The AES-GCM cipher a WRITE on ``fd`` is encrypted with, when :mod:`wire` can build it as smbprotocol would.

    1.17 (``Connection._send``, ``_encrypt``): a message is encrypted when its
    session or tree says so, with the session's ``encryption_key`` and the
    negotiated ``cipher_id`` from 3.1.1 on, and also signed when the session
    requires signing and has a key (then smbprotocol's path is kept).
    """
    tree = fd.tree_connect
    session = tree.session
    connection = session.connection
    if not (session.encrypt_data or tree.encrypt_data) or (session.signing_required and session.signing_key):
        return None
    if not connection.supports_multi_credit or connection.dialect < Dialects.SMB_3_1_1:
        return None
    if connection.cipher_id not in (Ciphers.AES_128_GCM, Ciphers.AES_256_GCM):
        return None
    return AESGCM(bytes(session.encryption_key))  # per request, as smbprotocol does: no key outlives its session


def read_request(fd: Any, offset: int, length: int) -> Any:
    """A READ request built but not sent (1.17: ``Open.read(..., send=False)``)."""
    message, _ = fd.read(offset, length, send=False)
    return message


def flush_request(fd: Any) -> Any:
    """A FLUSH request built but not sent (1.17: ``Open.flush(send=False)``)."""
    message, _ = fd.flush(send=False)
    return message


def send(connection: Any, message: Any, session_id: int, tree_id: int, credit_request: int) -> Any:
    """Send a request built above; returns what :func:`receive` waits on (1.17: ``Connection.send``)."""
    if isinstance(message, DirectWrite):
        return _send_direct(connection, message, session_id, tree_id, credit_request)
    return connection.send(message, sid=session_id, tid=tree_id, credit_request=credit_request)


def _send_direct(connection: Any, write: DirectWrite, session_id: int, tree_id: int, credit_request: int) -> Any:
    """Send a :class:`DirectWrite` the way ``Connection._send`` sends a message (1.17).

    Under ``sequence_lock``: take the message id from ``sequence_window['low']``
    and move it by the credit charge (or fail as smbprotocol fails, with the
    text :func:`credit_shortage` knows). Then register a ``Request`` in
    ``outstanding_requests`` before a byte is sent, so that the receiver
    thread finds it however soon the answer comes, and send the frame under
    the transport's ``_sock_lock``.
    """
    credit_charge = charge(connection, len(write.data))
    with connection.sequence_lock:
        available = credits(connection)
        if credit_charge > available:
            raise SMBException(f"Request requires {credit_charge} credits but only {available} credits are available")
        message_id = connection.sequence_window["low"]
        connection.sequence_window["low"] += credit_charge
    fields = wire.WriteHeader(
        credit_charge=credit_charge,
        credit_request=credit_request or credit_charge,
        flags=wire.FLAGS_DFS_OPERATIONS if write.fd.tree_connect.is_dfs_share else 0,
        message_id=message_id,
        tree_id=tree_id,
        session_id=session_id,
        file_id=write.fd.file_id,
        offset=write.offset,
    )
    head, ciphertext = wire.encrypted_frame(write.cipher, session_id, wire.plain_write(fields, write.data))
    request = Request(_request_header(fields), SMB2WriteRequest, connection, session_id=session_id)
    connection.outstanding_requests[message_id] = request
    connection._check_worker_running()
    transport = connection.transport
    with transport._sock_lock:
        sock = socket_of(connection)
        if sock is None:
            raise SMBConnectionClosed("SMB socket was closed, cannot send or receive any more data")
        _send_all(sock, [memoryview(head), ciphertext])
    return request


def _request_header(fields: wire.WriteHeader) -> Any:
    """The header a ``Request`` keeps: the receiver reads its command, message id and reserved field."""
    header = SMB2HeaderRequest()
    header["credit_charge"] = fields.credit_charge
    header["command"] = Commands.SMB2_WRITE
    header["credit_request"] = fields.credit_request
    header["message_id"] = fields.message_id
    header["tree_id"] = fields.tree_id
    header["session_id"] = fields.session_id
    return header


def _send_all(sock: socket.socket, buffers: list[memoryview]) -> None:
    while buffers:
        sent = sock.sendmsg(buffers)
        while buffers and sent >= len(buffers[0]):
            sent -= len(buffers[0])
            buffers.pop(0)
        if buffers:
            buffers[0] = buffers[0][sent:]


def receive(connection: Any, request: Any, timeout: float) -> Any:
    """The answer to ``request`` (1.17: ``Connection.receive``; raises on an error status)."""
    return connection.receive(request, timeout=timeout)


def written_count(header: Any) -> int:
    """Bytes a WRITE answer says were written."""
    response = SMB2WriteResponse()
    response.unpack(header["data"].get_value())
    return int(response["count"].get_value())


def read_payload(header: Any) -> bytes:
    """The data of a READ answer."""
    response = SMB2ReadResponse()
    response.unpack(header["data"].get_value())
    return bytes(response["buffer"].get_value())


# --- what a session negotiated -----------------------------------------------------------------


def share_encrypted(session: Any, share: str) -> bool:
    """Whether the session, or its tree connect to ``share``, encrypts (1.17: ``tree_connect_table``)."""
    tree_encrypted = any(
        tree.share_name.lower().endswith("\\" + share.lower()) and tree.encrypt_data
        for tree in session.tree_connect_table.values()
    )
    return bool(session.encrypt_data) or tree_encrypted


def dialect_and_cipher(connection: Any) -> tuple[int, int]:
    """The negotiated dialect and cipher ids (1.17: ``Connection.dialect``, ``.cipher_id``)."""
    return int(connection.dialect), int(connection.cipher_id or 0)


def disconnect(connection: Any, *, graceful: bool, timeout: float) -> None:
    """Log off and close (graceful), or only close the socket (1.17: ``Connection.disconnect(close=...)``)."""
    if graceful:
        connection.disconnect(close=True, timeout=timeout)
    else:
        connection.disconnect(close=False)


# --- what the functions above rely on, checked without a server ----------------------------------


def _objects() -> dict[str, Any]:
    """An unconnected Connection, Session, TreeConnect and Open: smbprotocol sets their attributes in __init__."""
    from smbprotocol.connection import Connection
    from smbprotocol.open import Open
    from smbprotocol.session import Session
    from smbprotocol.tree import TreeConnect

    connection = Connection(uuid.uuid4(), "127.0.0.1", 445)
    session = Session(connection, "user", "password")
    tree = TreeConnect(session, "\\\\127.0.0.1\\share")
    return {"Connection": connection, "Session": session, "TreeConnect": tree, "Open": Open(tree, "file")}


def _source_says(module: str, text: str) -> Callable[[dict[str, Any]], bool]:
    def check(_: dict[str, Any]) -> bool:
        return text in inspect.getsource(__import__(module, fromlist=["_"]))

    return check


def _has(owner: str, *names: str) -> Callable[[dict[str, Any]], bool]:
    return lambda objects: all(hasattr(objects[owner], name) for name in names)


def _takes(function: Callable[..., Any], *names: str) -> Callable[[dict[str, Any]], bool]:
    return lambda _: set(names) <= set(inspect.signature(function).parameters)


def _relied_on() -> list[tuple[str, Callable[[dict[str, Any]], bool]]]:
    from smbclient._io import SMBRawIO
    from smbprotocol.connection import Connection
    from smbprotocol.open import Open

    return [
        ("Connection._receive_timeout", _has("Connection", "_receive_timeout")),
        ("Connection.transport._sock", _source_says("smbprotocol.transport", "self._sock = ")),
        ("Connection.sequence_window", _has("Connection", "sequence_window")),
        ("Connection.supports_multi_credit", _has("Connection", "supports_multi_credit")),
        ("Connection.max_read_size, .max_write_size", _has("Connection", "max_read_size", "max_write_size")),
        ("Connection.dialect, .cipher_id", _has("Connection", "dialect", "cipher_id")),
        ("Connection.send(message, sid, tid, credit_request)", _takes(Connection.send, "sid", "tid", "credit_request")),
        ("Connection.receive(request, timeout)", _takes(Connection.receive, "request", "timeout")),
        ("Connection.disconnect(close, timeout)", _takes(Connection.disconnect, "close", "timeout")),
        (
            "Session.encrypt_data, .tree_connect_table, .session_id",
            _has("Session", "encrypt_data", "tree_connect_table", "session_id"),
        ),
        (
            "TreeConnect.share_name, .encrypt_data, .tree_connect_id",
            _has("TreeConnect", "share_name", "encrypt_data", "tree_connect_id"),
        ),
        ("Open.tree_connect, .connection, .end_of_file", _has("Open", "tree_connect", "connection", "end_of_file")),
        ("Open.write(..., send=False)", _takes(Open.write, "offset", "send")),
        ("Open.file_id", _has("Open", "file_id")),
        ("TreeConnect.is_dfs_share, .session", _has("TreeConnect", "is_dfs_share", "session")),
        (
            "Session.encryption_key, .signing_key, .signing_required, .connection",
            _has("Session", "encryption_key", "signing_key", "signing_required", "connection"),
        ),
        (
            "Connection.sequence_lock, .outstanding_requests, .cipher_id, ._check_worker_running",
            _has("Connection", "sequence_lock", "outstanding_requests", "cipher_id", "_check_worker_running"),
        ),
        ("Connection.transport._sock_lock", _source_says("smbprotocol.transport", "self._sock_lock = ")),
        ("Request(message, message_type, connection, session_id)", _takes(Request, "message_type", "session_id")),
        (
            "the receiver reads a request's command, message id and reserved field",
            _source_says("smbprotocol.connection", 'request.message["reserved"].get_value() == 1'),
        ),
        (
            "Connection._encrypt: AES-GCM, a 12-byte nonce, the transform header from byte 20 as associated data",
            _source_says("smbprotocol.connection", "encrypt(nonce, b_data, header.pack()[20:])"),
        ),
        ("Open.read(..., send=False)", _takes(Open.read, "offset", "length", "send")),
        ("Open.flush(send=False)", _takes(Open.flush, "send")),
        ("smbclient's raw file keeps its Open as .fd", lambda _: "self.fd = " in inspect.getsource(SMBRawIO)),
        ("the text 'encryption is required'", _source_says("smbprotocol.session", "encryption is required")),
        ("the text 'authenticated as a guest'", _source_says("smbprotocol.session", "authenticated as a guest")),
        ("the text 'credits are available'", _source_says("smbprotocol.connection", "credits are available")),
        ("the text 'Failed to connect to'", _source_says("smbprotocol.transport", "Failed to connect to")),
        ("NtStatus.STATUS_* constants", lambda _: len(known_status_names()) > 50),
        (
            "SMB2WriteResponse 'count', SMB2ReadResponse 'buffer'",
            lambda _: "count" in SMB2WriteResponse().fields and "buffer" in SMB2ReadResponse().fields,
        ),
    ]


def missing_internals() -> list[str]:
    """What this module relies on that the installed smbprotocol lacks (empty when all is there)."""
    try:
        objects = _objects()
    except Exception as exc:  # the constructors themselves changed
        return [f"unconnected Connection/Session/TreeConnect/Open ({type(exc).__name__}: {exc})"]
    missing = []
    for what, present in _relied_on():
        try:
            ok = present(objects)
        except Exception as exc:  # a module or class that is gone
            ok, what = False, f"{what} ({type(exc).__name__}: {exc})"
        if not ok:
            missing.append(what)
    return missing
