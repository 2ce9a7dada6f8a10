"""What the blob location does beyond the storage contract, against Azurite: the checksums that prove what
landed, parallel blocks bounded in number, the pinned REST version, TLS, and the forms of its secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterator

import pytest

from azsbackup.errors import (
    BlobApiVersionUnsupported,
    BlobSasExpired,
    BlobTlsError,
    ChecksumMismatch,
    InvalidValue,
)
from azsbackup.storage.blob import DEFAULT_API_VERSION, BlobLocation, parse_secret
from azsbackup.storage.paths import Credentials, parse_location
from tests.fixtures.azurite import KEY, AzuriteServer, FaultProxy


def open_blob(url: str, secret: str = KEY, **options: object) -> BlobLocation:
    return BlobLocation(parse_location(url), Credentials("", secret), allow_insecure_http=True, **options)  # type: ignore[arg-type]


@pytest.fixture
def container(azurite: AzuriteServer) -> str:
    return azurite.new_container()


@pytest.fixture
def through_proxy(fault_proxy: FaultProxy, container: str) -> Iterator[BlobLocation]:
    location = open_blob(fault_proxy.url(container, "p"), block_size=1 << 20, parallel=3)
    try:
        yield location
    finally:
        location.close()


def test_a_block_changed_in_transit_is_refused_by_the_service_and_nothing_is_published(
    through_proxy: BlobLocation, fault_proxy: FaultProxy, azurite: AzuriteServer, container: str
) -> None:
    data = os.urandom((5 << 20) + 7)
    fault_proxy.corrupt_blocks(1)  # one byte of one Put Block flipped after its MD5 was computed
    with pytest.raises(ChecksumMismatch), through_proxy.open_write("b/archive.azsb") as writer:
        writer.write(data)
        writer.commit()
    assert fault_proxy.corrupted == 1
    assert not [n for n in azurite.blob_names(container) if n.endswith("archive.azsb")]
    with through_proxy.open_write("b/archive.azsb") as writer:  # the next attempt goes through
        writer.write(data)
        writer.commit()
    with through_proxy.open_read("b/archive.azsb") as back:
        assert hashlib.sha256(back.read()).digest() == hashlib.sha256(data).digest()


def test_a_small_file_changed_in_transit_is_refused_too(
    through_proxy: BlobLocation, fault_proxy: FaultProxy, azurite: AzuriteServer, container: str
) -> None:
    """A file of one block goes as one Put Blob, with its Content-MD5 checked the same way."""
    fault_proxy.corrupt_blocks(0)
    original = fault_proxy.handle

    def corrupt_put_blob(request: object) -> None:
        path = getattr(request, "path", "")
        if getattr(request, "command", "") == "PUT" and path.endswith("/manifest.json"):
            length = int(request.headers.get("Content-Length") or 0)  # type: ignore[attr-defined]
            body = request.rfile.read(length)  # type: ignore[attr-defined]
            fault_proxy._forward(request, b"X" + body[1:])
            return
        original(request)

    fault_proxy.handle = corrupt_put_blob  # type: ignore[method-assign]
    with pytest.raises(ChecksumMismatch), through_proxy.open_write("b/manifest.json") as writer:
        writer.write(b'{"signed": "manifest"}')
        writer.commit()
    assert not [n for n in azurite.blob_names(container) if n.endswith("manifest.json")]


def test_blocks_go_in_parallel_but_never_more_than_allowed(
    through_proxy: BlobLocation, fault_proxy: FaultProxy
) -> None:
    data = os.urandom(24 << 20)
    with through_proxy.open_write("big.bin") as writer:
        for offset in range(0, len(data), 3 << 20):
            writer.write(data[offset : offset + (3 << 20)])
            assert len(writer._in_flight) <= 3  # the writer holds no more blocks than that
        result = writer.commit()
    assert 2 <= fault_proxy.most_blocks_in_flight <= 3
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    committed, _ = through_proxy.blob("big.bin").get_block_list("committed")
    assert [b.size for b in committed] == [1 << 20] * 24


def test_the_rest_api_version_is_pinned_and_can_be_changed(
    fault_proxy: FaultProxy, container: str, azurite: AzuriteServer
) -> None:
    location = open_blob(fault_proxy.url(container))
    location.makedirs("x")
    location.close()
    assert fault_proxy.versions == {DEFAULT_API_VERSION}
    location = open_blob(azurite.url(container), api_version="2021-12-02")
    assert location.api_version == "2021-12-02"
    location.close()
    with pytest.raises(BlobApiVersionUnsupported):  # newer than Azurite 3.35.0 serves
        open_blob(azurite.url(container), api_version="2026-10-06")


def test_an_expired_or_not_yet_valid_sas_is_refused_before_any_request(azurite: AzuriteServer, container: str) -> None:
    expired = azurite.sas(container, "rwdl", expiry=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    with pytest.raises(BlobSasExpired) as caught:
        open_blob("http://127.0.0.1:9/devstoreaccount1/" + container, expired)  # nothing listens there
    assert "expired" in caught.value.message and "sig=" not in caught.value.message
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    early = azurite.sas(container, "rwdl", start=tomorrow, expiry=tomorrow + dt.timedelta(days=1))
    with pytest.raises(BlobSasExpired) as caught:
        open_blob(azurite.url(container), early)
    assert "valid only from" in caught.value.message


def test_tls_certificate_checked(azurite_factory: Callable[..., AzuriteServer]) -> None:
    server = azurite_factory(tls=True)
    container = server.new_container()
    with pytest.raises(BlobTlsError) as caught:
        BlobLocation(parse_location(server.url(container)), Credentials("", KEY))
    assert caught.value.code == "blob-tls-error" and caught.value.exit_code == 11
    assert server.tls is not None
    location = BlobLocation(
        parse_location(server.url(container)), Credentials("", KEY), connection_verify=str(server.tls[0])
    )
    try:
        with location.open_write("over-tls") as writer:
            writer.write(b"encrypted on the wire")
            writer.commit()
        with location.open_read("over-tls") as back:
            assert back.read() == b"encrypted on the wire"
    finally:
        location.close()


def test_secret_forms() -> None:
    key = parse_secret(KEY)
    assert key.kind == "key" and key.missing_permissions() == []
    sas = parse_secret("?sv=2019-02-02&sr=c&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=c2VjcmV0")
    assert (sas.kind, sas.permissions, sas.resource) == ("sas", "rl", "c")
    assert sas.expiry == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert sas.missing_permissions() == ["w (write)", "d (delete)"]
    assert "c2VjcmV0" not in repr(sas) and KEY not in repr(key)
    for bad in ("hunter2", "", "sig=", "sv=2019-02-02&se=yesterday&sig=abc"):
        with pytest.raises(InvalidValue) as caught:
            parse_secret(bad)
        assert caught.value.facts["value"] == "(not shown)"
