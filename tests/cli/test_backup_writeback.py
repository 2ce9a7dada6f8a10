"""An archive's bytes go to the disk while it is written, not all at its final fsync: the engine's system calls,
watched with strace.

Every 32 MiB written, the internal store asks the kernel to start writing that range back
(``sync_file_range`` with ``SYNC_FILE_RANGE_WRITE``, which does not wait); the fsync before the rename still
makes the archive durable, and finds little left to write.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine import Engine

ARCHIVE_MIB = 80


def test_the_archive_is_handed_to_the_disk_in_steps_before_its_fsync(configured: Engine, tmp_path: Path) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: scripts/install-test-deps.sh installs it")
    source = tmp_path / "tree"
    source.mkdir()
    (source / "random.bin").write_bytes(os.urandom(ARCHIVE_MIB << 20))  # incompressible: the archive is as large
    configured.run("component", "add", "data", "--type", "directory", "--path", str(source))
    trace = tmp_path / "trace"
    argv = [sys.executable, "-m", "azsbackup", "--json", "backup", "start"]
    proc = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=openat,sync_file_range,fsync,rename,renameat,renameat2",
            "-o",
            str(trace),
            *argv,
        ],
        env=configured.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = trace.read_text().splitlines()
    opened = next(line for line in lines if re.search(r'openat\(.*/data\.azsb\.partial-\w+", O_WRONLY', line))
    fd = re.search(r"= (\d+)$", opened).group(1)  # type: ignore[union-attr]
    start = lines.index(opened)
    fsync = next(i for i in range(start, len(lines)) if re.search(rf"\bfsync\({fd}\)", lines[i]))
    ranges = [
        (int(m.group(1)), int(m.group(2)))
        for line in lines[start:fsync]
        if (m := re.search(rf"sync_file_range\({fd}, (\d+), (\d+), SYNC_FILE_RANGE_WRITE\)", line))
    ]
    assert len(ranges) >= 2, f"no writeback started before the fsync: {lines[start : fsync + 1]}"
    assert ranges[0][0] == 0 and all(a + n == b for (a, n), (b, _) in itertools.pairwise(ranges)), ranges
    assert sum(n for _, n in ranges) >= (ARCHIVE_MIB - 32) << 20, ranges
    renamed = next(i for i in range(fsync, len(lines)) if re.search(r"rename\w*\(.*data\.azsb\.partial-", lines[i]))
    assert renamed > fsync, "the archive was renamed before its fsync"
