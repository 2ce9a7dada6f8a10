"""File data on the share with several requests in flight.

smbclient's ``BufferedWriter``/``BufferedReader`` keep one request in flight.
:class:`SmbWriter` and :class:`PipelinedReader` build smbprotocol's READ and
WRITE requests without sending them, and keep :data:`IO_DEPTH` requests of
:data:`IO_CHUNK` bytes in flight, asking the server for the credits that
takes. Why these sizes: ``docs/performance.md`` ("SMB requests: size and
depth").
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Literal, Protocol, Self

from smbprotocol.exceptions import SMBConnectionClosed, SMBException, SMBResponseException

from azsbackup.errors import ChecksumMismatch, LocationError, LocationUnreachable
from azsbackup.storage.base import PARTIAL_MARKER, WriteResult
from azsbackup.storage.readahead import ReadAhead
from azsbackup.storage.smb import _compat
from azsbackup.storage.smb._compat import PAYLOAD_UNIT
from azsbackup.storage.smb.translate import END_OF_FILE, Missing

IO_CHUNK = 1 << 20
"""Bytes per SMB READ/WRITE request (capped by what the server negotiated)."""
IO_DEPTH = 4
"""Requests in flight per open file."""
FLUSH_EVERY = 16 << 20
"""Bytes written between the flushes sent while the file is still being written (:meth:`_WritePipe.flush_ahead`)."""

PRIME_SIZE = (8 << 20) + (64 << 10)
"""See :func:`prime_allocator`: above the largest request smbprotocol builds (8 MiB)."""


class Share(Protocol):
    """What the pipelined streams need of the location they belong to."""

    chunk_size: int
    depth: int
    timeout: float

    @property
    def display(self) -> str: ...

    def translating(
        self, action: str, path: str = "", *, missing: Missing = "invalid-path"
    ) -> AbstractContextManager[None]: ...

    def open_file(self, path: str, mode: str, share_access: str | None = None) -> Any: ...

    def makedirs(self, path: str) -> None: ...

    def replace(self, src: str, dst: str) -> None: ...

    def delete(self, path: str) -> None: ...


_allocator_primed = False


def prime_allocator() -> None:
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


class _Pipe:
    """Requests on one open file, up to ``depth`` in flight, answered in order.

    A request of ``n`` bytes costs ``ceil(n / 64 KiB)`` credits; each request
    asks the server for enough credits to keep ``depth`` requests of
    :attr:`chunk` bytes in flight. Until the window has grown, or while other
    streams hold credits, a request shrinks to what the credits pay for.
    """

    def __init__(self, share: Share, handle: Any, operation: Literal["read", "write"]) -> None:
        self.share = share
        self.handle = handle
        self.fd = _compat.open_of(handle)
        self.connection = self.fd.connection
        self.session_id, self.tree_id = _compat.ids_of(self.fd)
        self.pending: collections.deque[tuple[Any, int]] = collections.deque()
        limit = _compat.max_size(self.connection, operation)
        self.chunk = max(PAYLOAD_UNIT, min(share.chunk_size, limit))

    def fit(self, length: int) -> int:
        """How many of ``length`` bytes to request now; 0: wait for the oldest answer first."""
        if self.pending and len(self.pending) >= self.share.depth:
            return 0
        credits = _compat.credits(self.connection)
        if credits >= _compat.charge(self.connection, length):
            return length
        if self.pending:
            return 0
        return min(length, max(credits, 1) * PAYLOAD_UNIT)

    def send(self, message: Any, length: int) -> None:
        self.pending.append((self.send_now(message, length), length))

    def send_now(self, message: Any, length: int) -> Any:
        """Send one request as the credits allow; returns what :func:`_compat.receive` waits on."""
        charge = _compat.charge(self.connection, length)
        wanted = self.share.depth * _compat.charge(self.connection, self.chunk)
        deadline = time.monotonic() + self.share.timeout
        while True:
            # Credits run short only while other requests on the connection hold them (another stream's, or
            # the receiver's keepalive echo taking one between this check and the send).
            while _compat.credits(self.connection) < charge:
                if time.monotonic() > deadline:
                    raise SMBConnectionClosed("no SMB credits were granted in time")
                time.sleep(0.001)
            shortfall = max(0, wanted - (_compat.credits(self.connection) - charge))
            try:
                request = _compat.send(
                    self.connection, message, self.session_id, self.tree_id, min(charge + shortfall, 1024)
                )
            except SMBException as exc:
                if _compat.credit_shortage(exc) and time.monotonic() <= deadline:
                    continue
                raise
            return request

    def receive(self) -> tuple[Any, int]:
        """The oldest request's response header, and the length it asked for."""
        request, length = self.pending.popleft()
        return _compat.receive(self.connection, request, self.share.timeout), length

    def drain(self) -> None:
        """Collect the answers of requests still in flight, ignoring their errors (after a failure)."""
        while self.pending:
            with contextlib.suppress(Exception):
                self.receive()

    def close(self) -> None:
        self.drain()
        self.handle.close()


