"""The WRITE request ``azsbackup/storage/smb/wire.py`` lays out is byte for byte smbprotocol's own, and smbprotocol's
receiver decrypts what it seals; on an encrypting share, file data goes that way and arrives intact.

The known answers come from smbprotocol itself (its ``SMB2HeaderRequest``/``SMB2WriteRequest`` structures and its
``Connection._decrypt``), not from a second copy of the layout.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st
from smbprotocol.connection import Ciphers, Connection, Dialects, SMB2TransformHeader
from smbprotocol.header import Commands, Smb2Flags, SMB2HeaderRequest
from smbprotocol.open import SMB2WriteRequest
from smbprotocol.session import Session

from azsbackup.storage import open_location
from azsbackup.storage.paths import Credentials, parse_location
from azsbackup.storage.smb import _compat, wire
from tests.fixtures.samba import SambaServer

headers = st.builds(
    wire.WriteHeader,
    credit_charge=st.integers(1, 128),
    credit_request=st.integers(0, 0xFFFF),
    flags=st.sampled_from([0, wire.FLAGS_DFS_OPERATIONS]),
    message_id=st.integers(0, 2**64 - 1),
    tree_id=st.integers(0, 2**32 - 1),
    session_id=st.integers(0, 2**64 - 1),
    file_id=st.binary(min_size=16, max_size=16),
    offset=st.integers(0, 2**64 - 1),
)


def smbprotocol_write(fields: wire.WriteHeader, data: bytes) -> bytes:
    """The same request as smbprotocol 1.17's ``Connection._send`` packs it before encryption."""
    write = SMB2WriteRequest()
    write["offset"] = fields.offset
    write["file_id"] = fields.file_id
    write["buffer"] = data
    header = SMB2HeaderRequest()
    header["credit_charge"] = fields.credit_charge
    header["command"] = Commands.SMB2_WRITE
    header["credit_request"] = fields.credit_request
    header["message_id"] = fields.message_id
    header["tree_id"] = fields.tree_id
    header["session_id"] = fields.session_id
    if fields.flags:
        header["flags"].set_flag(Smb2Flags.SMB2_FLAGS_DFS_OPERATIONS)
    header["data"] = write.pack()
    return bytes(header.pack())


@settings(max_examples=200, deadline=None)
@given(fields=headers, data=st.binary(max_size=2048))
def test_the_plain_request_is_the_one_smbprotocol_packs(fields: wire.WriteHeader, data: bytes) -> None:
    assert wire.plain_write(fields, data) == smbprotocol_write(fields, data)


@pytest.mark.parametrize("cipher_id, key_size", [(Ciphers.AES_128_GCM, 16), (Ciphers.AES_256_GCM, 32)])
def test_smbprotocols_receiver_decrypts_the_frame(cipher_id: int, key_size: int) -> None:
    key = os.urandom(key_size)
    connection = Connection(uuid.uuid4(), "127.0.0.1", 445)
    connection.dialect, connection.cipher_id = Dialects.SMB_3_1_1, cipher_id
    session = Session(connection, "user", "password")
    session.decryption_key = key
    session_id = 0x1122334455667788
    connection.session_table[session_id] = session
    plain = os.urandom(70_000)

    head, ciphertext = wire.encrypted_frame(AESGCM(key), session_id, plain)
    frame = head + bytes(ciphertext)

    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    transform = SMB2TransformHeader()
    transform.unpack(frame[4:])
    assert transform["session_id"].get_value() == session_id
    assert connection._decrypt(transform) == plain
    tampered = bytearray(frame)
    tampered[-1] ^= 1
    transform.unpack(bytes(tampered[4:]))
    with pytest.raises(InvalidTag):
        connection._decrypt(transform)


def test_a_frame_over_the_tcp_length_is_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        wire.encrypted_frame(AESGCM(bytes(16)), 1, bytes(wire.MAX_FRAME))


def test_an_encrypting_share_takes_the_direct_path_and_the_file_arrives_intact(
    smb_server: SambaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    direct = _compat._send_direct

    def counting(connection: Any, write: _compat.DirectWrite, *args: Any) -> Any:
        sent.append(len(write.data))
        return direct(connection, write, *args)

    monkeypatch.setattr(_compat, "_send_direct", counting)
    data = os.urandom((5 << 20) + 4097)
    location = open_location(
        parse_location(smb_server.path("encshare", "wire")), Credentials(smb_server.user, smb_server.password)
    )
    try:
        with location.open_write("copy/archive.azsb") as writer:
            writer.write(data)
            writer.commit()
    finally:
        location.close()
    assert sum(sent) == len(data), f"{len(sent)} direct writes carried {sum(sent)} of {len(data)} bytes"
    assert (smb_server.share_dir("encshare") / "wire" / "copy" / "archive.azsb").read_bytes() == data
