"""The SMB writer's flushes, on a real Samba share: one every ``FLUSH_EVERY`` bytes while the file is written,
and the last, the one that makes the file durable, only once every write was answered.

What went over the connection is recorded by wrapping the calls that send and collect requests; the
requests themselves are built, sent and answered unchanged.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from smbprotocol.open import Open

from azsbackup.storage import open_location
from azsbackup.storage.base import Location
from azsbackup.storage.paths import Credentials, parse_location
from azsbackup.storage.smb import _compat, pipeline
from tests.fixtures.samba import SambaServer

FLUSH_EVERY = 2 << 20
DATA_SIZE = (7 << 20) + 5


@pytest.fixture
def share(smb_server: SambaServer) -> Iterator[tuple[Location, str]]:
    folder = f"flush-{secrets.token_hex(4)}"
    (smb_server.share_dir("share") / folder).mkdir()
    credentials = Credentials(smb_server.user, smb_server.password)
    location = open_location(parse_location(smb_server.path("share", folder)), credentials)
    try:
        yield location, folder
    finally:
        location.close()


@pytest.fixture
def wire_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """``(event, kind, bytes)`` in order: ``sent``/``answered`` for each WRITE and FLUSH, ``final flush``."""
    log: list[tuple[str, str, int]] = []
    kinds: dict[int, tuple[str, int]] = {}
    send, receive, flush = _compat.send, _compat.receive, Open.flush

    def recording_send(connection: Any, message: Any, *args: Any) -> Any:
        if type(message).__name__ == "SMB2FlushRequest":
            kind, size = "flush", 0
        elif isinstance(message, _compat.DirectWrite):
            kind, size = "write", len(message.data)
        else:  # smbprotocol's own WRITE message
            kind, size = "write", len(message["buffer"].get_value())
        request = send(connection, message, *args)
        kinds[id(request)] = (kind, size)
        log.append(("sent", kind, size))
        return request

    def recording_receive(connection: Any, request: Any, timeout: float) -> Any:
        header = receive(connection, request, timeout)
        log.append(("answered", *kinds[id(request)]))
        return header

    def recording_flush(self: Open, send: bool = True) -> Any:
        if send:
            log.append(("final flush", "flush", 0))
        return flush(self, send)

    monkeypatch.setattr(pipeline, "FLUSH_EVERY", FLUSH_EVERY)
    monkeypatch.setattr(_compat, "send", recording_send)
    monkeypatch.setattr(_compat, "receive", recording_receive)
    monkeypatch.setattr(Open, "flush", recording_flush)
    return log


def test_flushes_go_out_while_writing_and_the_last_after_every_write(
    share: tuple[Location, str], smb_server: SambaServer, wire_log: list[tuple[str, str, int]]
) -> None:
    location, folder = share
    data = os.urandom(DATA_SIZE)
    with location.open_write("archive.azsb", expected_sha256=hashlib.sha256(data).hexdigest()) as writer:
        for start in range(0, DATA_SIZE, 3 << 20):  # blocks that do not line up with the flushes
            writer.write(data[start : start + (3 << 20)])
        writer.commit()

    written_before_each_flush = []
    written = 0
    for event, kind, size in wire_log:
        if event == "sent" and kind == "write":
            written += size
        elif event == "sent" and kind == "flush":
            written_before_each_flush.append(written)
    assert written == DATA_SIZE
    assert written_before_each_flush == [2 << 20, 4 << 20, 6 << 20]

    final = wire_log.index(("final flush", "flush", 0))
    assert [event for event, _, _ in wire_log].count("final flush") == 1
    answered_before_final = [kind for event, kind, _ in wire_log[:final] if event == "answered"]
    assert answered_before_final.count("flush") == 3, "every early flush is collected before the last"
    assert sum(size for event, kind, size in wire_log[:final] if event == "answered" and kind == "write") == DATA_SIZE
    assert (smb_server.share_dir("share") / folder / "archive.azsb").read_bytes() == data


def test_a_file_smaller_than_the_interval_has_only_the_last_flush(
    share: tuple[Location, str], wire_log: list[tuple[str, str, int]]
) -> None:
    location, _ = share
    with location.open_write("small.azsb") as writer:
        writer.write(os.urandom(FLUSH_EVERY - 1))
        writer.commit()
    assert [kind for event, kind, _ in wire_log if event == "sent"].count("flush") == 0
    assert ("final flush", "flush", 0) in wire_log
