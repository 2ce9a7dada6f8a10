"""A writer whose output fails: ``close()`` raises the output's error, aborts and joins its threads."""

from __future__ import annotations

import io
import threading

import pytest

from azsbackup.archive.format import MIN_SEGMENT_SIZE
from azsbackup.archive.writer import ArchiveWriter
from azsbackup.items import Item, ItemKind
from tests.archive.helpers import BACKUP_ID, COMPONENT, key_pair

POOL_PREFIXES = ("azsbackup-seal", "azsbackup-write")


class FailingOutput:
    """Accepts writes until told to fail, then raises what a full disk raises."""

    def __init__(self) -> None:
        self.failing = False

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        if self.failing:
            raise OSError(28, "No space left on device")
        return len(data)


def writer_threads(before: set[threading.Thread]) -> list[str]:
    """The writer's pool threads alive now that were not before."""
    return sorted(t.name for t in set(threading.enumerate()) - before if t.name.startswith(POOL_PREFIXES))


def test_close_after_a_failed_write_raises_it_and_leaves_no_thread_running() -> None:
    before = set(threading.enumerate())
    output = FailingOutput()
    writer = ArchiveWriter(
        output, backup_id=BACKUP_ID, component=COMPONENT, recipients=[key_pair().cert], segment_size=MIN_SEGMENT_SIZE
    )
    data = bytes(range(256)) * (3 * MIN_SEGMENT_SIZE // 256)  # several segments in flight at close
    writer.add(Item("data.bin", ItemKind.FILE, 0o600, 0, len(data)), io.BytesIO(data))
    output.failing = True

    with pytest.raises(OSError, match="No space left"):
        writer.close()

    running = writer_threads(before)
    assert running == [], f"threads still running after a failed close(): {running}"
    assert writer.stats is None, "a failed archive must not report statistics"
