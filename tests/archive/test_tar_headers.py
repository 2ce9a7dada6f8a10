"""The tar header builder writes exactly what :mod:`tarfile` writes for the same member."""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from azsbackup.archive.tarstream import _KIND_TO_TYPE, END_OF_ARCHIVE, TarReader, _byte_sum, header_bytes, padding
from azsbackup.errors import FormatError
from azsbackup.items import Item, ItemKind

# File names as os.fsdecode gives them: any text, or undecodable bytes as surrogate escapes
names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"), min_size=1, max_size=30),
    st.text("abc/", min_size=90, max_size=300).filter(lambda n: n.strip("/") and "//" not in n),
    st.binary(min_size=1, max_size=20).map(lambda b: b.replace(b"\x00", b"x").decode("utf-8", "surrogateescape")),
)


@st.composite
def items(draw: st.DrawFn) -> Item:
    kind = draw(st.sampled_from(list(ItemKind)))
    return Item(
        draw(names).strip("/") or "x",
        kind,
        draw(st.integers(0, 0o177777)),
        draw(st.one_of(st.integers(0, 2**34 * 10**9), st.integers(-(10**18), 10**20))),
        draw(st.one_of(st.integers(0, 2**33), st.integers(8**11 - 2, 8**13))) if kind is ItemKind.FILE else 0,
        link_target=draw(names) if kind is ItemKind.SYMLINK else "",
    )


def with_tarfile(item: Item) -> bytes:
    info = tarfile.TarInfo(item.name + ("/" if item.kind is ItemKind.DIRECTORY else ""))
    info.type = _KIND_TO_TYPE[item.kind]
    info.mode = item.mode & 0o7777
    info.mtime = item.mtime_ns // 1_000_000_000
    info.size = item.size if item.kind is ItemKind.FILE else 0
    info.linkname = item.link_target
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    whole, fraction = divmod(abs(item.mtime_ns), 1_000_000_000)  # pax: the sign covers the whole decimal
    info.pax_headers = {"mtime": f"{'-' if item.mtime_ns < 0 else ''}{whole}.{fraction:09d}"}
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


@settings(max_examples=1500, deadline=None)
@given(items())
@example(Item("etc/app/a.conf", ItemKind.FILE, 0o644, 1_733_570_000_123_456_789, 4321))  # the usual members
@example(Item("etc/app", ItemKind.DIRECTORY, 0o755, 1_733_570_000_000_000_000))
@example(Item("etc/app/current", ItemKind.SYMLINK, 0o777, 0, link_target="a.conf"))
@example(Item("x" * 100, ItemKind.FILE, 0o600, 8**11 * 10**9 - 1, 8**11 - 1))  # at the ustar limits
@example(Item("x" * 101, ItemKind.FILE, 0o600, 8**11 * 10**9, 8**11))  # just past them
def test_headers_are_byte_identical_to_tarfile(item: Item) -> None:
    assert header_bytes(item) == with_tarfile(item)


@given(st.binary(min_size=512, max_size=512))
@example(b"\xff" * 512)  # each half at its largest sum, still below Adler-32's modulus
@example(bytes(512))
def test_the_header_sum_in_c_is_the_plain_sum(block: bytes) -> None:
    assert _byte_sum(block) == sum(block)


@pytest.mark.parametrize("position", range(512))
def test_any_changed_header_byte_is_refused(position: int) -> None:
    """Every byte of the ustar block counts: its checksum (or its checksum field) refuses any change."""
    item = Item("dir/name.txt", ItemKind.FILE, 0o644, 1_700_000_000_123_456_789, 3)
    tar = bytearray(header_bytes(item) + b"abc" + bytes(padding(3)) + END_OF_ARCHIVE)
    assert [i.name for i, _ in TarReader(io.BytesIO(bytes(tar)), "s")] == ["dir/name.txt"]
    tar[1024 + position] ^= 0x80  # the ustar block follows the pax header and its records
    with pytest.raises(FormatError):
        list(TarReader(io.BytesIO(bytes(tar)), "s"))
