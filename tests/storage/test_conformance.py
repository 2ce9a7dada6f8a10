"""One conformance suite for every location: each guarantee of azsbackup/storage/base.py, checked on

* ``local``: a directory on this machine (:class:`~azsbackup.storage.local.LocalLocation`);
* ``smb-share``: a folder on Samba's normal share, encrypted because the client asks for it;
* ``smb-encshare``: a folder on a share that requires encryption;
* ``smb-signed-only``: a folder on a server that cannot encrypt, opened with ``allow_unencrypted``;
* ``subtree-local``, ``subtree-smb-share``, ``subtree-blob``: a folder of a location seen as a location
  of its own (:class:`~azsbackup.storage.subtree.Subtree`, how exports see ``MASBackup/``);
* ``blob``: a prefix in a container of Azurite (:class:`~azsbackup.storage.blob.BlobLocation`), with
  the account key, over plain http (allowed);
* ``blob-sas``: the same with a service SAS token for the container.

Every test talks to the location through the :class:`~azsbackup.storage.base.Location`
protocol only, so a new implementation is added by adding a parameter.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from azsbackup.errors import ChecksumMismatch, InvalidPath, LocationError, NotFound
from azsbackup.storage import open_location
from azsbackup.storage.base import PARTIAL_MARKER, Location
from azsbackup.storage.paths import Credentials, LocationSpec, parse_location
from azsbackup.storage.subtree import Subtree
from tests.fixtures.azurite import AzuriteServer
from tests.fixtures.samba import SambaServer, start_samba, stop_samba


@dataclass(frozen=True)
class Place:
    """Where a location under test lives; :meth:`open` gives another, independent handle on it."""

    spec: LocationSpec
    credentials: Credentials
    allow_unencrypted: bool = False
    subtree: str | None = None
    """Seen through a :class:`Subtree` of this folder."""
    bases: list[Location] = field(default_factory=list)
    """The locations under the subtrees: a subtree does not close its base, the test does."""

    @property
    def lists_partial_names(self) -> bool:
        """Whether data not committed yet shows under a ``.partial-`` name (a blob's staged blocks show nowhere)."""
        return self.spec.kind != "blob"

    def open(self) -> Location:
        location = open_location(
            self.spec, self.credentials, allow_unencrypted=self.allow_unencrypted, allow_insecure_http=True
        )
        if self.subtree is None:
            return location
        self.bases.append(location)
        return Subtree(location, self.subtree)

    def close(self) -> None:
        for base in self.bases:
            base.close()


@pytest.fixture(scope="module")
def signed_only_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SambaServer]:
    server = start_samba(tmp_path_factory.mktemp("samba-signed-only"), encrypt="off", tiny=False)
    try:
        yield server
    finally:
        stop_samba(server)


PLACES = ["local", "smb-share", "smb-encshare", "smb-signed-only", "blob", "blob-sas"]
PLACES += ["subtree-local", "subtree-smb-share", "subtree-blob"]


@pytest.fixture(params=PLACES)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    kind = request.param.removeprefix("subtree-")
    subtree = "MASBackup" if request.param.startswith("subtree-") else None
    folder = f"conformance-{secrets.token_hex(4)}"
    if kind == "local":
        place = Place(parse_location(str(tmp_path / "location")), Credentials(), subtree=subtree)
    elif kind.startswith("blob"):
        azurite: AzuriteServer = request.getfixturevalue("azurite")
        container = azurite.new_container()
        secret = azurite.sas(container, "racwdl") if kind == "blob-sas" else azurite.key
        place = Place(parse_location(azurite.url(container, folder)), Credentials("", secret), subtree=subtree)
    elif kind == "smb-signed-only":
        server: SambaServer = request.getfixturevalue("signed_only_server")
        place = Place(parse_location(server.path("share", folder)), Credentials(server.user, server.password), True)
    else:
        server = request.getfixturevalue("smb_server")
        credentials = Credentials(server.user, server.password)
        place = Place(parse_location(server.path(kind.removeprefix("smb-"), folder)), credentials, subtree=subtree)
    try:
        yield place
    finally:
        place.close()


@pytest.fixture
def location(place: Place) -> Iterator[Location]:
    loc = place.open()
    loc.makedirs("")
    try:
        yield loc
    finally:
        loc.close()


