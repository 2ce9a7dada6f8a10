"""The engine's own system calls, watched with strace: what the durability and writeback tests read."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine import Engine


def traced_engine(engine: Engine, trace: Path, calls: str, *args: str, input: str | None = None) -> list[str]:
    """Run ``python -m azsbackup --json ARGS`` under ``strace -f -e trace=CALLS`` into ``trace``; its lines."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: scripts/install-test-deps.sh installs it")
    argv = [sys.executable, "-m", "azsbackup", "--json", *args]
    proc = subprocess.run(
        [strace, "-f", "-qq", "-e", f"trace={calls}", "-o", str(trace), *argv],
        input=input,
        env=engine.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return trace.read_text().splitlines()


def opened_for_writing(lines: list[str], path_pattern: str) -> tuple[int, str]:
    """The line index of the ``openat`` for writing of a path matching ``path_pattern``, and its descriptor."""
    index = next(i for i, line in enumerate(lines) if re.search(rf'openat\(.*{path_pattern}", O_WRONLY', line))
    return index, re.search(r"= (\d+)$", lines[index]).group(1)  # type: ignore[union-attr]


def first_call(lines: list[str], pattern: str, start: int = 0) -> int:
    """The index of the first line from ``start`` that matches ``pattern``."""
    return next(i for i in range(start, len(lines)) if re.search(pattern, lines[i]))


def writeback_ranges(lines: list[str], fd: str) -> list[tuple[int, int]]:
    """``(offset, length)`` of each ``sync_file_range(fd, …, SYNC_FILE_RANGE_WRITE)`` in ``lines``."""
    return [
        (int(m.group(1)), int(m.group(2)))
        for line in lines
        if (m := re.search(rf"sync_file_range\({fd}, (\d+), (\d+), SYNC_FILE_RANGE_WRITE\)", line))
    ]
