"""Reading a component archive: segments → AES-256-GCM open → zstd → strict tar parser → Items.

The reader is an :class:`~azsbackup.items.ItemSource`. Raw segments
are read in order on the calling thread; opening and decompressing run in a
thread pool with a bounded read-ahead. Nothing is yielded from a segment
before it authenticated, every segment but the last must decode to exactly
the segment size, and no segment may decode to more (decompression bombs are
cut off at the segment size).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import zstandard
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.format import (
    CODEC_STORED,
    CODEC_ZSTD,
    LENGTH,
    MIN_SEALED_SIZE,
    ArchiveHeader,
    max_sealed_size,
    nonce,
    read_header,
)
from azsbackup.archive.tarstream import TarReader
from azsbackup.crypto.envelope import SegmentCipher, unwrap_key
from azsbackup.errors import ArchiveLimitExceeded, FormatError, IntegrityError
from azsbackup.items import Item, Readable

__all__ = ["ArchiveReader", "read_header"]


class _Opener:
    """Opens and decodes one sealed segment; one zstd decompressor per worker thread."""

    def __init__(self, cipher: SegmentCipher, header: ArchiveHeader, subject: str) -> None:
        self._cipher = cipher
        self._header = header
        self._subject = subject
        self._local = threading.local()

    def __call__(self, index: int, sealed: bytes, last: bool) -> bytes:
        payload = self._cipher.open(nonce(self._header.nonce_prefix, index, last), sealed, self._subject, index)
        codec, body = payload[0], memoryview(payload)[1:]
        size = self._header.segment_size
        if codec == CODEC_STORED:
            data = bytes(body)
        elif codec == CODEC_ZSTD:
            data = self._decompress(body, size)
        else:
            raise FormatError(subject=self._subject, detail=f"segment {index} has unknown codec {codec}")
        if len(data) > size or (not last and len(data) != size):
            raise FormatError(subject=self._subject, detail=f"segment {index} decodes to {len(data)} bytes")
        return data

    def _decompress(self, body: memoryview, limit: int) -> bytes:
        decompressor = getattr(self._local, "d", None)
        if decompressor is None:
            decompressor = self._local.d = zstandard.ZstdDecompressor()
        try:
            declared = zstandard.get_frame_parameters(body).content_size
            # The size is optional in a zstd frame header: without it, max_output_size alone bounds the output.
            if declared != zstandard.CONTENTSIZE_UNKNOWN and declared > limit:
                raise ArchiveLimitExceeded(subject=self._subject, detail="a segment expands beyond the segment size")
            return bytes(decompressor.decompress(body, max_output_size=limit))
        except zstandard.ZstdError as exc:
            raise ArchiveLimitExceeded(
                subject=self._subject, detail=f"a segment does not decompress within {limit} bytes ({exc})"
            ) from exc


class _PlainSegments:
    """The decrypted tar stream, read sequentially across segments."""

    def __init__(self, stream: Readable, header: ArchiveHeader, opener: _Opener, subject: str, workers: int) -> None:
        self._stream = stream
        self._limit = max_sealed_size(header.segment_size)
        self._subject = subject
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="azsbackup-open")
        self._opener = opener
        self._ahead = 2 * workers
        self._pending: deque[Future[bytes]] = deque()
        self._index = 0
        self._next_sealed = self._read_sealed()
        self._current = memoryview(b"")
        self._exhausted = False

    def _read_sealed(self) -> bytes | None:
        prefix = self._stream.read(LENGTH.size)
        if not prefix:
            return None
        if len(prefix) != LENGTH.size:
            raise FormatError(subject=self._subject, detail="the file ends inside a segment length")
        (length,) = LENGTH.unpack(prefix)
        if not MIN_SEALED_SIZE <= length <= self._limit:
            raise FormatError(subject=self._subject, detail=f"segment length {length} is impossible")
        sealed = self._stream.read(length)
        if len(sealed) != length:
            raise FormatError(subject=self._subject, detail="the file ends inside a segment")
        return sealed

    def _fill_pipeline(self) -> None:
        while self._next_sealed is not None and len(self._pending) < self._ahead:
            sealed = self._next_sealed
            self._next_sealed = self._read_sealed()
            last = self._next_sealed is None
            self._pending.append(self._pool.submit(self._opener, self._index, sealed, last))
            self._index += 1

    def _next_segment(self) -> bool:
        self._fill_pipeline()
        if not self._pending:
            if self._index == 0:
                raise FormatError(subject=self._subject, detail="the archive has no segments")
            self._exhausted = True
            return False
        self._current = memoryview(self._pending.popleft().result())
        return True

    def read(self, n: int) -> bytes:
        while not self._current:
            if self._exhausted or not self._next_segment():
                return b""
        data = bytes(self._current[:n])
        self._current = self._current[n:]
        return data

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)


class ArchiveReader:
    """Decrypts and parses one archive; iterate for ``(Item, content stream or None)``."""

    def __init__(
        self,
        stream: Readable,
        private_key: RSAPrivateKey,
        *,
        expected_backup_id: str,
        expected_component: str,
        subject: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.subject = subject or f"{expected_backup_id}/{expected_component}"
        self.header = read_header(stream, self.subject)
        if (self.header.backup_id, self.header.component) != (expected_backup_id, expected_component):
            raise IntegrityError(
                subject=self.subject,
                detail=f"the archive belongs to {self.header.backup_id}/{self.header.component}",
            )
        key = unwrap_key(self.header.recipients, private_key, self.subject)
        opener = _Opener(SegmentCipher(key, self.header.aad), self.header, self.subject)
        self._plain = _PlainSegments(stream, self.header, opener, self.subject, workers or os.cpu_count() or 2)

    def __iter__(self) -> Iterator[tuple[Item, Readable | None]]:
        try:
            yield from TarReader(self._plain, self.subject, version=self.header.version)
        finally:
            self._plain.close()

    def drain(self) -> int:
        """Read and authenticate everything, writing nothing; return the number of items."""
        count = 0
        for _item, content in self:
            count += 1
            if content is not None:
                while content.read(1 << 20):
                    pass
        return count
