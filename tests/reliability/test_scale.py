"""Scale: 100 000 small files in one component, a catalogue of 5 000 backups, a 4 GiB single file.

The properties are correctness and bounded memory at scale; the wall times are recorded as figures (in
``docs/reliability.md``), not asserted, because timing belongs to the benchmarks, not to pass/fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import random
import time
from pathlib import Path

import pytest

from azsbackup.archive.manifest import Manifest
from azsbackup.model import iso, new_backup_id
from azsbackup.service.catalog import read_manifest, write_manifest
from azsbackup.service.controller import Controller
from azsbackup.service.export import internal_plan
from tests.cli.test_memory import LIMIT_MIB, peak_rss_mib, write_big_file
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.reliability.figures import record, stopwatch

SMALL_FILES = 100_000
CATALOGUE = 5_000
BIG_FILE = 4 << 30


def restore_args(backup_id: str, cert_pair: CertPair, to: Path) -> list[str]:
    return ["--json", "restore", backup_id, "--key", str(cert_pair.pfx), "--key-password-stdin", "--to", str(to)]


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def tree_digest(root: Path) -> tuple[int, str]:
    """Number of files and one SHA-256 over every relative path and content, in sorted order."""
    digest, count = hashlib.sha256(), 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        count += 1
    return count, digest.hexdigest()


@pytest.mark.slow
def test_one_hundred_thousand_small_files(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    rng = random.Random(20261125)
    source = tmp_path / "many"
    for index in range(SMALL_FILES):
        directory = source / f"d{index % 100:02d}" / f"e{index % 37:02d}"
        if index < 100 * 37:
            directory.mkdir(parents=True, exist_ok=True)
        (directory / f"f{index:06d}.cfg").write_bytes(b"key=%d\n" % index + rng.randbytes(rng.randint(0, 200)))
    configured.run("component", "add", "many", "--type", "directory", "--path", str(source))

    with stopwatch() as backup_time:
        backup_rss = peak_rss_mib(configured, "--json", "backup", "start")
    backup_id = configured.run("backup", "list").json["backups"][-1]["id"]
    with stopwatch() as restore_time:
        restore_rss = peak_rss_mib(
            configured, *restore_args(backup_id, cert_pair, tmp_path / "out"), input=cert_pair.password + "\n"
        )

    assert tree_digest(tmp_path / "out" / "many") == tree_digest(source)
    assert backup_rss < LIMIT_MIB and restore_rss < LIMIT_MIB, (backup_rss, restore_rss)
    record(
        "scale/100k-files",
        f"{SMALL_FILES} files: backup {backup_time[0]:.1f} s ({SMALL_FILES / backup_time[0]:.0f} files/s, "
        f"{backup_rss:.0f} MiB RSS), restore {restore_time[0]:.1f} s ({restore_rss:.0f} MiB RSS), identical tree",
        files=SMALL_FILES,
        backup_s=round(backup_time[0], 2),
        restore_s=round(restore_time[0], 2),
        backup_rss_mib=round(backup_rss),
        restore_rss_mib=round(restore_rss),
    )


def clone_catalogue(controller: Controller, template_id: str, count: int) -> list[str]:
    """``count`` signed backups, one every two hours going back, sharing the template's archive files.

    The clones are real catalogue entries (signed manifests this controller trusts); their archives are
    hard links to the template's, whose headers name the template backup, so ``verify`` of a clone would
    report that. Listing, showing and retention planning, what this test measures, never open archives.
    """
    store = controller.home / "store"
    template, _signer = read_manifest(controller.store, template_id)
    newest = dt.datetime.now(dt.UTC)
    ids = []
    for index in range(count - 1, 0, -1):
        moment = newest - dt.timedelta(hours=2 * index)
        backup_id = new_backup_id(moment)
        (store / backup_id).mkdir()
        for component in template.components:
            if component.archive is not None:
                os.link(store / template_id / component.archive.file, store / backup_id / component.archive.file)
        clone: Manifest = dataclasses.replace(template, backup_id=backup_id, created=iso(moment) or "")
        write_manifest(controller.store, clone, controller.signing_key)
        ids.append(backup_id)
    return [*ids, template_id]


@pytest.mark.slow
def test_a_catalogue_of_five_thousand_backups(configured: Engine, tmp_path: Path) -> None:
    source = tmp_path / "small"
    source.mkdir()
    (source / "app.conf").write_text("x = 1\n")
    configured.run("component", "add", "small", "--type", "directory", "--path", str(source))
    template_id = configured.run("backup", "start").json["id"]
    controller = Controller(configured.home)
    ids = clone_catalogue(controller, template_id, CATALOGUE)

    timings = {}
    with stopwatch() as elapsed:
        listed = configured.run("backup", "list").json["backups"]
    timings["first list (reads 5 000 manifests)"] = elapsed[0]
    assert [b["id"] for b in listed] == sorted(ids)
    with stopwatch() as elapsed:
        configured.run("backup", "list")
    timings["list"] = elapsed[0]
    with stopwatch() as elapsed:
        shown = configured.run("backup", "show", ids[len(ids) // 2]).json
    timings["show"] = elapsed[0]
    assert shown["id"] == ids[len(ids) // 2]
    started = time.perf_counter()
    plan = internal_plan(controller, dt.datetime.now(dt.UTC))
    timings["retention planning (in-process)"] = time.perf_counter() - started
    kept_days = controller.config().retention_days
    assert len(plan.keep) == pytest.approx(kept_days * 12, abs=2) and len(plan.keep) + len(plan.delete) == CATALOGUE
    with stopwatch() as elapsed:
        configured.run("prune", "--dry-run")
    timings["prune --dry-run"] = elapsed[0]
    with stopwatch() as elapsed:
        configured.run("job", "list", "--limit", "50")
    timings["job list"] = elapsed[0]
    summary = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in timings.items())
    record(
        "scale/5000-backups",
        f"{CATALOGUE} backups: {summary}",
        backups=CATALOGUE,
        **{name: round(s, 3) for name, s in timings.items()},
    )


@pytest.mark.slow
def test_a_four_gib_file_in_bounded_memory(configured: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    source = tmp_path / "big"
    source.mkdir()
    write_big_file(source / "four.bin", BIG_FILE)
    configured.run("component", "add", "big", "--type", "directory", "--path", str(source))
    with stopwatch() as backup_time:
        backup_rss = peak_rss_mib(configured, "--json", "backup", "start")
    backup_id = configured.run("backup", "list").json["backups"][-1]["id"]
    expected = file_digest(source / "four.bin")
    (source / "four.bin").unlink()  # room on disk for the restored copy
    with stopwatch() as restore_time:
        restore_rss = peak_rss_mib(
            configured, *restore_args(backup_id, cert_pair, tmp_path / "out"), input=cert_pair.password + "\n"
        )
    restored = tmp_path / "out" / "big" / "four.bin"
    assert restored.stat().st_size == BIG_FILE and file_digest(restored) == expected
    assert backup_rss < LIMIT_MIB, f"backup peak RSS {backup_rss:.0f} MiB"
    assert restore_rss < LIMIT_MIB, f"restore peak RSS {restore_rss:.0f} MiB"
    record(
        "scale/4gib-file",
        f"4 GiB file: backup {backup_time[0]:.1f} s at {backup_rss:.0f} MiB peak RSS, "
        f"restore {restore_time[0]:.1f} s at {restore_rss:.0f} MiB (limit {LIMIT_MIB})",
        backup_rss_mib=round(backup_rss),
        restore_rss_mib=round(restore_rss),
        backup_s=round(backup_time[0], 1),
        restore_s=round(restore_time[0], 1),
    )
