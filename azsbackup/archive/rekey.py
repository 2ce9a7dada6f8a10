"""Re-wrapping an archive's data key for new recipients without touching its segments."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.format import encode_recipients, read_header
from azsbackup.archive.writer import Writable
from azsbackup.crypto.envelope import unwrap_key, wrap_key
from azsbackup.items import Readable

COPY_CHUNK = 8 << 20


def rekey_archive(
    src: Readable, dst: Writable, private_key: RSAPrivateKey, new_recipients: Sequence[x509.Certificate]
) -> None:
    """Copy ``src`` to ``dst`` with a new recipient block; header and segments are copied byte for byte."""
    header = read_header(src)
    data_key = unwrap_key(header.recipients, private_key, f"{header.backup_id}/{header.component}")
    dst.write(header.header_bytes)
    dst.write(encode_recipients([wrap_key(data_key, cert) for cert in new_recipients]))
    while chunk := src.read(COPY_CHUNK):
        dst.write(chunk)
