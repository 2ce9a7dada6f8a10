"""An encrypted SMB2 WRITE request, laid out and sealed in one pass ([MS-SMB2] 2.1, 2.2.1.2, 2.2.21, 2.2.41).

smbprotocol builds a request as nested structures and copies the payload at each
level: the WRITE body, the SMB2 header around it, the ciphertext, the transform
header around that, the TCP frame around that. For the request that carries
file data, the copies cost the exporting thread more than the encryption does
(``docs/performance.md``, "Where the cores sat idle, and the export's copies"). Here the plaintext is
joined once, encrypted once, and the frame goes out as two buffers, the 56
bytes of headers and a view of the ciphertext. Only the bytes are made here;
which message id, credits and keys they carry is decided in ``_compat``, under
smbprotocol's own lock.

One frame on the wire (integers little-endian unless marked)::

    Direct TCP header (2.1)          4  0x00 and the length of what follows, 24 bits big-endian
    SMB2 TRANSFORM_HEADER (2.2.41)  52  ProtocolId   b"\\xfdSMB"
                                        Signature    16  the AES-GCM tag
                                        Nonce        16  12 random bytes, 4 zero bytes
                                        OriginalMessageSize 4
                                        Reserved     2   0
                                        Flags        2   0x0001: encrypted
                                        SessionId    8
    AES-GCM ciphertext of:
      SMB2 header (2.2.1.2)         64  ProtocolId b"\\xfeSMB", StructureSize 64, CreditCharge 2,
                                        ChannelSequence 2, Reserved 2, Command 2 (0x0009 WRITE),
                                        CreditRequest 2, Flags 4, NextCommand 4 (0), MessageId 8,
                                        Reserved 4 (ProcessId), TreeId 4, SessionId 8,
                                        Signature 16 (zero: an encrypted message is not signed)
      SMB2 WRITE request (2.2.21)   48  StructureSize 2 (49), DataOffset 2 (0x70: 64 + 48),
                                        Length 4, Offset 8, FileId 16, Channel 4 (0),
                                        RemainingBytes 4 (0), WriteChannelInfoOffset 2 (0),
                                        WriteChannelInfoLength 2 (0), Flags 4 (0)
      the data                       n

The additional authenticated data is the transform header from its Nonce to its
end (32 bytes), as 3.1.4.3 says.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Protocol

SMB2_HEADER = struct.Struct("<4sHHHHHHIIQIIQ16s")
WRITE_REQUEST = struct.Struct("<HHIQ16sIIHHI")
TRANSFORM_AAD = struct.Struct("<16sIHHQ")
"""The transform header from its Nonce on: what AES-GCM authenticates besides the message."""
TCP_LENGTH = struct.Struct(">I")

SMB2_WRITE = 0x0009
FLAGS_DFS_OPERATIONS = 0x10000000
TRANSFORM_ENCRYPTED = 0x0001
GCM_NONCE_SIZE = 12
TAG_SIZE = 16
TRANSFORM_HEADER_SIZE = 4 + TAG_SIZE + TRANSFORM_AAD.size
DATA_OFFSET = SMB2_HEADER.size + WRITE_REQUEST.size
MAX_FRAME = (1 << 24) - 1
"""The Direct TCP header's 24-bit length."""

_NO_SIGNATURE = bytes(16)


class Aead(Protocol):
    """What the frame needs of ``cryptography``'s ``AESGCM``."""

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes: ...


@dataclass(frozen=True)
class WriteHeader:
    """The fields of one WRITE request that vary from request to request."""

    credit_charge: int
    credit_request: int
    flags: int
    message_id: int
    tree_id: int
    session_id: int
    file_id: bytes
    offset: int


def plain_write(header: WriteHeader, data: bytes | memoryview) -> bytes:
    """The SMB2 header, the WRITE request and ``data``, as one message in the clear."""
    smb2 = SMB2_HEADER.pack(
        b"\xfeSMB",
        64,
        header.credit_charge,
        0,
        0,
        SMB2_WRITE,
        header.credit_request,
        header.flags,
        0,
        header.message_id,
        0,
        header.tree_id,
        header.session_id,
        _NO_SIGNATURE,
    )
    body = WRITE_REQUEST.pack(49, DATA_OFFSET, len(data), header.offset, header.file_id, 0, 0, 0, 0, 0)
    return b"".join((smb2, body, data))


def encrypted_frame(cipher: Aead, session_id: int, plain: bytes) -> tuple[bytes, memoryview]:
    """``plain`` sealed for ``session_id``: the TCP and transform headers, and a view of the ciphertext."""
    if TRANSFORM_HEADER_SIZE + len(plain) > MAX_FRAME:
        raise ValueError(f"an SMB2 frame holds at most {MAX_FRAME} bytes; this message is {len(plain)}")
    nonce = os.urandom(GCM_NONCE_SIZE)
    aad = TRANSFORM_AAD.pack(nonce + bytes(16 - GCM_NONCE_SIZE), len(plain), 0, TRANSFORM_ENCRYPTED, session_id)
    sealed = cipher.encrypt(nonce, plain, aad)
    ciphertext = memoryview(sealed)[:-TAG_SIZE]
    head = b"".join((TCP_LENGTH.pack(TRANSFORM_HEADER_SIZE + len(ciphertext)), b"\xfdSMB", sealed[-TAG_SIZE:], aad))
    return head, ciphertext
