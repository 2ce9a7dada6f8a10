"""An archive's bytes go to the disk while it is written, not all at its final fsync: the engine's system calls,
watched with strace.

Every 32 MiB written, the internal store asks the kernel to start writing that range back
(``sync_file_range`` with ``SYNC_FILE_RANGE_WRITE``, which does not wait); the fsync before the rename still
makes the archive durable, and finds little left to write.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from tests.engine import Engine
from tests.strace import first_call, opened_for_writing, traced_engine, writeback_ranges

ARCHIVE_MIB = 80


def test_the_archive_is_handed_to_the_disk_in_steps_before_its_fsync(configured: Engine, tmp_path: Path) -> None:
    source = tmp_path / "tree"
    source.mkdir()
    (source / "random.bin").write_bytes(os.urandom(ARCHIVE_MIB << 20))  # incompressible: the archive is as large
    configured.run("component", "add", "data", "--type", "directory", "--path", str(source))
    calls = "openat,sync_file_range,fsync,rename,renameat,renameat2"
    lines = traced_engine(configured, tmp_path / "trace", calls, "backup", "start")
    start, fd = opened_for_writing(lines, r"/data\.azsb\.partial-\w+")
    fsync = first_call(lines, rf"\bfsync\({fd}\)", start)
    ranges = writeback_ranges(lines[start:fsync], fd)
    assert len(ranges) >= 2, f"no writeback started before the fsync: {lines[start : fsync + 1]}"
    assert ranges[0][0] == 0 and all(a + n == b for (a, n), (b, _) in itertools.pairwise(ranges)), ranges
    assert sum(n for _, n in ranges) >= (ARCHIVE_MIB - 32) << 20, ranges
    renamed = first_call(lines, r"rename\w*\(.*data\.azsb\.partial-", fsync)
    assert renamed > fsync, "the archive was renamed before its fsync"