class _WritePipe(_Pipe):
    def __init__(self, share: Share, handle: Any) -> None:
        super().__init__(share, handle, "write")
        self.unflushed = 0
        self.flushing: Any = None

    def write(self, payload: bytes | memoryview, offset: int) -> None:
        while payload:
            n = self.fit(len(payload))
            if n == 0:
                self.complete_one()
                continue
            piece, payload = (payload, b"") if n == len(payload) else (payload[:n], payload[n:])
            self.send(_compat.write_request(self.fd, piece, offset), n)
            offset += n
            self.unflushed += n
            if self.unflushed >= FLUSH_EVERY:
                self.flush_ahead()

    def flush_ahead(self) -> None:
        """Have the server put what it has on disk while more arrives.

        The server answers a FLUSH once the file is on stable storage (Samba:
        ``strict sync``, on by default). Sent only at the end, it waits for
        every byte of the file to reach the disk after the last write. Sent
        every :data:`FLUSH_EVERY` bytes as well, the disk writes while the
        network does and the last flush finds at most that much. One flush is
        in flight at a time, outside the window of writes: a disk slower than
        the link holds the writer back here, which bounds what the last flush
        finds. These flushes only start the work early; the one that proves
        the file durable is still the last, sent once every write is answered
        (:meth:`finish`). Measured: ``docs/performance.md`` ("Export: the
        flush").
        """
        self.collect_flush()
        self.unflushed = 0
        self.flushing = self.send_now(_compat.flush_request(self.fd), 0)

    def collect_flush(self) -> None:
        """Wait for the flush in flight, if any; raises on its error as on a write's."""
        if self.flushing is not None:
            request, self.flushing = self.flushing, None
            _compat.receive(self.connection, request, self.share.timeout)

    def drain(self) -> None:
        super().drain()
        with contextlib.suppress(Exception):
            self.collect_flush()

    def complete_one(self) -> None:
        header, length = self.receive()
        written = _compat.written_count(header)
        if written != length:
            raise SMBException(f"short write: {written} of {length} bytes")

    def finish(self) -> None:
        """Wait for every write, have the server flush the file to stable storage, close it."""
        while self.pending:
            self.complete_one()
        self.collect_flush()
        self.fd.flush()
        self.handle.close()


class SmbWriter:
    """Writes ``<final>.partial-<random>`` with requests in flight, has the server flush it, renames it to
    ``<final>``; with ``read_back``, reads it back and compares its SHA-256 before the rename."""

    def __init__(
        self, location: Share, path: str, expected_sha256: str | None = None, *, read_back: bool = False
    ) -> None:
        self._location = location
        self._final = path
        directory = path.rpartition("/")[0]
        self._tmp = f"{path}{PARTIAL_MARKER}{secrets.token_hex(4)}"
        self._expected = expected_sha256
        self._digest = hashlib.sha256() if expected_sha256 is None else None
        self._read_back = read_back
        self._size = 0
        self._sent = 0
        self._buffer = bytearray()
        self._pipe: _WritePipe | None = None
        if directory:
            location.makedirs(directory)
        with location.translating("create", self._tmp):
            handle = location.open_file(self._tmp, "xb")
        self._pipe = _WritePipe(location, handle)
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
        if self._digest is not None:  # a known SHA-256 spares hashing on the critical path
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
            while len(view) >= self._chunk:  # a view, not a copy: the request is sealed before write returns
                self._send(pipe, view[: self._chunk])
                view = view[self._chunk :]
            self._buffer += view
        return count

    def _send(self, pipe: _WritePipe, payload: bytes | memoryview) -> None:
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
        """Finish the writes (with ``read_back``: read the file back, compare its SHA-256), rename it."""
        pipe = self._pipe
        if pipe is None:
            raise LocationError(location=self._location.display, detail="commit after commit or abort")
        with self._failing("write", self._final):
            if self._buffer:
                self._send(pipe, bytes(self._buffer))
                self._buffer.clear()
            pipe.finish()
            self._pipe = None
        written = self._expected or (self._digest.hexdigest() if self._digest is not None else "")
        if self._read_back:
            with self._failing("read back", self._tmp):
                size, digest = self._hash_back()
                if (size, digest) != (self._size, written):
                    raise ChecksumMismatch(
                        subject=f"{self._location.display}: {self._final}",
                        detail=f"read back {size} bytes with SHA-256 {digest}; wrote {self._size} bytes, {written}",
                    )
        with self._failing("rename", self._tmp):
            self._location.replace(self._tmp, self._final)
        return WriteResult(self._final, self._size, written)

    def _hash_back(self) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        reader = open_reader(self._location, self._tmp)
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


def open_reader(location: Share, path: str) -> PipelinedReader:
    """Open ``path`` on the share for a pipelined read."""
    with location.translating("open", path, missing="not-found"):
        handle = location.open_file(path, "rb", share_access="r")
    return PipelinedReader(location, handle, path)


class PipelinedReader(ReadAhead):
    """A file on the share, read ahead with several requests in flight."""

    def __init__(self, location: Share, handle: Any, path: str) -> None:
        self._location = location
        self._path = path
        self._pipe = _Pipe(location, handle, "read")
        self._chunk = self._pipe.chunk
        super().__init__(_compat.file_size(handle))

    def _drop_ahead(self) -> None:
        self._pipe.drain()

    def _next(self) -> memoryview:
        with self._location.translating("read", self._path):
            self._fill()
            if not self._pipe.pending:
                return memoryview(b"")
            try:
                header, length = self._pipe.receive()
                data = _compat.read_payload(header)
            except SMBResponseException as exc:
                if exc.status != END_OF_FILE:
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
            pipe.send(_compat.read_request(pipe.fd, self._requested, length), length)
            self._requested += length

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self._pipe.close()
        super().close()
