"""Format 2's member rules: pax mtimes with their sign, links resolved through earlier links, unique names.

Each of these was wrong in format 1's writer or reader:

* a negative mtime with a fraction: -0.75 s was written ``mtime=-1.250000000`` (floor seconds plus a
  positive fraction), which GNU tar and Python's tarfile read as -1.25 s. The sign now covers the whole
  decimal; format 1 archives are still read the way they were written;
* links were checked by name only: after ``self -> .``, ``sneaky -> self/..`` (the parent of the root on
  disk) was written without a warning and restored. Targets are now resolved through earlier link members,
  and a member whose path runs through an earlier link, or a name used twice, is refused too: by the writer
  (the directory provider skips the link with a warning), by the reader and by restore.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azsbackup.archive.reader import ArchiveReader
from azsbackup.archive.tarstream import TarReader, header_bytes
from azsbackup.errors import UnsafeArchiveMember
from azsbackup.items import Item, ItemKind, MemberChecker, check_name
from azsbackup.providers.base import ProviderContext
from azsbackup.providers.directory import DirectoryProvider
from azsbackup.providers.fs import StagedTree
from tests.archive.helpers import BACKUP_ID, COMPONENT, build, hostile_tar, info, key_pair, read_all, seal_raw_tar

MINUS_THREE_QUARTERS = -750_000_000


def plain_tar(archive: bytes) -> bytes:
    """The decrypted tar stream of an archive, as a by-hand reader would get it."""
    reader = ArchiveReader(
        io.BytesIO(archive), key_pair().key, expected_backup_id=BACKUP_ID, expected_component=COMPONENT
    )
    reader.drain()  # authenticates every segment
    reader = ArchiveReader(
        io.BytesIO(archive), key_pair().key, expected_backup_id=BACKUP_ID, expected_component=COMPONENT
    )
    chunks = []
    while chunk := reader._plain.read(1 << 20):  # the tests' reach below the tar parser
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_negative_mtime_with_a_fraction_is_written_as_pax_says(tmp_path: Path) -> None:
    item = Item("old.txt", ItemKind.FILE, 0o644, MINUS_THREE_QUARTERS, 2)
    raw = plain_tar(build(iter([(item, b"hi")])))
    assert b" mtime=-0.750000000\n" in raw
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        assert tar.getmember("old.txt").mtime == -0.75  # Python's tarfile
    (tmp_path / "stream.tar").write_bytes(raw)
    out = tmp_path / "gnu-tar"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(tmp_path / "stream.tar"), "-C", str(out)], capture_output=True, check=True)
    assert (out / "old.txt").stat().st_mtime_ns == MINUS_THREE_QUARTERS  # GNU tar extracts -0.75 s
    (read,) = read_all(build(iter([(item, b"hi")])))
    assert read[0].mtime_ns == MINUS_THREE_QUARTERS


@pytest.mark.parametrize(
    ("record", "version", "nanoseconds"),
    [
        ("-0.750000000", 2, -750_000_000),
        ("-1.250000000", 2, -1_250_000_000),
        ("-1.250000000", 1, -750_000_000),  # what format 1 wrote for -0.75 s
        ("-2", 1, -2_000_000_000),
        ("1700000000.5", 2, 1_700_000_000_500_000_000),
    ],
)
def test_pax_mtime_records_are_read_by_version(record: str, version: int, nanoseconds: int) -> None:
    member = info("f")
    member.pax_headers = {"mtime": record}
    stream = io.BytesIO(hostile_tar((member, b"")))
    ((item, _),) = [(i, c.read() if c else None) for i, c in TarReader(stream, "t", version=version)]
    assert item.mtime_ns == nanoseconds


def link(name: str, target: str) -> Item:
    return Item(name, ItemKind.SYMLINK, 0o777, 0, link_target=target)


def file(name: str) -> Item:
    return Item(name, ItemKind.FILE, 0o644, 0, 1)


REFUSED = {
    "chain above the root": [link("self", "."), link("sneaky", "self/..")],
    "link redefined after a target ran through it": [link("a", "b/.."), link("b", ".")],
    "path through an earlier link": [link("l", "d"), file("l/x")],
    "duplicate name": [file("x"), file("x")],
    "link over a directory already used": [file("b/x"), link("b", "c")],
    "link that makes an earlier one lead out": [
        link("a", "d/b/../.."),
        Item("d", ItemKind.DIRECTORY),
        link("d/b", ".."),
    ],
    "deep chain above the root": [Item("d", ItemKind.DIRECTORY), link("d/up", ".."), link("u", "d/up/..")],
    # the second member of a directory takes the short way (its parents are known): links still see them
    "link over a directory with several members": [file("d/e/a"), file("d/e/b"), link("d", "x")],
    "path through a link beside known directories": [file("d/a"), file("d/b"), link("l", "d"), file("l/c")],
}
ALLOWED = {
    "link defined after a target ran through it": [link("a", "b/x/../.."), link("b", "c")],
    "chain inside": [link("a", "b"), link("b", "c"), file("c")],
    "link to a link's parent inside": [Item("d", ItemKind.DIRECTORY), link("d/up", ".."), link("d/x", "up/d")],
    "loop (harmless: the file system refuses it)": [link("x", "x")],
}


@pytest.mark.parametrize("members", REFUSED.values(), ids=REFUSED.keys())
def test_unsafe_member_sequences_are_refused_by_writer_reader_and_restore(members: list[Item], tmp_path: Path) -> None:
    contents = [(m, b"x" if m.kind is ItemKind.FILE else None) for m in members]
    with pytest.raises(UnsafeArchiveMember):  # the writer never stores them
        build(iter(contents))
    raw = hostile_tar(*[(info(m.name, _type(m), m.link_target), data or b"") for m, data in contents])
    with pytest.raises(UnsafeArchiveMember):  # the reader refuses a stream made by another tool
        read_all(seal_raw_tar(raw))
    with pytest.raises(UnsafeArchiveMember), StagedTree(tmp_path / "target") as tree:  # restore refuses as well
        for member, data in contents:
            tree.add(member, io.BytesIO(data) if data is not None else None)
    assert not (tmp_path / "target").exists()


def reference_name_check(name: str) -> bool:
    """The rule of format.md 3.2 spelled out part by part: what check_name must accept, and only that."""
    stripped = name.rstrip("/")
    parts = stripped.split("/")
    return not (
        not stripped
        or "\x00" in name
        or name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or any(p in ("", ".", "..") for p in parts)
        or len(stripped) > 4096
    )


@settings(max_examples=2000, deadline=None)
@given(st.text("ab./\\:\x00", max_size=12) | st.integers(4090, 4100).map(lambda n: ("ab/" * n)[:n]))
def test_check_name_accepts_exactly_the_safe_names(name: str) -> None:
    try:
        assert check_name(name, "t") == name.rstrip("/")
        accepted = True
    except UnsafeArchiveMember:
        accepted = False
    assert accepted == reference_name_check(name)


@pytest.mark.parametrize("members", ALLOWED.values(), ids=ALLOWED.keys())
def test_links_that_stay_inside_are_kept(members: list[Item]) -> None:
    checker = MemberChecker("t")
    for member in members:
        checker.check(member)
    contents = [(m, b"x" if m.kind is ItemKind.FILE else None) for m in members]
    assert [i.name for i, _ in read_all(build(iter(contents)))] == [m.name for m in members]


def _type(member: Item) -> bytes:
    return {ItemKind.FILE: tarfile.REGTYPE, ItemKind.DIRECTORY: tarfile.DIRTYPE, ItemKind.SYMLINK: tarfile.SYMTYPE}[
        member.kind
    ]


def test_the_directory_provider_skips_a_chained_link_with_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "self").symlink_to(".")
    (root / "sneaky").symlink_to("self/..")  # on disk: the parent of the root
    (root / "ok").symlink_to("self/self")
    ctx = ProviderContext("tree")
    items: list[Item] = []

    class Sink:
        def add(self, item: Item, content: object = None) -> None:
            items.append(item)

    DirectoryProvider.from_settings("tree", {"path": str(root)}).backup(Sink(), ctx)
    assert [i.name for i in items] == ["ok", "self"]  # "ok -> self/self" stays: it resolves to the root
    assert [(w.code, w.subject) for w in ctx.warnings] == [("link-outside", "sneaky")]
    assert os.path.realpath(root / "sneaky") == str(tmp_path)  # what the refused link really pointed at


def test_header_bytes_of_a_negative_time_keep_the_ustar_field_zero() -> None:
    block = header_bytes(Item("f", ItemKind.FILE, 0o644, MINUS_THREE_QUARTERS, 0))
    assert block[-512 + 136 : -512 + 148] == b"00000000000\x00"


def test_setuid_and_setgid_are_recorded_but_not_restored(tmp_path: Path) -> None:
    """The archive keeps all twelve mode bits; restore applies permissions and the sticky bit only."""
    members = [
        (Item("tool", ItemKind.FILE, 0o6755, 0, 1), b"x"),
        (Item("spool", ItemKind.DIRECTORY, 0o1777, 0), None),
    ]
    assert [(i.name, i.mode) for i, _ in read_all(build(iter(members)))] == [("tool", 0o6755), ("spool", 0o1777)]
    with StagedTree(tmp_path / "target") as tree:
        for item, data in members:
            tree.add(item, io.BytesIO(data) if data is not None else None)
    assert (tmp_path / "target" / "tool").stat().st_mode & 0o7777 == 0o755
    assert (tmp_path / "target" / "spool").stat().st_mode & 0o7777 == 0o1777


def test_restore_refuses_a_member_below_a_file(tmp_path: Path) -> None:
    """A name under an earlier file: the file is no directory this restore made, and nothing is published."""
    large = 1 << 20  # written on the calling thread, so it exists when the next member looks for its parent
    with (
        pytest.raises(UnsafeArchiveMember, match="a parent is not a directory"),
        StagedTree(tmp_path / "target") as tree,
    ):
        tree.add(Item("f", ItemKind.FILE, 0o644, 0, large), io.BytesIO(bytes(large)))
        tree.add(Item("f/x", ItemKind.FILE, 0o644, 0, 1), io.BytesIO(b"y"))
    assert not (tmp_path / "target").exists()
    assert not list(tmp_path.iterdir())  # the staging directory is gone too