READ_BACK = pytest.mark.parametrize("read_back", [False, True], ids=["no-read-back", "read-back"])
"""Writes are checked both ways: export's default (no read-back) and the inline read-back it can be set to."""


def put(location: Location, path: str, data: bytes, *, read_back: bool = False) -> None:
    with location.open_write(path, read_back=read_back) as writer:
        assert writer.write(data) == len(data)
        result = writer.commit()
    assert (result.path, result.size, result.sha256) == (path, len(data), hashlib.sha256(data).hexdigest())


def get(location: Location, path: str) -> bytes:
    with location.open_read(path) as fh:
        return fh.read()


def names(location: Location, path: str = "") -> list[str]:
    return [e.name for e in location.list(path)]


# --- atomic publish --------------------------------------------------------------------------


def test_a_file_is_visible_under_its_name_only_after_commit(place: Place, location: Location) -> None:
    with location.open_write("b1/archive.azsb") as writer:
        writer.write(b"partial")
        assert not location.exists("b1/archive.azsb")
        with pytest.raises(NotFound):
            location.stat("b1/archive.azsb")
        with pytest.raises(NotFound):
            location.open_read("b1/archive.azsb")
        temporary = names(location, "b1")
        assert len(temporary) == place.lists_partial_names
        assert all(name.startswith("archive.azsb" + PARTIAL_MARKER) for name in temporary)
        writer.write(b" and the rest")
        writer.commit()
    assert get(location, "b1/archive.azsb") == b"partial and the rest"
    assert names(location, "b1") == ["archive.azsb"]


def test_abort_leaves_nothing_and_is_idempotent(location: Location) -> None:
    writer = location.open_write("b2/x")
    writer.write(b"data")
    writer.abort()
    writer.abort()
    assert location.list("b2") == []
    with pytest.raises(LocationError):
        writer.write(b"more")
    with pytest.raises(LocationError):
        writer.commit()


def test_leaving_the_block_without_commit_aborts(location: Location) -> None:
    with pytest.raises(RuntimeError, match="crash in the middle"), location.open_write("b3/x") as writer:
        writer.write(b"data")
        raise RuntimeError("crash in the middle")
    assert location.list("b3") == []


def test_a_crash_before_commit_leaves_only_a_partial_name(place: Place, location: Location) -> None:
    writer = location.open_write("b4/manifest.json")
    writer.write(os.urandom(3 << 20))  # neither committed nor aborted: the writer "crashed"
    observer = place.open()
    try:
        leftovers = observer.list("b4")
        assert len(leftovers) == place.lists_partial_names
        assert all(e.name.startswith("manifest.json" + PARTIAL_MARKER) and not e.is_dir for e in leftovers)
        assert not observer.exists("b4/manifest.json")
    finally:
        observer.close()
        writer.abort()


def test_commit_after_commit_is_refused(location: Location) -> None:
    writer = location.open_write("once")
    writer.write(b"1")
    writer.commit()
    with pytest.raises(LocationError):
        writer.commit()
    with pytest.raises(LocationError):
        writer.write(b"2")
    writer.abort()  # harmless after a commit: the published file stays
    assert get(location, "once") == b"1"


@READ_BACK
def test_commit_replaces_an_existing_file(location: Location, read_back: bool) -> None:
    put(location, "f.bin", b"one", read_back=read_back)
    put(location, "f.bin", b"second", read_back=read_back)
    assert get(location, "f.bin") == b"second"
    assert names(location) == ["f.bin"]


@READ_BACK
def test_an_empty_file_and_every_buffer_type(location: Location, read_back: bool) -> None:
    put(location, "empty", b"", read_back=read_back)
    assert get(location, "empty") == b""
    assert location.stat("empty").size == 0
    with location.open_write("buffers", read_back=read_back) as writer:
        assert writer.write(bytearray(b"ab")) == 2
        assert writer.write(memoryview(b"cdef")[1:]) == 3
        writer.commit()
    assert get(location, "buffers") == b"abdef"


# --- read-after-write, stat, listing -------------------------------------------------------------


