"""Building sample trees and comparing trees exactly (content, modes, mtimes, links, empty dirs)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

SAMPLE_MTIME_NS = 1_700_000_000_123_456_789


def build_sample_tree(root: Path) -> None:
    """A tree with everything the directory provider must keep."""
    (root / "etc" / "conf.d").mkdir(parents=True)
    (root / "empty-dir" / "nested-empty").mkdir(parents=True)
    (root / "etc" / "app.json").write_text('{"a": 1}\n')
    (root / "etc" / "conf.d" / "zürich-日本-ünïcödé.conf").write_text("region = zurich\n")
    (root / "etc" / "empty.conf").write_bytes(b"")
    (root / "bin").mkdir()
    (root / "bin" / "run.sh").write_text("#!/bin/sh\necho ok\n")
    (root / "bin" / "run.sh").chmod(0o750)
    (root / "secret.key").write_bytes(os.urandom(4096))
    (root / "secret.key").chmod(0o600)
    (root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    (root / "etc" / "current.json").symlink_to("app.json")
    (root / "link-to-dir").symlink_to("etc/conf.d")
    os.utime(root / "etc" / "app.json", ns=(SAMPLE_MTIME_NS, SAMPLE_MTIME_NS))
    os.utime(root / "etc" / "current.json", ns=(SAMPLE_MTIME_NS, SAMPLE_MTIME_NS + 1), follow_symlinks=False)


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under ``root`` (not following links) with what a restore must reproduce."""
    entries: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = ("link", os.readlink(path), st.st_mtime_ns)
            elif stat.S_ISDIR(st.st_mode):
                entries[rel] = ("dir", mode, st.st_mtime_ns)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[rel] = ("file", mode, st.st_mtime_ns, st.st_size, digest)
    return entries
