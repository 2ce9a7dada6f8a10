"""A full disk under the controller is an error the operator can act on, and costs nothing recorded.

The controller directory lives on a 4 MiB tmpfs mounted for the test (root only, as CI runs; unmounted
at the end). Once a filler file takes the last byte, SQLite cannot write its write-ahead log or grow its
shared-memory index: every command that opens the state database must end with ``state-unavailable``
(exit 2, a hint naming the directory, no traceback), not ``unknown-error``. With space back, the next
command works and what was recorded before is all there.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine import Engine


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "azsbackup-test-full", str(mount_point)],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"could not mount a tmpfs for the controller (the test needs root): {exc}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while out.write(bytes(4096)):
                pass
        except OSError:  # ENOSPC: the disk is full
            pass
    return filler


def test_a_full_disk_under_the_controller_is_state_unavailable(small_disk: Path) -> None:
    engine = Engine(small_disk / "home")
    engine.run("component", "add", "etc", "--type", "directory", "--path", "/etc")
    filler = fill(small_disk)
    assert os.statvfs(small_disk).f_bavail == 0

    for command in (("backup", "list"), ("component", "add", "var", "--type", "directory", "--path", "/var")):
        result = engine.run(*command, expect=2)
        error = result.json
        assert error["code"] == "state-unavailable", str(result)
        assert str(engine.home) in error["message"] and "df -h" in error["hint"]
        assert "Traceback" not in result.stderr

    filler.unlink()
    engine.run("component", "add", "var", "--type", "directory", "--path", "/var")
    names = {c["name"] for c in engine.run("component", "list").json["components"]}
    assert names == {"etc", "var"}