def test_read_after_write(location: Location) -> None:
    put(location, "d/e/f.txt", b"hello")
    entry = location.stat("d/e/f.txt")
    assert (entry.name, entry.is_dir, entry.size) == ("f.txt", False, 5)
    assert entry.mtime > 0
    assert location.exists("d/e/f.txt") and location.exists("d/e") and location.stat("d/e").is_dir
    assert [(e.name, e.is_dir, e.size) for e in location.list("d/e")] == [("f.txt", False, 5)]
    assert get(location, "d/e/f.txt") == b"hello"


def test_the_root_exists_and_lists(location: Location) -> None:
    assert location.exists("")
    assert location.stat("").is_dir
    assert location.list() == []
    put(location, "top", b"x")
    assert names(location) == names(location, "") == ["top"]


def test_listing_is_sorted_and_empty_for_a_missing_folder(location: Location) -> None:
    for name in ("c", "a", "B", "b10", "b2"):
        put(location, f"dir/{name}", name.encode())
    location.makedirs("dir/sub")
    listed = location.list("dir")
    assert [e.name for e in listed] == sorted(["c", "a", "B", "b10", "b2", "sub"])
    assert [e.name for e in listed if e.is_dir] == ["sub"]
    assert {e.name: e.size for e in listed if not e.is_dir} == {"B": 1, "a": 1, "b10": 3, "b2": 2, "c": 1}
    assert location.list("missing-dir") == []
    assert location.list("missing-dir/deeper") == []


def test_stat_and_open_read_raise_not_found(location: Location) -> None:
    for path in ("nope", "no/such/dir/file"):
        with pytest.raises(NotFound):
            location.stat(path)
        with pytest.raises(NotFound):
            location.open_read(path)
        assert not location.exists(path)


def test_makedirs_is_recursive_and_idempotent(location: Location) -> None:
    location.makedirs("m/n/o")
    location.makedirs("m/n/o")
    location.makedirs("m/n")
    assert location.stat("m/n/o").is_dir
    assert names(location, "m/n") == ["o"]


def test_paths_that_climb_out_are_refused(location: Location) -> None:
    for path in ("../escape", "a/../../b", "a/./b"):
        with pytest.raises(InvalidPath):
            location.open_write(path)
        with pytest.raises(InvalidPath):
            location.stat(path)


# --- rename, delete ------------------------------------------------------------------------


def test_rename_a_file_and_refuse_an_existing_destination(location: Location) -> None:
    put(location, "r/src", b"x")
    location.rename("r/src", "r/dst")
    assert location.exists("r/dst") and not location.exists("r/src")
    put(location, "r/other", b"y")
    with pytest.raises(LocationError):
        location.rename("r/other", "r/dst")
    assert get(location, "r/dst") == b"x" and get(location, "r/other") == b"y"
    location.rename("r/other", "elsewhere/new/name")  # the destination's folder is created
    assert get(location, "elsewhere/new/name") == b"y"


def test_rename_a_folder(location: Location) -> None:
    put(location, "incomplete/a", b"1")
    put(location, "incomplete/b/c", b"2")
    location.rename("incomplete", "complete")
    assert names(location) == ["complete"]
    assert get(location, "complete/b/c") == b"2"


def test_delete_is_idempotent(location: Location) -> None:
    put(location, "x/f", b"1")
    location.delete("x/f")
    location.delete("x/f")
    location.delete("no/such/folder/f")
    assert not location.exists("x/f") and location.exists("x")


def test_delete_tree(location: Location) -> None:
    put(location, "t/a/b/c", b"z")
    put(location, "t/a/d", b"z")
    location.makedirs("t/empty")
    put(location, "keep", b"k")
    location.delete_tree("t")
    location.delete_tree("t")
    location.delete_tree("never/was")
    assert names(location) == ["keep"]
    with pytest.raises(LocationError):
        location.delete_tree("")


# --- space, names, size --------------------------------------------------------------------


def test_free_space_is_sane(place: Place, location: Location) -> None:
    space = location.free_space()
    if place.spec.kind == "blob":  # an account is bounded by its quota, which the blob service does not report
        assert space is None
        return
    assert space is not None and 0 < space.free <= space.total


def test_non_ascii_names(location: Location) -> None:
    path = "zürich-日本/größe Ω €.bin"
    put(location, path, "äöü".encode())
    assert names(location) == ["zürich-日本"]
    assert names(location, "zürich-日本") == ["größe Ω €.bin"]
    assert get(location, path) == "äöü".encode()
    location.rename(path, "zürich-日本/ñ.bin")
    assert location.stat("zürich-日本/ñ.bin").size == 6


