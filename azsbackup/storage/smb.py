"""An SMB3 share as a location, on smbprotocol's ``smbclient``.

* The session requires SMB3 encryption unless the operator allowed
  unencrypted transport: smbprotocol then refuses a server that cannot
  encrypt, and we report :class:`~azsbackup.errors.EncryptionNotSupported`.
* Every call passes ``port=`` explicitly: smbclient otherwise looks for a
  session on 445.
* Files are opened with an 8 MiB buffer and written in 8 MiB pieces: with
  smbclient's default 64 KiB buffer each SMB WRITE carries 64 KiB and a
  loopback share with encryption manages about 100 MB/s; with 8 MiB (the
  largest write Samba negotiates) about 200-250 MB/s.
* Every smbprotocol failure is translated into the errors of
  :mod:`azsbackup.errors`, keeping the NTSTATUS in the message; the password
  never appears in any of them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import secrets
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any, BinaryIO, Self

import smbclient
import smbclient.shutil
from smbprotocol.exceptions import (
    AccessDenied as SmbAccessDenied,
)
from smbprotocol.exceptions import (
    BadNetworkName,
    DiskFull,
    LogonFailure,
    SMBAuthenticationError,
    SMBConnectionClosed,
    SMBException,
    SMBOSError,
    SMBResponseException,
)

from azsbackup.errors import (
    AccessDenied,
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
from azsbackup.storage.paths import Credentials, LocationSpec

IO_SIZE = 8 << 20
CONNECT_TIMEOUT_S = 15
STATUS_ACCESS_DENIED = 0xC0000022
STATUS_DISK_FULL = 0xC000007F
STATUS_LOGON_FAILURE = 0xC000006D
STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A
STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034
STATUS_BAD_NETWORK_NAME = 0xC00000CC
NOT_FOUND_STATUSES = {STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, 0xC0000225}


class SmbLocation:
    """A folder on an SMB share: ``\\\\server\\share\\path``."""

    def __init__(self, spec: LocationSpec, credentials: Credentials, *, allow_unencrypted: bool = False) -> None:
        self.spec = spec
        self._credentials = credentials
        self._encrypt = not allow_unencrypted
        self._server = spec.server.strip("[]")
        self._port = spec.port
        self._session: Any = None
        self._connect()

    # --- connection ------------------------------------------------------------------------

    @property
    def display(self) -> str:
        return self.spec.display

    def _connect(self) -> None:
        with self.translating_errors("connect"):
            self._session = smbclient.register_session(
                self._server,
                username=self._credentials.username or None,
                password=self._credentials.password or None,
                port=self._port,
                encrypt=self._encrypt,
                connection_timeout=CONNECT_TIMEOUT_S,
            )

    @property
    def dialect(self) -> str:
        """The negotiated SMB dialect, e.g. ``3.1.1``."""
        value = int(self._session.connection.dialect)
        return f"{value >> 8:x}.{(value >> 4) & 0xF:x}.{value & 0xF:x}".replace(".0.0", ".0")

    @property
    def encrypted(self) -> bool:
        return bool(self._session.encrypt_data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            smbclient.delete_session(self._server, port=self._port)

    def _unc(self, path: str = "") -> str:
        parts = [p for p in f"{self.spec.path}/{path}".split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise InvalidPath(location=self.display, detail=f"refused path {path!r}")
        return "\\".join([self.spec.unc_root, *parts])

    @contextlib.contextmanager
    def translating_errors(self, action: str, path: str = "") -> Iterator[None]:
        """Turn smbprotocol's exceptions into azsbackup's location errors."""
        try:
            yield
        except LocationError:
            raise
        except (SMBOSError, SMBResponseException, SMBException, OSError, ValueError) as exc:
            raise self._classify(exc, action, path) from exc

    def _classify(self, exc: BaseException, action: str, path: str) -> LocationError | NotFound:
        status = getattr(exc, "ntstatus", None) or getattr(exc, "status", None)
        where = f"{action} {path}".strip()
        detail = f"{where}: {type(exc).__name__}" + (f" (NTSTATUS 0x{status:08X})" if isinstance(status, int) else "")
        text = str(exc)
        if isinstance(exc, LogonFailure | SMBAuthenticationError) or status == STATUS_LOGON_FAILURE:
            return LocationAuthFailed(location=self.display, detail=detail)
        if isinstance(exc, DiskFull) or status == STATUS_DISK_FULL or getattr(exc, "errno", None) == errno.ENOSPC:
            return LocationFull(location=self.display, detail=detail)
        if isinstance(exc, SmbAccessDenied) or status == STATUS_ACCESS_DENIED:
            return AccessDenied(location=self.display, detail=detail)
        if isinstance(exc, BadNetworkName) or status == STATUS_BAD_NETWORK_NAME:
            return InvalidPath(location=self.display, detail=f"{detail}: the share does not exist")
        if "encryption is required" in text:
            return EncryptionNotSupported(location=self.display, detail="the server cannot encrypt SMB traffic")
        if status in NOT_FOUND_STATUSES or getattr(exc, "errno", None) == errno.ENOENT:
            if action in ("open", "stat"):
                return NotFound(kind="file", name=path, how="azsbackup backup list --external")
            return InvalidPath(location=self.display, detail=f"{detail}: no such file or folder")
        if isinstance(exc, SMBConnectionClosed | ConnectionResetError | BrokenPipeError | socket.timeout):
            return LocationConnectionLost(location=self.display, detail=detail, port=self._port)
        if isinstance(exc, ValueError | ConnectionError) or "Failed to connect" in text:
            return LocationUnreachable(location=self.display, detail=f"{where}: cannot connect", port=self._port)
        return LocationError(location=self.display, detail=detail)

    # --- the Location protocol ------------------------------------------------------------------

    def open_write(self, path: str) -> SmbWriter:
        return SmbWriter(self, path)

    def open_read(self, path: str) -> BinaryIO:
        with self.translating_errors("open", path):
            handle: BinaryIO = smbclient.open_file(self._unc(path), mode="rb", buffering=IO_SIZE, port=self._port)
        return _TranslatingReader(self, handle, path)  # type: ignore[return-value]

    def stat(self, path: str) -> Entry:
        with self.translating_errors("stat", path):
            st = smbclient.stat(self._unc(path), port=self._port)
        import stat as stat_module

        return Entry(path.rsplit("/", 1)[-1], stat_module.S_ISDIR(st.st_mode), st.st_size, st.st_mtime)

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except NotFound:
            return False
        except InvalidPath:
            return False
        return True

    def list(self, path: str = "") -> list[Entry]:
        try:
            with self.translating_errors("list", path):
                entries = [
                    Entry(e.name, e.is_dir(), e.smb_info.end_of_file, e.smb_info.last_write_time.timestamp())
                    for e in smbclient.scandir(self._unc(path), port=self._port)
                ]
        except (NotFound, InvalidPath):
            if path:
                return []
            raise
        return sorted(entries, key=lambda e: e.name)

    def makedirs(self, path: str) -> None:
        with self.translating_errors("mkdir", path):
            smbclient.makedirs(self._unc(path), exist_ok=True, port=self._port)

    def rename(self, src: str, dst: str) -> None:
        with self.translating_errors("rename", src):
            smbclient.rename(self._unc(src), self._unc(dst), port=self._port)

    def replace(self, src: str, dst: str) -> None:
        with self.translating_errors("rename", src):
            smbclient.replace(self._unc(src), self._unc(dst), port=self._port)

    def delete(self, path: str) -> None:
        with contextlib.suppress(NotFound, InvalidPath), self.translating_errors("delete", path):
            smbclient.remove(self._unc(path), port=self._port)

    def delete_tree(self, path: str) -> None:
        if not path.strip("/"):
            raise LocationError(location=self.display, detail="refusing to delete the location's root")
        with contextlib.suppress(NotFound, InvalidPath), self.translating_errors("delete", path):
            smbclient.shutil.rmtree(self._unc(path), port=self._port)

    def free_space(self) -> SpaceInfo:
        with self.translating_errors("stat volume"):
            info = smbclient.stat_volume(self._unc(), port=self._port)
        return SpaceInfo(total=int(info.total_size), free=int(info.caller_available_size))


class _TranslatingReader:
    """A readable share file whose failures are location errors."""

    def __init__(self, location: SmbLocation, handle: BinaryIO, path: str) -> None:
        self._location = location
        self._handle = handle
        self._path = path

    def read(self, n: int = -1) -> bytes:
        with self._location.translating_errors("read", self._path):
            return self._handle.read(n)

    def readinto(self, buffer: memoryview) -> int:
        with self._location.translating_errors("read", self._path):
            return int(self._handle.readinto(buffer))  # type: ignore[attr-defined]

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SmbWriter:
    """Writes ``<final>.partial-<random>``, reads it back, then renames it over ``<final>``."""

    def __init__(self, location: SmbLocation, path: str) -> None:
        self._location = location
        self._final = path
        directory, _, name = path.rpartition("/")
        self._tmp = (
            f"{directory}/{name}{PARTIAL_MARKER}{secrets.token_hex(4)}"
            if directory
            else f"{name}{PARTIAL_MARKER}{secrets.token_hex(4)}"
        )
        self._digest = hashlib.sha256()
        self._size = 0
        with location.translating_errors("create", self._tmp):
            if directory:
                location.makedirs(directory)
            self._fh: BinaryIO | None = smbclient.open_file(
                location._unc(self._tmp), mode="xb", buffering=IO_SIZE, port=location.spec.port
            )

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._fh is None:
            raise LocationError(location=self._location.display, detail="write after commit or abort")
        try:
            with self._location.translating_errors("write", self._final):
                self._fh.write(data)
        except LocationError:
            self.abort()
            raise
        self._digest.update(data)
        self._size += len(data)
        return len(data)

    def commit(self) -> WriteResult:
        if self._fh is None:
            raise LocationError(location=self._location.display, detail="commit after commit or abort")
        try:
            with self._location.translating_errors("write", self._final):
                self._fh.close()
                self._fh = None
            self._verify_read_back()
            self._location.replace(self._tmp, self._final)
        except BaseException:
            self.abort()
            raise
        return WriteResult(self._final, self._size, self._digest.hexdigest())

    def _verify_read_back(self) -> None:
        digest, size = hashlib.sha256(), 0
        with self._location.open_read(self._tmp) as back:
            while chunk := back.read(IO_SIZE):
                digest.update(chunk)
                size += len(chunk)
        if (size, digest.hexdigest()) != (self._size, self._digest.hexdigest()):
            raise ChecksumMismatch(subject=f"{self._location.display}/{self._final}", detail="read-back differs")

    def abort(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(Exception):
                self._fh.close()
            self._fh = None
        with contextlib.suppress(Exception):
            self._location.delete(self._tmp)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fh is not None:
            self.abort()
