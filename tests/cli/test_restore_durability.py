"""A restore is on disk before it is published: the engine's own system calls, watched with strace.

The staged tree is flushed with one ``syncfs`` of its file system before the rename that gives it the
target's name, and the parent directory is fsynced after that rename. A power cut can then lose a
restore that was still staging, never one that was reported ``Restored``. Large files are handed to the
disk as they are written (``sync_file_range`` with ``SYNC_FILE_RANGE_WRITE``, every 32 MiB and their
tail), so that the ``syncfs`` finds little left to write.
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
from tests.fixtures.controllers import CertPair
from tests.trees import build_sample_tree

LARGE_MIB = 72


def test_the_staged_tree_is_synced_before_it_is_renamed_into_place(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: scripts/install-test-deps.sh installs it")
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    target = tmp_path / "restored"
    trace = tmp_path / "trace"
    argv = [sys.executable, "-m", "azsbackup", "--json", "restore", backup_id, "--key", str(cert_pair.pfx)]
    argv += ["--key-password-stdin", "--to", str(target)]
    proc = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=syncfs,rename,renameat,renameat2,fsync", "-o", str(trace), *argv],
        input=cert_pair.password + "\n",
        env=configured.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    calls = [line for line in trace.read_text().splitlines() if re.search(r"\b(syncfs|rename\w*|fsync)\(", line)]
    publish = next(i for i, line in enumerate(calls) if "azsbackup-restore-" in line and str(target / "tree") in line)
    assert any("syncfs(" in line for line in calls[:publish]), calls
    assert any("fsync(" in line for line in calls[publish + 1 :]), calls


def test_a_large_restored_file_is_handed_to_the_disk_in_steps_before_the_syncfs(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is missing: scripts/install-test-deps.sh installs it")
    source = tmp_path / "tree"
    source.mkdir()
    size = (LARGE_MIB << 20) + 12345  # a tail past the last whole step
    (source / "large.bin").write_bytes(os.urandom(size))
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    trace = tmp_path / "trace"
    argv = [sys.executable, "-m", "azsbackup", "--json", "restore", backup_id, "--key", str(cert_pair.pfx)]
    argv += ["--key-password-stdin", "--to", str(tmp_path / "restored")]
    proc = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=openat,sync_file_range,close,syncfs", "-o", str(trace), *argv],
        input=cert_pair.password + "\n",
        env=configured.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = trace.read_text().splitlines()
    opened = next(line for line in lines if re.search(r'openat\(.*azsbackup-restore-\w+/large\.bin", O_WRONLY', line))
    fd = re.search(r"= (\d+)$", opened).group(1)  # type: ignore[union-attr]
    start = lines.index(opened)
    closed = next(i for i in range(start, len(lines)) if re.search(rf"\bclose\({fd}\)", lines[i]))
    ranges = [
        (int(m.group(1)), int(m.group(2)))
        for line in lines[start:closed]
        if (m := re.search(rf"sync_file_range\({fd}, (\d+), (\d+), SYNC_FILE_RANGE_WRITE\)", line))
    ]
    assert len(ranges) >= 3, f"no writeback started while the file was written: {lines[start : closed + 1]}"
    assert ranges[0][0] == 0 and all(a + n == b for (a, n), (b, _) in itertools.pairwise(ranges)), ranges
    assert sum(n for _, n in ranges) == size, ranges
    syncfs = next(i for i, line in enumerate(lines) if "syncfs(" in line)
    assert syncfs > closed, "the tree was synced before the large file was written"
