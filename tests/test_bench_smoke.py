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
            "--startup-backups",
            "5",
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
        "cp -a && sync",
        "azsbackup export",
        "azsbackup export --read-back",
        "azsbackup read-back",
        "smbclient put",
        "smbclient put && sync",
        "smbclient get",
        "smbprotocol open_file copy",
        "azsbackup blob export",
        "azsbackup blob read-back",
        "BlobClient upload_blob",
        "BlobClient download_blob",
        "azsbackup --json config get",
        "azsbackup --json backup list",
        "azsbackup --json backup show ID",
        "azsbackup --json job list",
        "azsbackup --json alert list",
        "python -c pass",
    } <= names
    assert all(r["value"] is not None for r in doc["ratios"]), doc["ratios"]
    assert "| ratio | value | target |" in (tmp_path / "out" / "results.md").read_text()
    assert "backup list start-up vs python -c pass" in {r["name"] for r in doc["ratios"]}


def test_small_files_profile(tmp_path: Path) -> None:
    """At least a quarter of the bytes in files of 1-16 KiB, nested; 40 000 of them or more for 1 GiB."""
    sys.path.insert(0, str(ROOT))
    from bench.dataset import generate, small_file_count

    generate(tmp_path / "data", 8, profile="small-files")
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    sizes = {p: p.stat().st_size for p in files}
    small = {p: n for p, n in sizes.items() if 1024 <= n <= 16 * 1024}
    assert sum(small.values()) >= 0.25 * sum(sizes.values())
    assert min(len(p.relative_to(tmp_path / "data").parts) for p in small) >= 4  # small/site/role/node/file
    assert len({p.parent for p in small}) > 100
    assert small_file_count(1024 << 20) >= 40_000
    # The mixed profile, the default, is what it was: the small-files one is a second dataset, not a change.
    generate(tmp_path / "mixed", 1)
    assert sum(1 for p in (tmp_path / "mixed").rglob("*") if p.is_file()) == 7 + 10


def test_benchmark_smoke_of_two_profiles(tmp_path: Path) -> None:
    """One run covers both datasets: each profile gets its own measurements."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--size-mib",
            "2",
            "--runs",
            "1",
            "--no-install",
            "--only",
            "azsbackup,startup,tar",
            "--profile",
            "mixed,small-files",
            "--startup-backups",
            "3",
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
    small = doc["profiles"]["small-files"]
    assert {r["name"] for r in small["results"]} >= {"azsbackup backup", "azsbackup restore", "tar | zstd -T0 -3"}
    assert "python -c pass" not in {r["name"] for r in small["results"]}  # the start-up is measured once
    assert small["data_bytes"] != doc["profiles"]["mixed"]["data_bytes"] > 0
    assert "### Profile small-files" in (tmp_path / "out" / "results.md").read_text()


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
