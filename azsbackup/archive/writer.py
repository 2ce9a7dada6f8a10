"""Writing a component archive: Items → pax tar stream → segments → zstd → AES-256-GCM.

The writer is an :class:`~azsbackup.items.ItemSink`. File content is
read straight into the current segment buffer (no intermediate copies); each
full segment is handed to a thread pool that compresses (zstandard releases
the GIL) and seals it, and one output thread writes sealed segments in order,
so the thread that reads the files never waits on the output (hashing and
writing it release the GIL, but getting it back behind busy workers costs a
switch interval per write). At most ``2 × workers`` segments are being sealed
and ``OUTPUT_QUEUE`` written, so memory stays bounded by a few segment sizes
whatever the size of the files.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

import zstandard
from cryptography import x509

from azsbackup import __version__
from azsbackup.archive.format import (
    CODEC_STORED,
    CODEC_ZSTD,
    DEFAULT_SEGMENT_SIZE,
    KEY_SIZE,
    LENGTH,
    NONCE_PREFIX_SIZE,
    SUITE,
    encode_header,
    encode_recipients,
    nonce,
)
from azsbackup.archive.tarstream import BLOCK, END_OF_ARCHIVE, header_bytes, padding
from azsbackup.crypto.envelope import SegmentCipher, wrap_key
from azsbackup.errors import ProviderError
from azsbackup.items import Item, ItemKind, MemberChecker, Readable
from azsbackup.model import iso, utc_now

OUTPUT_QUEUE = 4
"""Sealed segments waiting for the output thread."""
_ZERO_BLOCK = bytes(BLOCK)


class Writable(Protocol):
    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


@dataclass(frozen=True)
class ArchiveStats:
    raw_size: int
    """Bytes of the tar stream (what was compressed)."""
    stored_size: int
    """Bytes written to ``out``."""
    segments: int
    items: int


class _Sealer:
    """Compresses and seals one segment; one zstd compressor per worker thread."""

    def __init__(self, cipher: SegmentCipher, prefix: bytes, level: int) -> None:
        self._cipher = cipher
        self._prefix = prefix
        self._level = level
        self._local = threading.local()

    def __call__(self, counter: int, data: bytes | bytearray, last: bool) -> bytes:
        compressor = getattr(self._local, "compressor", None)
        if compressor is None:
            compressor = self._local.compressor = zstandard.ZstdCompressor(level=self._level)
        compressed = compressor.compress(data)
        payload = bytes((CODEC_ZSTD,)) + compressed if len(compressed) < len(data) else bytes((CODEC_STORED,)) + data
        sealed = self._cipher.seal(nonce(self._prefix, counter, last), payload)
        return LENGTH.pack(len(sealed)) + sealed


class ArchiveWriter:
    """An ItemSink writing one encrypted component archive to ``out``."""

    def __init__(
        self,
        out: Writable,
        *,
        backup_id: str,
        component: str,
        recipients: Sequence[x509.Certificate],
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        level: int = 3,
        workers: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """``progress`` is called with the bytes of file content taken so far, once per segment."""
        data_key = os.urandom(KEY_SIZE)
        prefix = os.urandom(NONCE_PREFIX_SIZE)
        header = encode_header(
            {
                "backup_id": backup_id,
                "component": component,
                "created": iso(utc_now()),
                "engine_version": __version__,
                "nonce_prefix": prefix.hex(),
                "segment_size": segment_size,
                "suite": SUITE,
            }
        )
        self._out = out
        self._component = component
        self._stored = 0
        self._output = ThreadPoolExecutor(1, thread_name_prefix="azsbackup-write")
        self._writes: deque[Future[int]] = deque()
        self._emit(header + encode_recipients([wrap_key(data_key, c) for c in recipients]))
        self._seal = _Sealer(SegmentCipher(data_key, hashlib.sha256(header).digest()), prefix, level)
        self._workers = workers or os.cpu_count() or 2
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="azsbackup-seal")
        self._pending: deque[Future[bytes]] = deque()
        self._segment_size = segment_size
        self._buffer = bytearray(segment_size)
        self._view = memoryview(self._buffer)
        self._fill = 0
        self._held: bytearray | None = None
        self._counter = 0
        self._raw = 0
        self._content = 0
        self._progress = progress or (lambda _n: None)
        self._items = 0
        self._closed = False
        self._members = MemberChecker(component)
        self.stats: ArchiveStats | None = None

    # --- ItemSink ---------------------------------------------------------------------------

    def add(self, item: Item, content: Readable | None = None) -> None:
        """Write one member; a member the format refuses raises UnsafeArchiveMember before any of it is written."""
        self._members.check(item)
        self._write(header_bytes(item))
        if item.kind is ItemKind.FILE:
            if content is None:
                raise ProviderError(component=self._component, detail=f"{item.name}: no content stream for a file")
            self._copy(content, item.size, item.name)
            if item.size % BLOCK:
                self._write(_ZERO_BLOCK[: padding(item.size)])
        self._items += 1

    # --- tar stream into segments --------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        end = self._fill + len(data)
        if end < self._segment_size:  # the usual case, a header or padding that fits: no view, no loop
            self._buffer[self._fill : end] = data
            self._fill = end
            self._raw += len(data)
            return
        view = memoryview(data)
        while view:
            take = min(len(view), self._segment_size - self._fill)
            self._view[self._fill : self._fill + take] = view[:take]
            self._fill += take
            self._raw += take
            view = view[take:]
            if self._fill == self._segment_size:
                self._segment_full()

    def _copy(self, content: Readable, size: int, name: str) -> None:
        """Read ``size`` bytes of ``content`` directly into the segment buffer."""
        left = size
        readinto = getattr(content, "readinto", None)
        while left:
            room = min(left, self._segment_size - self._fill)
            target = self._view[self._fill : self._fill + room]
            if readinto is not None:
                got = readinto(target)
            else:
                chunk = content.read(room)
                got = len(chunk)
                target[:got] = chunk
            if not got:
                raise ProviderError(
                    component=self._component, detail=f"{name}: ended {left} bytes short of its size {size}"
                )
            self._fill += got
            self._raw += got
            self._content += got
            left -= got
            if self._fill == self._segment_size:
                self._segment_full()

    def _segment_full(self) -> None:
        # A full segment is sealed only once more data follows: until then we do not know whether it is last.
        if self._held is not None:
            self._submit(self._held, last=False)
        self._held = self._buffer  # handed over whole; a fresh buffer is cheaper than copying this one
        self._buffer = bytearray(self._segment_size)
        self._view = memoryview(self._buffer)
        self._fill = 0
        self._progress(self._content)

    def _submit(self, data: bytes | bytearray, *, last: bool) -> None:
        self._pending.append(self._pool.submit(self._seal, self._counter, data, last))
        self._counter += 1
        while len(self._pending) > 2 * self._workers:
            self._emit(self._pending.popleft().result())

    def _emit(self, data: bytes) -> None:
        """Queue ``data`` for the output thread, in order; raise here what an earlier write raised."""
        self._writes.append(self._output.submit(self._out.write, data))
        self._stored += len(data)
        while len(self._writes) > OUTPUT_QUEUE or (self._writes and self._writes[0].done()):
            self._writes.popleft().result()

    # --- completion -----------------------------------------------------------------------------

    def close(self) -> ArchiveStats:
        """Write the end of the tar stream, seal the final segment, and wait for every write.

        If any of that fails, the archive is abandoned (:meth:`abort`) before
        the error is raised: no thread outlives a failed close.
        """
        if self.stats is not None:
            return self.stats
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise
        self._pool.shutdown()
        self._output.shutdown()
        self.stats = ArchiveStats(self._raw, self._stored, self._counter, self._items)
        return self.stats

    def _finish(self) -> None:
        self._write(END_OF_ARCHIVE)
        tail = bytes(self._view[: self._fill])
        if self._held is not None:
            if tail:
                self._submit(self._held, last=False)
                self._submit(tail, last=True)
            else:
                self._submit(self._held, last=True)
        else:
            self._submit(tail, last=True)
        while self._pending:
            self._emit(self._pending.popleft().result())
        while self._writes:
            self._writes.popleft().result()
        self._progress(self._content)

    def abort(self) -> None:
        """Abandon the archive: cancel what has not started, and wait for the threads to end."""
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._output.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        self._writes.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
