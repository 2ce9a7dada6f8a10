"""One conformance suite for every location: the guarantees of azsbackup/storage/base.py."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from azsbackup.errors import LocationError, NotFound
from azsbackup.storage import open_location
from azsbackup.storage.base import PARTIAL_MARKER, Location
from azsbackup.storage.paths import Credentials, parse_location
from tests.fixtures.samba import SambaServer


@pytest.fixture(params=["local", "smb-share", "smb-encshare"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Location]:
    if request.param == "local":
        loc = open_location(parse_location(str(tmp_path / "loc")), Credentials("", ""))
    else:
        server: SambaServer = request.getfixturevalue("smb_server")
        share = request.param.removeprefix("smb-")
        folder = f"conformance-{secrets.token_hex(4)}"
        loc = open_location(parse_location(server.path(share, folder)), Credentials(server.user, server.password))
        loc.makedirs("")
    try:
        yield loc
    finally:
        loc.close()


def put(location: Location, path: str, data: bytes) -> None:
    with location.open_write(path) as writer:
        writer.write(data)
        result = writer.commit()
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_atomic_write_is_invisible_until_commit(location: Location) -> None:
    with location.open_write("b1/archive.azsb") as writer:
        writer.write(b"partial")
        assert not location.exists("b1/archive.azsb")
        assert any(PARTIAL_MARKER in e.name for e in location.list("b1"))
        writer.commit()
    assert location.open_read("b1/archive.azsb").read() == b"partial"
    assert [e.name for e in location.list("b1")] == ["archive.azsb"]


def test_abort_leaves_nothing_and_is_idempotent(location: Location) -> None:
    writer = location.open_write("b2/x")
    writer.write(b"data")
    writer.abort()
    writer.abort()
    assert location.list("b2") == []


def test_leaving_without_commit_aborts(location: Location) -> None:
    with pytest.raises(RuntimeError), location.open_write("b3/x") as writer:
        writer.write(b"data")
        raise RuntimeError("crash in the middle")
    assert location.list("b3") == []


def test_commit_replaces_and_read_after_write(location: Location) -> None:
    put(location, "f.bin", b"one")
    put(location, "f.bin", b"two")
    assert location.open_read("f.bin").read() == b"two"
    assert location.stat("f.bin").size == 3 and not location.stat("f.bin").is_dir


def test_listing(location: Location) -> None:
    for name in ("c", "a", "b"):
        put(location, f"dir/{name}", name.encode())
    location.makedirs("dir/sub")
    assert [(e.name, e.is_dir) for e in location.list("dir")] == [
        ("a", False),
        ("b", False),
        ("c", False),
        ("sub", True),
    ]
    assert location.list("missing-dir") == []


def test_not_found(location: Location) -> None:
    with pytest.raises(NotFound):
        location.stat("nope")
    with pytest.raises(NotFound):
        location.open_read("nope")
    assert not location.exists("nope")


def test_rename_delete_and_delete_tree(location: Location) -> None:
    put(location, "r/src", b"x")
    location.rename("r/src", "r/dst")
    assert location.exists("r/dst") and not location.exists("r/src")
    put(location, "r/other", b"y")
    with pytest.raises(LocationError):
        location.rename("r/other", "r/dst")
    location.delete("r/dst")
    location.delete("r/dst")
    put(location, "t/a/b/c", b"z")
    location.delete_tree("t")
    location.delete_tree("t")
    assert not location.exists("t")


def test_non_ascii_names_and_large_file(location: Location) -> None:
    data = os.urandom(20 * 1024 * 1024 + 123)
    put(location, "zürich-日本/größe.bin", data)
    with location.open_read("zürich-日本/größe.bin") as fh:
        back = b"".join(iter(lambda: fh.read(3 << 20), b""))
    assert hashlib.sha256(back).digest() == hashlib.sha256(data).digest()


def test_free_space(location: Location) -> None:
    space = location.free_space()
    assert 0 < space.free <= space.total
