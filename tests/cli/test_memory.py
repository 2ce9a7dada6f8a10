"""Memory stays bounded whatever the file size: a 1 GiB single file backed up and restored under 200 MiB RSS."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair

GIB = 1 << 30
LIMIT_MIB = 200

# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child of a large
# test process would report its parent's peak; VmHWM belongs to the address space exec created.
MEASURE = """
import runpy, sys
sys.argv = ["azsbackup", *sys.argv[1:]]
try:
    runpy.run_module("azsbackup", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")), file=sys.stderr)
"""


def peak_rss_mib(engine: Engine, *args: str, input: str = "") -> float:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, *args],
        input=input,
        capture_output=True,
        text=True,
        env=engine.env,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def write_big_file(path: Path, size: int) -> None:
    """Half compressible, half random, written in 8 MiB pieces (never held in memory whole)."""
    piece = 8 << 20
    with path.open("wb") as fh:
        for index in range(size // piece):
            text = (b"%08d compressible log line\n" % index) * (piece // 16)
            fh.write(os.urandom(piece) if index % 2 else text[:piece])


@pytest.mark.slow
def test_one_gib_file_backup_and_restore_stay_under_200_mib(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    source = tmp_path / "big"
    source.mkdir()
    write_big_file(source / "one.bin", GIB)
    configured.run("component", "add", "big", "--type", "directory", "--path", str(source))

    backup_rss = peak_rss_mib(configured, "--json", "backup", "start")
    backup_id = configured.run("backup", "list").json["backups"][-1]["id"]
    restore_rss = peak_rss_mib(
        configured,
        "--json",
        "restore",
        backup_id,
        "--key",
        str(cert_pair.pfx),
        "--key-password-stdin",
        "--to",
        str(tmp_path / "out"),
        input=cert_pair.password + "\n",
    )

    assert (tmp_path / "out" / "big" / "one.bin").stat().st_size == GIB
    assert backup_rss < LIMIT_MIB, f"backup peak RSS {backup_rss:.0f} MiB"
    assert restore_rss < LIMIT_MIB, f"restore peak RSS {restore_rss:.0f} MiB"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < 1024  # the test itself stayed small too
