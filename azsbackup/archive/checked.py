"""An archive's bytes read against the size and SHA-256 its signed manifest names.

Verify and restore read each archive once: :class:`HashingStream` hashes the
bytes on their way to the decrypting reader, and :func:`attributing_damage`
names the cause when a damaged archive fails to decrypt or parse.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator

from azsbackup.archive.manifest import ArchiveRef
from azsbackup.errors import ChecksumMismatch, IntegrityError
from azsbackup.items import Readable


class HashingStream:
    """Reads through to ``raw`` while hashing; :meth:`finish` drains the rest and checks size and SHA-256.

    ``progress`` is told the bytes read so far after every read.
    """

    def __init__(
        self, raw: Readable, expected: ArchiveRef, subject: str, progress: Callable[[int], None] | None = None
    ) -> None:
        self._raw = raw
        self._expected = expected
        self._subject = subject
        self._digest = hashlib.sha256()
        self._size = 0
        self._progress = progress or (lambda _n: None)

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._digest.update(data)
        self._size += len(data)
        self._progress(self._size)
        if self._size > self._expected.size:
            raise ChecksumMismatch(subject=self._subject, detail="the archive is longer than the manifest says")
        return data

    def finish(self) -> None:
        while self.read(8 << 20):
            pass
        if self._size != self._expected.size or self._digest.hexdigest() != self._expected.sha256:
            raise ChecksumMismatch(
                subject=self._subject,
                detail=f"size/SHA-256 differ from the signed manifest ({self._size} bytes read, "
                f"{self._expected.size} expected)",
            )


@contextlib.contextmanager
def attributing_damage(stream: HashingStream) -> Iterator[None]:
    """If reading fails on damaged data, blame the bytes when they differ from the signed manifest.

    Decryption or parsing may trip over damage before the whole file was
    hashed; finishing the hash then turns "MAC mismatch in segment 7" into the
    root cause, "this file is not the one the manifest signed".
    """
    try:
        yield
    except IntegrityError:
        stream.finish()
        raise
