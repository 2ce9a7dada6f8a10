"""The plaintext of an archive: a POSIX pax tar stream of Items.

Writing builds standard pax headers (so GNU tar or bsdtar read the decrypted
stream), exactly as :mod:`tarfile` would, with exact mtimes in a pax ``mtime``
record (``SEC.NNNNNNNNN``) and no user or group names.

Reading does not use :mod:`tarfile`: a backup may be hostile, so
:class:`TarReader` is a small strict parser that checks header checksums,
caps extended headers before reading them, accepts only regular files,
directories and symbolic links, and refuses any name or link target that
could lead outside the component (absolute, ``..``, drive letters, NUL).
"""

from __future__ import annotations

import functools
import tarfile
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from azsbackup.archive.format import FORMAT_VERSION
from azsbackup.errors import ArchiveLimitExceeded, FormatError, UnsafeArchiveMember
from azsbackup.items import Item, ItemKind, MemberChecker, Readable, check_name

BLOCK = 512
END_OF_ARCHIVE = bytes(2 * BLOCK)
_ZERO_BLOCK = bytes(BLOCK)
MAX_PAX_HEADER = 64 << 10
_KIND_TO_TYPE = {ItemKind.FILE: tarfile.REGTYPE, ItemKind.DIRECTORY: tarfile.DIRTYPE, ItemKind.SYMLINK: tarfile.SYMTYPE}
_TYPE_TO_KIND = {
    tarfile.REGTYPE: ItemKind.FILE,
    tarfile.AREGTYPE: ItemKind.FILE,
    tarfile.DIRTYPE: ItemKind.DIRECTORY,
    tarfile.SYMTYPE: ItemKind.SYMLINK,
}


class RawHeader(NamedTuple):
    """The fields of one ustar header block, before pax overrides (a tuple: one is built per header)."""

    name: bytes
    mode: int
    size: int
    mtime: int
    type: bytes
    linkname: bytes


def padding(size: int) -> int:
    return -size % BLOCK


def header_bytes(item: Item) -> bytes:
    """The tar header block(s) of ``item``: a pax extended header, then the ustar header.

    Byte for byte what ``tarfile.TarInfo.tobuf(PAX_FORMAT, "utf-8", "surrogateescape")``
    produces for these fields (``tests/archive/test_tar_headers.py`` holds it to
    that), built directly because tarfile's general code took a third of the
    backup thread's time on a tree of small files.
    """
    name = item.name + "/" if item.kind is ItemKind.DIRECTORY else item.name
    link = item.link_target
    seconds, nanos = divmod(abs(item.mtime_ns), 1_000_000_000)
    size = item.size if item.kind is ItemKind.FILE else 0
    mtime = f"{'-' if item.mtime_ns < 0 else ''}{seconds}.{nanos:09d}"  # the sign covers the whole decimal
    kind = _KIND_TO_TYPE[item.kind]
    mode = item.mode & 0o7777
    if (
        len(name) <= _USTAR_TEXT
        and len(link) <= _USTAR_TEXT
        and name.isascii()
        and link.isascii()
        and 0 <= size < _USTAR_NUMBER_LIMIT
        and item.mtime_ns >= 0
        and seconds < _USTAR_NUMBER_LIMIT
    ):  # the usual member: its only pax record is the exact mtime
        return _pax_mtime_block(mtime) + _ustar_block(name, mode, size, seconds, kind, link)
    pax = {"mtime": mtime}
    for keyword, value in (("path", name), ("linkpath", link)):
        if len(value) > _USTAR_TEXT or not value.isascii():
            pax[keyword] = value
    if not 0 <= size < _USTAR_NUMBER_LIMIT:
        pax["size"], size = str(size), 0
    if item.mtime_ns < 0 or seconds >= _USTAR_NUMBER_LIMIT:
        seconds = 0  # the pax mtime record carries it
    return _pax_block(pax) + _ustar_block(name, mode, size, seconds, kind, link)


_USTAR_TEXT = 100
_USTAR_NUMBER_LIMIT = 8**11
_ZERO_ID = b"0000000\x00"
_MAGIC_OWNER_AND_DEVICE = tarfile.POSIX_MAGIC + bytes(32 + 32 + 8 + 8 + 155 + 12)
"""The magic, then uname, gname, devmajor, devminor and prefix, all empty, and the block's padding."""
_CONSTANT_SUM = sum(tarfile.POSIX_MAGIC) + 8 * ord(" ")
"""What the magic and the checksum field (counted as 8 spaces) add to every block's checksum."""


