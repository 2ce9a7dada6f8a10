"""What the inline read-back catches, and what writing without it leaves: a file damaged on the server after
it was written and before it gets its name, on a local directory and on a real Samba share.

The damage is made in the file the server stores (the ``.partial-`` file in the share's directory on this
machine) at the one moment between the writer's last write (the server's flush, for SMB) and its commit's
read-back, the window an inline read-back covers.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from azsbackup.errors import ChecksumMismatch
from azsbackup.storage import open_location
from azsbackup.storage.base import PARTIAL_MARKER, Location
from azsbackup.storage.paths import Credentials, parse_location
from azsbackup.storage.smb import pipeline
from tests.fixtures.samba import SambaServer

DATA_SIZE = (3 << 20) + 11


def flip_partial_file(directory: Path) -> None:
    """Flip one byte in the middle of the one ``.partial-`` file below ``directory``."""
    (partial,) = [p for p in directory.rglob(f"*{PARTIAL_MARKER}*") if p.is_file()]
    with partial.open("r+b") as fh:
        fh.seek(DATA_SIZE // 2)
        byte = fh.read(1)
        fh.seek(DATA_SIZE // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))


@pytest.fixture(params=["local", "smb"])
def place(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Location, Path, Callable[[], None]]]:
    """A location, the directory on this machine that holds its files, and how to arm the damage."""
    if request.param == "local":
        directory = tmp_path / "location"
        directory.mkdir()
        location = open_location(parse_location(str(directory)), Credentials())
        pending: list[bool] = []

        def arm() -> None:
            pending.append(True)

        yield _Damaging(location, directory, pending), directory, arm
        return
    server: SambaServer = request.getfixturevalue("smb_server")
    folder = f"read-back-{secrets.token_hex(4)}"
    directory = server.share_dir("share") / folder
    directory.mkdir(parents=True)
    location = open_location(parse_location(server.path("share", folder)), Credentials(server.user, server.password))
    finish = pipeline._WritePipe.finish

    def arm() -> None:
        def finish_then_damage(self: Any) -> None:
            finish(self)  # every write answered and flushed by the server: the file is what was sent
            flip_partial_file(directory)
            monkeypatch.setattr(pipeline._WritePipe, "finish", finish)  # once

        monkeypatch.setattr(pipeline._WritePipe, "finish", finish_then_damage)

    try:
        yield location, directory, arm
    finally:
        location.close()


class _Damaging:
    """A local location whose writer damages its ``.partial-`` file just before commit, once armed."""

    def __init__(self, inner: Location, directory: Path, pending: list[bool]) -> None:
        self._inner = inner
        self._directory = directory
        self._pending = pending

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def open_write(self, path: str, **options: Any) -> Any:
        writer = self._inner.open_write(path, **options)
        commit = writer.commit
        directory, pending = self._directory, self._pending

        def damage_then_commit() -> Any:
            if pending:
                pending.clear()
                flip_partial_file(directory)
            return commit()

        writer.commit = damage_then_commit  # type: ignore[method-assign]
        return writer


def write(location: Location, data: bytes, *, read_back: bool) -> Any:
    with location.open_write(
        "copy/archive.azsb", expected_sha256=hashlib.sha256(data).hexdigest(), read_back=read_back
    ) as w:
        w.write(data)
        return w.commit()


def test_the_read_back_catches_a_file_damaged_before_its_rename(
    place: tuple[Location, Path, Callable[[], None]],
) -> None:
    location, directory, arm = place
    data = os.urandom(DATA_SIZE)
    arm()
    with pytest.raises(ChecksumMismatch, match="read back"):
        write(location, data, read_back=True)
    assert not [p for p in directory.rglob("*") if p.is_file()], "nothing published, no partial file left"
    write(location, data, read_back=True)  # undamaged, it goes through
    assert (directory / "copy" / "archive.azsb").read_bytes() == data


def test_without_the_read_back_the_damage_is_published_for_the_verification_to_find(
    place: tuple[Location, Path, Callable[[], None]],
) -> None:
    """Export's default reads nothing back: what the server stores is what the scheduled verification checks."""
    location, directory, arm = place
    data = os.urandom(DATA_SIZE)
    arm()
    result = write(location, data, read_back=False)
    assert result.sha256 == hashlib.sha256(data).hexdigest()  # the caller's record, not a read
    stored = (directory / "copy" / "archive.azsb").read_bytes()
    assert len(stored) == len(data) and stored != data
