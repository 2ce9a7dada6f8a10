"""Archive format 2 (and 1, read only): constants, the header and the segment nonce.

Byte layout of a component archive (all integers big-endian; see docs/format.md)::

    offset     size  field
    0          8     magic  89 41 5A 53 42 0D 0A 1A  ("\\x89AZSB\\r\\n\\x1a")
    8          2     format version (u16) = 2 (1 is still read)
    10         4     header length H (u32, at most 64 KiB)
    14         H     header: canonical JSON (UTF-8, sorted keys, no spaces)
    14+H       4     recipient block length R (u32, at most 1 MiB)
    18+H       R     recipients: JSON list of {thumbprint, key_id, subject, wrapped_key}
    18+H+R     ...   segments, each: length L (u32) + L bytes of AES-256-GCM output

The authenticated data of every segment is SHA-256 of bytes [0, 14+H): the
preamble and the header, which name the backup, the component, the segment
size and the nonce prefix. The recipient block is deliberately outside it, so
that ``rekey`` can re-wrap the data key without touching any segment.

Nonce of segment *i* (12 bytes): nonce prefix (7) ‖ *i* (u32) ‖ last flag (1
byte: 1 on the final segment, else 0). A segment opened with the wrong index
or flag fails authentication, so reordering, truncation at a segment boundary
and appending are all detected.

Sealed plaintext of a segment: one codec byte (0 stored, 1 zstd frame) and
the payload, which decodes to the next ``segment_size`` bytes of the pax tar
stream (fewer only for the final segment).
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from azsbackup.errors import ArchiveLimitExceeded, FormatError, UnsupportedFormatVersion
from azsbackup.items import Readable

MAGIC = b"\x89AZSB\r\n\x1a"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
"""Version 1 differs only in how a negative pax mtime with a fraction is written (see tarstream)."""
SUITE = "zstd+aes-256-gcm-stream"
PREAMBLE = struct.Struct(">8sHI")
LENGTH = struct.Struct(">I")
MAX_HEADER = 64 << 10
MAX_RECIPIENTS = 1 << 20
MIN_SEGMENT_SIZE = 64 << 10
MAX_SEGMENT_SIZE = 64 << 20
DEFAULT_SEGMENT_SIZE = 4 << 20
NONCE_PREFIX_SIZE = 7
TAG_SIZE = 16
KEY_SIZE = 32
CODEC_STORED = 0
CODEC_ZSTD = 1
HEADER_FIELDS = ("backup_id", "component", "created", "engine_version", "nonce_prefix", "segment_size", "suite")


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


MIN_SEALED_SIZE = 1 + TAG_SIZE
"""The smallest sealed segment: the codec byte and the GCM tag (an empty payload has no codec)."""


def max_sealed_size(segment_size: int) -> int:
    """The largest sealed segment: a stored full segment, its codec byte and the GCM tag."""
    return segment_size + 1 + TAG_SIZE


@dataclass(frozen=True)
class ArchiveHeader:
    """What the first bytes of an archive say; readable without any key."""

    backup_id: str
    component: str
    suite: str
    segment_size: int
    nonce_prefix: bytes
    created: str
    engine_version: str
    recipients: list[dict[str, str]]
    header_bytes: bytes
    """Bytes [0, 14+H): what every segment's authenticated data is computed from."""
    data_offset: int
    """Offset of the first segment."""
    version: int = FORMAT_VERSION
    """The format version at offset 8."""

    @property
    def aad(self) -> bytes:
        return hashlib.sha256(self.header_bytes).digest()


def encode_header(fields: dict[str, Any]) -> bytes:
    body = canonical_json(fields)
    return PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(body)) + body


def encode_recipients(recipients: list[dict[str, str]]) -> bytes:
    body = canonical_json(recipients)
    return LENGTH.pack(len(body)) + body


def _read_exact(stream: Readable, size: int, subject: str, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise FormatError(subject=subject, detail=f"the file ends inside the {what}")
    return data


def read_header(stream: Readable, subject: str = "archive") -> ArchiveHeader:
    """Parse the preamble, header and recipient block; leave ``stream`` at the first segment."""
    preamble = _read_exact(stream, PREAMBLE.size, subject, "preamble")
    magic, version, header_len = PREAMBLE.unpack(preamble)
    if magic != MAGIC:
        raise FormatError(subject=subject, detail="not an azsbackup archive (bad magic)")
    if version not in READABLE_VERSIONS:
        raise UnsupportedFormatVersion(subject=subject, version=version, supported=FORMAT_VERSION)
    if header_len > MAX_HEADER:
        raise ArchiveLimitExceeded(subject=subject, detail=f"header of {header_len} bytes (limit {MAX_HEADER})")
    header_json = _read_exact(stream, header_len, subject, "header")
    (recipients_len,) = LENGTH.unpack(_read_exact(stream, LENGTH.size, subject, "recipient block"))
    if recipients_len > MAX_RECIPIENTS:
        raise ArchiveLimitExceeded(subject=subject, detail=f"recipient block of {recipients_len} bytes")
    recipients_json = _read_exact(stream, recipients_len, subject, "recipient block")
    fields = _parse_fields(header_json, subject)
    return ArchiveHeader(
        backup_id=fields["backup_id"],
        component=fields["component"],
        suite=fields["suite"],
        segment_size=fields["segment_size"],
        nonce_prefix=bytes.fromhex(fields["nonce_prefix"]),
        created=fields["created"],
        engine_version=fields["engine_version"],
        recipients=_parse_recipients(recipients_json, subject),
        header_bytes=preamble + header_json,
        data_offset=PREAMBLE.size + header_len + LENGTH.size + recipients_len,
        version=version,
    )


def _parse_fields(data: bytes, subject: str) -> dict[str, Any]:
    try:
        fields = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(subject=subject, detail="the header is not valid JSON") from exc
    if not isinstance(fields, dict) or any(k not in fields for k in HEADER_FIELDS):
        raise FormatError(subject=subject, detail="the header lacks required fields")
    if fields["suite"] != SUITE:
        raise FormatError(subject=subject, detail=f"unknown cipher suite {fields['suite']!r}")
    size = fields["segment_size"]
    if not isinstance(size, int) or not MIN_SEGMENT_SIZE <= size <= MAX_SEGMENT_SIZE:
        raise ArchiveLimitExceeded(subject=subject, detail=f"segment size {size!r} is outside the allowed range")
    prefix = fields["nonce_prefix"]
    if not isinstance(prefix, str) or len(prefix) != 2 * NONCE_PREFIX_SIZE:
        raise FormatError(subject=subject, detail="bad nonce prefix")
    try:
        bytes.fromhex(prefix)
    except ValueError as exc:
        raise FormatError(subject=subject, detail="bad nonce prefix") from exc
    if not all(isinstance(fields[k], str) for k in ("backup_id", "component", "created", "engine_version")):
        raise FormatError(subject=subject, detail="header fields of the wrong type")
    return fields


def _parse_recipients(data: bytes, subject: str) -> list[dict[str, str]]:
    try:
        recipients = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(subject=subject, detail="the recipient block is not valid JSON") from exc
    keys = ("thumbprint", "key_id", "subject", "wrapped_key")
    if not isinstance(recipients, list) or not all(
        isinstance(r, dict) and all(isinstance(r.get(k), str) for k in keys) for r in recipients
    ):
        raise FormatError(subject=subject, detail="malformed recipient block")
    return recipients
