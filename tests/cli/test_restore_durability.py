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
from pathlib import Path

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.strace import first_call, opened_for_writing, traced_engine, writeback_ranges
from tests.trees import build_sample_tree

LARGE_MIB = 72


def restore_traced(engine: Engine, cert_pair: CertPair, trace: Path, calls: str, backup_id: str, to: Path) -> list[str]:
    args = ["restore", backup_id, "--key", str(cert_pair.pfx), "--key-password-stdin", "--to", str(to)]
    return traced_engine(engine, trace, calls, *args, input=cert_pair.password + "\n")


def test_the_staged_tree_is_synced_before_it_is_renamed_into_place(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    source = tmp_path / "tree"
    build_sample_tree(source)
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    target = tmp_path / "restored"
    lines = restore_traced(
        configured, cert_pair, tmp_path / "trace", "syncfs,rename,renameat,renameat2,fsync", backup_id, target
    )
    calls = [line for line in lines if re.search(r"\b(syncfs|rename\w*|fsync)\(", line)]
    publish = next(i for i, line in enumerate(calls) if "azsbackup-restore-" in line and str(target / "tree") in line)
    assert any("syncfs(" in line for line in calls[:publish]), calls
    assert any("fsync(" in line for line in calls[publish + 1 :]), calls


def test_a_large_restored_file_is_handed_to_the_disk_in_steps_before_the_syncfs(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    source = tmp_path / "tree"
    source.mkdir()
    size = (LARGE_MIB << 20) + 12345  # a tail past the last whole step
    (source / "large.bin").write_bytes(os.urandom(size))
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    lines = restore_traced(
        configured, cert_pair, tmp_path / "trace", "openat,sync_file_range,close,syncfs", backup_id, tmp_path / "out"
    )
    start, fd = opened_for_writing(lines, r"azsbackup-restore-\w+/large\.bin")
    closed = first_call(lines, rf"\bclose\({fd}\)", start)
    ranges = writeback_ranges(lines[start:closed], fd)
    assert len(ranges) >= 3, f"no writeback started while the file was written: {lines[start : closed + 1]}"
    assert ranges[0][0] == 0 and all(a + n == b for (a, n), (b, _) in itertools.pairwise(ranges)), ranges
    assert sum(n for _, n in ranges) == size, ranges
    assert first_call(lines, r"syncfs\(") > closed, "the tree was synced before the large file was written"
