"""A restore is on disk before it is published: the engine's own system calls, watched with strace.

The staged tree is flushed with one ``syncfs`` of its file system before the rename that gives it the
target's name, and the parent directory is fsynced after that rename. A power cut can then lose a
restore that was still staging, never one that was reported ``Restored``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.trees import build_sample_tree


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