def _ustar_block(name: str, mode: int, size: int, mtime: int, kind: bytes, link: str) -> bytes:
    name_field = name.encode("ascii", "replace")[:_USTAR_TEXT]
    link_field = link.encode("ascii", "replace")[:_USTAR_TEXT]
    numbers = b"%07o\x00%s%s%011o\x00%011o\x00" % (mode, _ZERO_ID, _ZERO_ID, size, mtime)
    # The checksum is the sum of the block's bytes: summed over the fields that vary, not over 512 bytes.
    checksum = _CONSTANT_SUM + sum(name_field) + sum(numbers) + kind[0] + sum(link_field)
    return b"".join(
        (
            name_field.ljust(_USTAR_TEXT, b"\x00"),
            numbers,
            b"%06o\x00 " % checksum,
            kind,
            link_field.ljust(_USTAR_TEXT, b"\x00"),
            _MAGIC_OWNER_AND_DEVICE,
        )
    )


def _pax_block(records: dict[str, str]) -> bytes:
    """A pax extended header (type ``x``) holding ``records``, padded to whole blocks."""
    binary = any(not _is_utf8(value) for value in records.values())
    body = b"21 hdrcharset=BINARY\n" if binary else b""
    for keyword, value in records.items():
        body += _pax_record(keyword, value.encode("utf-8", "surrogateescape" if binary else "strict"))
    return _pax_header(len(body)) + body + bytes(padding(len(body)))


def _pax_mtime_block(mtime: str) -> bytes:
    """:func:`_pax_block` of the one record ``mtime`` (ASCII digits): the common case, without the dict."""
    body = _pax_record("mtime", mtime.encode("ascii"))
    return _pax_header(len(body)) + body + bytes(padding(len(body)))


def _pax_record(keyword: str, encoded: bytes) -> bytes:
    length = len(keyword) + len(encoded) + 3  # space, '=' and newline
    total = previous = 0
    while (total := length + len(str(previous))) != previous:  # the length counts its own digits
        previous = total
    return b"%d %s=%s\n" % (total, keyword.encode("ascii"), encoded)


@functools.cache
def _pax_header(body_size: int) -> bytes:
    """The ustar block that announces a pax body of ``body_size`` bytes: the same for every member of that size."""
    return _ustar_block("././@PaxHeader", 0, body_size, 0, tarfile.XHDTYPE, "")


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a surrogate-escaped byte from a file name that is not UTF-8
        return False
    return True


