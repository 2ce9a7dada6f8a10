"""A restore whose destination refuses a write: a clear error naming the target, nothing published.

The file size limit (``RLIMIT_FSIZE``) makes the kernel refuse a write past it with ``EFBIG``, as a full
disk refuses one with ``ENOSPC``: a real failure of a real write, in the thread that makes it. Large
files are written by the restore's writing thread, small ones by its creating threads; each path has
its own case.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair

KIB = 1 << 10


@pytest.mark.parametrize(
    ("sizes", "limit"),
    [
        pytest.param([3 << 20], 1 << 20, id="large-file"),
        pytest.param([250 * KIB] * 3, 200 * KIB, id="small-files"),
    ],
)
def test_a_refused_write_is_reported_against_the_target_and_nothing_is_published(
    configured: Engine, cert_pair: CertPair, tmp_path: Path, sizes: list[int], limit: int
) -> None:
    source = tmp_path / "tree"
    source.mkdir()
    for index, size in enumerate(sizes):
        (source / f"file{index}.bin").write_bytes(os.urandom(size))
    (source / "note.txt").write_text("fits under the limit\n")
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    backup_id = configured.run("backup", "start").json["id"]
    out = tmp_path / "out"

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = ["restore", backup_id, "--key", str(cert_pair.pfx), "--key-password-stdin", "--to", str(out)]
    restore = subprocess.run(
        [sys.executable, "-m", "azsbackup", "--json", *args],
        input=cert_pair.password + "\n",
        capture_output=True,
        text=True,
        env=configured.env,
        preexec_fn=limit_file_size,  # run in the child before exec: the engine starts under the limit
        timeout=120,
    )
    assert restore.returncode == 2, restore.stderr
    error = json.loads(restore.stdout)
    assert error["code"] == "output-not-writable", error
    assert error["message"] == f"cannot write {out / 'tree'}: file too large", error
    assert "Traceback" not in restore.stderr
    assert not (out / "tree").exists()
    assert [p.name for p in out.iterdir()] == [], "the staging directory must be removed"
    # The same restore without the limit succeeds: the failure was the destination's, not the backup's.
    configured.run(*args, input=cert_pair.password + "\n")
    assert sorted(p.name for p in (out / "tree").iterdir()) == sorted(p.name for p in source.iterdir())
