"""A file read in pieces that are fetched ahead of the reader (an SMB share's requests in flight, a blob's
ranges on a thread pool): position, seek and the copying out of the current piece, written once."""

from __future__ import annotations

import io
from typing import Any


class ReadAhead(io.RawIOBase):
    """A seekable raw stream over pieces that arrive in order.

    A subclass fetches: :meth:`_next` returns the piece at ``_requested``'s
    order (empty at the end) and keeps requests going, :meth:`_drop_ahead`
    forgets what was fetched ahead when a seek leaves it behind. ``_size`` is
    the file's size, ``_requested`` the offset of the next piece to ask for.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size
        self._requested = 0  # offset of the next piece to ask for
        self._position = 0  # offset of the next byte handed out
        self._current = memoryview(b"")

    def _next(self) -> memoryview:
        raise NotImplementedError

    def _drop_ahead(self) -> None:
        raise NotImplementedError

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
            self._drop_ahead()
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
