"""Deterministic benchmark dataset: the mix an infrastructure controller holds.

    python bench/dataset.py OUT_DIR --size-mib 1024 [--seed 1] [--profile mixed|small-files]

Profiles (proportions of the total size):

* ``mixed`` (the default): 30 % logs/text, 15 % JSON documents, 10 % a SQLite
  database, 25 % incompressible binary in a few large files, 10 %
  already-compressed files (zstd), 10 % many small files (about 10 000 for
  1 GiB) in nested directories;
* ``small-files``: 35 % in files of 1–16 KiB (about 43 000 for 1 GiB: configuration
  text, JSON and random bytes) three directories deep, 25 % logs/text, 10 % JSON,
  5 % SQLite, 15 % incompressible binary, 10 % already compressed: where the
  cost per file, not per byte, decides.

The same arguments always produce the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
from pathlib import Path

import zstandard

MIB = 1 << 20
WORDS = [
    "backup",
    "controller",
    "share",
    "export",
    "retention",
    "certificate",
    "thumbprint",
    "component",
    "provider",
    "segment",
    "manifest",
    "signature",
    "restore",
    "verify",
    "scheduler",
    "alert",
    "quota",
    "subscription",
    "tenant",
    "region",
    "node",
]


def text_lines(rng: random.Random, size: int) -> bytes:
    lines, total = [], 0
    while total < size:
        line = (
            f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
            f"{rng.randint(0, 59):02d}Z {rng.choice(['INFO', 'WARN', 'DEBUG'])} "
            f"{' '.join(rng.choices(WORDS, k=rng.randint(4, 12)))} id={rng.getrandbits(32):08x}\n"
        ).encode()
        lines.append(line)
        total += len(line)
    return b"".join(lines)[:size]


def json_doc(rng: random.Random, size: int) -> bytes:
    items, total = [], 0
    while total < size:
        item = {
            "id": rng.getrandbits(48),
            "name": rng.choice(WORDS),
            "quota": rng.randint(0, 1 << 20),
            "tags": rng.choices(WORDS, k=3),
            "enabled": rng.random() < 0.8,
        }
        items.append(item)
        total += 90
    return json.dumps(items, indent=1).encode()[:size]


def write_chunked(path: Path, size: int, make: object, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        left = size
        while left:
            piece = min(left, 8 * MIB)
            fh.write(make(rng, piece))  # type: ignore[operator]
            left -= piece


def random_bytes(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def compressed(rng: random.Random, size: int) -> bytes:
    data = zstandard.ZstdCompressor(level=3).compress(text_lines(rng, size * 4))
    return (data * (size // max(len(data), 1) + 1))[:size]


def sqlite_db(path: Path, size: int, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE quota (id INTEGER PRIMARY KEY, tenant TEXT, cores INTEGER, note TEXT)")
        rows = max(1, size // 200)
        db.executemany(
            "INSERT INTO quota (tenant, cores, note) VALUES (?, ?, ?)",
            ((f"tenant-{i}", rng.randint(0, 512), " ".join(rng.choices(WORDS, k=20))) for i in range(rows)),
        )
    db.close()


def generate(out: Path, size_mib: int, seed: int = 1, profile: str = "mixed") -> None:
    if profile not in PROFILES:
        raise ValueError(f"unknown dataset profile {profile!r}; known: {', '.join(PROFILES)}")
    PROFILES[profile](out, size_mib * MIB, random.Random(seed))


def _mixed(out: Path, total: int, rng: random.Random) -> None:
    write_chunked(out / "logs" / "controller.log", int(total * 0.30), text_lines, rng)
    write_chunked(out / "config" / "inventory.json", int(total * 0.15), json_doc, rng)
    sqlite_db(out / "db" / "quota.db", int(total * 0.10), rng)
    big = int(total * 0.25)
    for index in range(3):
        write_chunked(out / "images" / f"disk-{index}.bin", big // 3, random_bytes, rng)
    write_chunked(out / "archives" / "old-logs.zst", int(total * 0.10), compressed, rng)
    small_total = int(total * 0.10)
    count = max(10, small_total // 10240)
    for index in range(count):
        path = out / "small" / f"d{index % 37:02d}" / f"e{index % 11:02d}" / f"item-{index:06d}.conf"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = f"# item {index}\n" + "".join(f"{w} = {rng.randint(0, 999)}\n" for w in rng.choices(WORDS, k=600))
        path.write_bytes(body.encode()[: rng.randint(2000, 18000)])


SMALL_MIN = 1024
SMALL_MAX = 16 * 1024
SMALL_SHARE = 0.35
"""The small-files profile's share of the total size in files of SMALL_MIN..SMALL_MAX bytes."""


def small_file_count(total: int) -> int:
    """How many small files the small-files profile writes for ``total`` bytes (sizes average 8.5 KiB)."""
    return max(10, int(total * SMALL_SHARE) // ((SMALL_MIN + SMALL_MAX) // 2))


def _small_files(out: Path, total: int, rng: random.Random) -> None:
    write_chunked(out / "logs" / "controller.log", int(total * 0.25), text_lines, rng)
    write_chunked(out / "config" / "inventory.json", int(total * 0.10), json_doc, rng)
    sqlite_db(out / "db" / "quota.db", int(total * 0.05), rng)
    big = int(total * 0.15)
    for index in range(3):
        write_chunked(out / "images" / f"disk-{index}.bin", big // 3, random_bytes, rng)
    write_chunked(out / "archives" / "old-logs.zst", int(total * 0.10), compressed, rng)
    text = text_lines(rng, 4 * MIB)  # small files are slices of it (and of JSON, and random bytes)
    documents = json_doc(rng, 4 * MIB)
    made: set[Path] = set()
    for index in range(small_file_count(total)):
        folder = out / "small" / f"site{index % 7}" / f"role{index % 13:02d}" / f"node{index % 29:02d}"
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        size = rng.randint(SMALL_MIN, SMALL_MAX)
        kind = index % 10
        if kind < 6:
            start = rng.randrange(len(text) - size)
            name, body = f"item-{index:06d}.conf", text[start : start + size]
        elif kind < 9:
            start = rng.randrange(len(documents) - size)
            name, body = f"item-{index:06d}.json", documents[start : start + size]
        else:
            name, body = f"item-{index:06d}.bin", rng.randbytes(size)
        (folder / name).write_bytes(body)


PROFILES = {"mixed": _mixed, "small-files": _small_files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="mixed")
    args = parser.parse_args()
    generate(args.out, args.size_mib, args.seed, args.profile)


if __name__ == "__main__":
    main()