class MemberReader:
    """The content of one file member: exactly ``size`` bytes."""

    def __init__(self, source: Readable, size: int, subject: str) -> None:
        self._source = source
        self.remaining = size
        self._subject = subject

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (may be fewer, like a raw stream); everything left when ``n`` is negative."""
        if n is None or n < 0:
            return b"".join(iter(lambda: self._read_some(self.remaining), b""))
        return self._read_some(min(n, self.remaining))

    def _read_some(self, want: int) -> bytes:
        if want == 0:
            return b""
        data = self._source.read(want)
        if not data:
            raise FormatError(subject=self._subject, detail="the tar stream ends inside a file")
        self.remaining -= len(data)
        return data

    def skip(self) -> None:
        while self.remaining:
            self.read(1 << 20)


class TarReader:
    """Iterates the Items of a pax/ustar stream, strictly."""

    def __init__(self, source: Readable, subject: str, *, version: int = FORMAT_VERSION) -> None:
        self._source = source
        self._subject = subject
        self._members = MemberChecker(subject)
        self._v1_mtime = version == 1

    def _block(self, required: bool = True) -> bytes:
        data = b""
        while len(data) < BLOCK:
            chunk = self._source.read(BLOCK - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) != BLOCK and (required or data):
            raise FormatError(subject=self._subject, detail="the tar stream ends inside a header")
        return data

    def _read(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            chunk = self._source.read(left)
            if not chunk:
                raise FormatError(subject=self._subject, detail="the tar stream ends inside a record")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def __iter__(self) -> Iterator[tuple[Item, Readable | None]]:
        pax: dict[str, str] = {}
        while True:
            block = self._block()
            if block == _ZERO_BLOCK:
                self._finish()
                return
            self._check_sum(block)
            if block[156:157] == tarfile.XHDTYPE:  # only its size matters: the records follow
                pax = self._read_pax(_octal(block[124:136], self._subject, "size"))
                continue
            item = self._item(self._parse_header(block), pax)
            pax = {}
            if item.kind is ItemKind.FILE:
                member = MemberReader(self._source, item.size, self._subject)
                yield item, member
                member.skip()
                self._read(padding(item.size))
            else:
                yield item, None

    def _finish(self) -> None:
        """After the first zero block: only zero bytes may follow (the second block and record padding)."""
        while chunk := self._source.read(1 << 16):
            if chunk.count(0) != len(chunk):
                raise FormatError(subject=self._subject, detail="data after the end of the tar stream")

    def _check_sum(self, block: bytes) -> None:
        checksum_field = block[148:156]
        stored = _octal(checksum_field, self._subject, "checksum")
        if stored != _byte_sum(block) - sum(checksum_field) + 8 * 0x20:  # the field itself counts as 8 spaces
            raise FormatError(subject=self._subject, detail="tar header checksum mismatch")

    def _parse_header(self, block: bytes) -> RawHeader:
        """The fields of a header block whose checksum was checked."""
        name = block[0:100].split(b"\0", 1)[0]
        prefix = block[345:500].split(b"\0", 1)[0] if block[257:262] == b"ustar" else b""
        return RawHeader(
            name=(prefix + b"/" + name) if prefix else name,
            mode=_octal(block[100:108], self._subject, "mode"),
            size=_octal(block[124:136], self._subject, "size"),
            mtime=_octal(block[136:148], self._subject, "mtime"),
            type=block[156:157] or tarfile.REGTYPE,
            linkname=block[157:257].split(b"\0", 1)[0],
        )

    def _read_pax(self, size: int) -> dict[str, str]:
        if size > MAX_PAX_HEADER:
            raise ArchiveLimitExceeded(subject=self._subject, detail=f"pax header of {size} bytes")
        data = self._read(size + padding(size))[:size]  # the records and their padding in one read
        records: dict[str, str] = {}
        pos = 0
        while pos < len(data):
            space = data.find(b" ", pos)
            length = int(data[pos:space]) if space > pos and data[pos:space].isdigit() else 0
            if length <= 0 or pos + length > len(data) or data[pos + length - 1 : pos + length] != b"\n":
                raise FormatError(subject=self._subject, detail="malformed pax header record")
            key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
            records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
            pos += length
        return records

    def _item(self, fields: RawHeader, pax: dict[str, str]) -> Item:
        raw_name = pax.get("path") or fields.name.decode("utf-8", "surrogateescape")
        kind = _TYPE_TO_KIND.get(fields.type)
        if kind is None:
            raise UnsafeArchiveMember(
                subject=self._subject, member=raw_name, detail=f"refused member type {fields.type!r}"
            )
        name = check_name(raw_name, self._subject)
        size = _pax_int(pax, "size", fields.size, self._subject)
        link = pax.get("linkpath") or fields.linkname.decode("utf-8", "surrogateescape")
        item = Item(
            name=name,
            kind=kind,
            mode=fields.mode & 0o7777,
            mtime_ns=_mtime_ns(pax.get("mtime"), fields.mtime, self._subject, v1=self._v1_mtime),
            size=size if kind is ItemKind.FILE else 0,
            link_target=link if kind is ItemKind.SYMLINK else "",
        )
        self._members.check(item)  # duplicates, paths through links, links leading above the root
        return item


def _byte_sum(block: bytes) -> int:
    """The sum of a 512-byte block's bytes, computed in C.

    Adler-32's low 16 bits are 1 plus the sum of the bytes modulo 65 521; the bytes of a 256-byte half
    sum to at most 65 280, so for each half that is the plain sum plus 1. (Summing in Python cost more
    than the rest of the header's parsing.)
    """
    view = memoryview(block)
    return (zlib.adler32(view[:256]) & 0xFFFF) + (zlib.adler32(view[256:]) & 0xFFFF) - 2


def _pax_int(pax: dict[str, str], key: str, default: int, subject: str) -> int:
    if key not in pax:
        return default
    if not pax[key].isdigit():
        raise FormatError(subject=subject, detail=f"bad pax {key}")
    return int(pax[key])


def _octal(field: bytes, subject: str, what: str) -> int:
    text = field.strip(b"\0 ")  # a NUL between digits stays, and int() refuses it
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise FormatError(subject=subject, detail=f"bad {what} field in a tar header") from exc


def _mtime_ns(pax_value: str | None, seconds: int, subject: str, *, v1: bool = False) -> int:
    """A pax ``mtime`` in nanoseconds: ``[-]SECONDS[.FRACTION]``, the sign covering the whole decimal.

    Format 1 wrote a negative time with a fraction as floor seconds plus a positive fraction (-0.75 s as
    ``-1.250000000``); archives of that version are read the way they were written.
    """
    if pax_value is None:
        return seconds * 1_000_000_000
    negative = pax_value.startswith("-")
    whole, _, frac = pax_value.removeprefix("-").partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()):
        raise FormatError(subject=subject, detail="bad pax mtime")
    nanos = int((frac + "000000000")[:9])
    if v1:
        return (-int(whole) if negative else int(whole)) * 1_000_000_000 + nanos
    magnitude = int(whole) * 1_000_000_000 + nanos
    return -magnitude if negative else magnitude
