"""Building archives in memory for format tests: real certificates, real encryption."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.format import MIN_SEGMENT_SIZE, read_header
from azsbackup.archive.reader import ArchiveReader
from azsbackup.archive.writer import ArchiveWriter
from azsbackup.crypto.certs import new_self_signed
from azsbackup.items import Item, ItemKind

BACKUP_ID = "20261124T101010Z-0badc0de"
COMPONENT = "tree"
SEGMENT = MIN_SEGMENT_SIZE


@dataclass(frozen=True)
class KeyPair:
    key: RSAPrivateKey
    cert: x509.Certificate


@cache
def key_pair(name: str = "primary") -> KeyPair:
    key, cert = new_self_signed(name, days=30, key_size=2048)
    return KeyPair(key, cert)


def sample_items() -> Iterator[tuple[Item, bytes | None]]:
    yield Item("etc", ItemKind.DIRECTORY, 0o755, 1_700_000_000_000_000_001), None
    yield Item("etc/app.json", ItemKind.FILE, 0o640, 1_700_000_000_123_456_789, 9), b'{"a": 1}\n'
    yield Item("etc/zürich-日本.conf", ItemKind.FILE, 0o600, 1_600_000_000_000_000_000, 6), b"x = 1\n"
    yield Item("etc/empty", ItemKind.FILE, 0o644, 1_600_000_000_000_000_000, 0), b""
    yield Item("raw-\udcff-name", ItemKind.FILE, 0o644, 1_600_000_000_000_000_000, 3), b"abc"
    yield Item("etc/current.json", ItemKind.SYMLINK, 0o777, 1_600_000_000_000_000_007, link_target="app.json"), None
    yield Item("empty-dir", ItemKind.DIRECTORY, 0o700, 1_650_000_000_000_000_000), None
    big = bytes(range(256)) * 1024 + b"tail"  # spans several 64 KiB segments
    yield Item("data/big.bin", ItemKind.FILE, 0o600, 1_650_000_000_000_000_000, len(big)), big


def build(
    items: Iterator[tuple[Item, bytes | None]] | None = None,
    *,
    recipients: list[x509.Certificate] | None = None,
    backup_id: str = BACKUP_ID,
    component: str = COMPONENT,
) -> bytes:
    out = io.BytesIO()
    writer = ArchiveWriter(
        out,
        backup_id=backup_id,
        component=component,
        recipients=recipients or [key_pair().cert],
        segment_size=SEGMENT,
        workers=2,
    )
    with writer:
        for item, data in items or sample_items():
            writer.add(item, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def seal_raw_tar(raw: bytes, *, backup_id: str = BACKUP_ID, component: str = COMPONENT) -> bytes:
    """Encrypt an arbitrary (possibly hostile) tar stream as a valid archive."""
    out = io.BytesIO()
    writer = ArchiveWriter(
        out, backup_id=backup_id, component=component, recipients=[key_pair().cert], segment_size=SEGMENT, workers=2
    )
    with writer:
        writer._write(raw)  # the tests' only reach into the writer: to seal bytes no provider would produce
    return out.getvalue()


def info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = link
    return member


def hostile_tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def read_all(
    data: bytes, key: RSAPrivateKey | None = None, *, backup_id: str = BACKUP_ID, component: str = COMPONENT
) -> list[tuple[Item, bytes | None]]:
    reader = ArchiveReader(
        io.BytesIO(data), key or key_pair().key, expected_backup_id=backup_id, expected_component=component, workers=2
    )
    return [(item, content.read() if content is not None else None) for item, content in reader]


def segment_offsets(data: bytes) -> list[tuple[int, int]]:
    """(offset, length incl. the 4-byte prefix) of every segment."""
    header = read_header(io.BytesIO(data))
    offsets, pos = [], header.data_offset
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        offsets.append((pos, 4 + length))
        pos += 4 + length
    return offsets