@READ_BACK
def test_a_multi_mib_file_round_trips_with_its_sha256(location: Location, read_back: bool) -> None:
    data = os.urandom(21 * 1024 * 1024 + 123)
    rng = random.Random(7)
    with location.open_write("big/payload.bin", read_back=read_back) as writer:
        offset = 0
        while offset < len(data):  # pieces from 1 byte to 3 MiB, as a tar or an encryptor hands them over
            size = rng.choice([1, 4096, 65536, 1 << 20, 3 << 20, rng.randrange(1, 5 << 20)])
            writer.write(memoryview(data)[offset : offset + size])
            offset += size
        result = writer.commit()
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert location.stat("big/payload.bin").size == len(data)
    with location.open_read("big/payload.bin") as fh:
        parts = [fh.read(4), fh.read(1), fh.read(3 << 20), fh.read(65536)]
        while chunk := fh.read(rng.randrange(1, 4 << 20)):
            parts.append(chunk)
        assert fh.read() == b""
    assert hashlib.sha256(b"".join(parts)).digest() == hashlib.sha256(data).digest()


def test_open_read_seeks(location: Location) -> None:
    data = os.urandom(5 << 20)
    put(location, "seek.bin", data)
    with location.open_read("seek.bin") as fh:
        assert fh.read(10) == data[:10]
        fh.seek(4 << 20)
        assert fh.tell() == 4 << 20
        assert fh.read(100) == data[4 << 20 : (4 << 20) + 100]
        fh.seek(3)
        assert fh.read(5) == data[3:8]
        fh.seek(-7, os.SEEK_END)
        assert fh.read() == data[-7:]


def test_failures_are_location_errors_never_a_library_exception(location: Location) -> None:
    put(location, "file", b"x")
    location.makedirs("folder")
    with pytest.raises(LocationError):
        location.open_write("file/below-a-file")
    with pytest.raises(LocationError):
        location.makedirs("file/sub")
    with pytest.raises(LocationError):
        location.open_read("folder")
    with pytest.raises(LocationError):
        location.rename("file", "folder")
    assert get(location, "file") == b"x"


def test_a_known_sha256_is_what_the_read_back_must_match(location: Location) -> None:
    """Export passes the archive's SHA-256 from the signed manifest; with the read-back, a source that differs
    is refused and nothing is published."""
    data = os.urandom(3 * 1024 * 1024 + 17)
    with location.open_write("known.bin", expected_sha256=hashlib.sha256(data).hexdigest(), read_back=True) as writer:
        writer.write(data)
        assert writer.commit().sha256 == hashlib.sha256(data).hexdigest()
    forged = hashlib.sha256(b"other").hexdigest()
    with location.open_write("forged.bin", expected_sha256=forged, read_back=True) as writer:
        writer.write(data)
        with pytest.raises(ChecksumMismatch):
            writer.commit()
    names = [entry.name for entry in location.list()]
    assert "known.bin" in names and not [name for name in names if name.startswith("forged.bin")]


def test_without_the_read_back_a_known_sha256_is_the_record_and_nothing_is_hashed(location: Location) -> None:
    """No read-back: the writer neither reads back nor hashes, and reports the SHA-256 it was given (the signed
    manifest's); the scheduled verification of the external copies is what compares the bytes later."""
    data = os.urandom((2 << 20) + 5)
    named = hashlib.sha256(b"the manifest's").hexdigest()
    with location.open_write("trusted.bin", expected_sha256=named) as writer:
        writer.write(data)
        assert (writer.commit().size, writer_sha(location, "trusted.bin")) == (
            len(data),
            hashlib.sha256(data).hexdigest(),
        )
    with location.open_write("named.bin", expected_sha256=named) as writer:
        writer.write(b"x")
        assert writer.commit().sha256 == named
    with location.open_write("unnamed.bin") as writer:
        writer.write(data)
        assert writer.commit().sha256 == hashlib.sha256(data).hexdigest(), "without one, what was written is hashed"


def writer_sha(location: Location, path: str) -> str:
    return hashlib.sha256(get(location, path)).hexdigest()
