"""The benchmark runs end to end on a tiny dataset, so it cannot rot (figures come from `bench/run.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_smoke(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--size-mib",
            "4",
            "--runs",
            "1",
            "--no-install",
            "--out",
            str(tmp_path / "out"),
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    names = {r["name"] for r in doc["results"]}
    assert {
        "azsbackup backup",
        "azsbackup restore",
        "restic backup",
        "borg create (lz4)",
        "tar | zstd -T0 -3",
        "cp -a",
        "azsbackup export",
        "azsbackup export --read-back",
        "azsbackup read-back",
        "smbclient put",
        "smbclient get",
        "smbprotocol open_file copy",
        "azsbackup blob export",
        "azsbackup blob read-back",
        "BlobClient upload_blob",
        "BlobClient download_blob",
    } <= names
    assert all(r["value"] is not None for r in doc["ratios"]), doc["ratios"]
    assert "| ratio | value | target |" in (tmp_path / "out" / "results.md").read_text()


@pytest.mark.slow
def test_fleet_benchmark_smoke(tmp_path: Path) -> None:
    """bench/fleet.py end to end on three controllers (the figures come from its 50-controller run)."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "fleet.py"),
            "--controllers",
            "3",
            "--throttles",
            "1,3",
            "--latency-ms",
            "50",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads((tmp_path / "fleet.json").read_text())
    seen = {(r["mode"], r["command"], r["throttle"]) for r in doc["results"]}
    assert seen == {(m, c, t) for m in ("engine", "latency") for c in ("backup list", "backup start") for t in (1, 3)}
    assert all(r["hosts_ok"] == 3 and r["console_cpu_s"] > 0 and r["peak_rss_mib"] > 0 for r in doc["results"])
    assert "| latency | backup list | 3 |" in (tmp_path / "fleet.md").read_text()
