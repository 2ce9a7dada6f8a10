"""Archive format v1: round trip, and every kind of damage gives its own typed error."""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from azsbackup.archive.format import MAGIC, read_header
from azsbackup.archive.rekey import rekey_archive
from azsbackup.errors import (
    ArchiveLimitExceeded,
    AuthenticationTagMismatch,
    AzsBackupError,
    FormatError,
    IntegrityError,
    UnsafeArchiveMember,
    UnsupportedFormatVersion,
    WrongKey,
)
from tests.archive.helpers import (
    BACKUP_ID,
    SEGMENT,
    build,
    hostile_tar,
    info,
    key_pair,
    read_all,
    sample_items,
    seal_raw_tar,
    segment_offsets,
)


@pytest.fixture(scope="module")
def archive() -> bytes:
    return build()


def test_round_trip_is_exact(archive: bytes) -> None:
    assert read_all(archive) == list(sample_items())


def test_header_is_readable_without_a_key(archive: bytes) -> None:
    header = read_header(io.BytesIO(archive))
    assert (header.backup_id, header.component, header.segment_size) == (BACKUP_ID, "tree", 64 * 1024)
    assert [r["thumbprint"] for r in header.recipients] == [
        __import__("azsbackup.crypto.certs", fromlist=["thumbprint"]).thumbprint(key_pair().cert)
    ]
    assert len(segment_offsets(archive)) >= 5


def test_incompressible_segments_are_stored_and_compressible_ones_shrink() -> None:
    from azsbackup.items import Item, ItemKind

    noise = random.Random(7).randbytes(300_000)
    text = b"log line 42 ok\n" * 20_000
    stored = build(iter([(Item("noise", ItemKind.FILE, 0o600, 0, len(noise)), noise)]))
    squeezed = build(iter([(Item("text", ItemKind.FILE, 0o600, 0, len(text)), text)]))
    assert len(noise) < len(stored) < len(noise) * 1.01
    assert len(squeezed) < len(text) / 20


def flipped(data: bytes, offset: int) -> bytes:
    damaged = bytearray(data)
    damaged[offset] ^= 0x40
    return bytes(damaged)


def test_bad_magic_and_unknown_version(archive: bytes) -> None:
    with pytest.raises(FormatError, match="bad magic"):
        read_all(flipped(archive, 2))
    future = archive[: len(MAGIC)] + (3).to_bytes(2, "big") + archive[len(MAGIC) + 2 :]
    with pytest.raises(UnsupportedFormatVersion) as caught:
        read_all(future)
    assert caught.value.exit_code == 15 and "version 3" in caught.value.message


def test_every_flipped_byte_is_detected(archive: bytes) -> None:
    """Flip bytes in every region (header, recipients, lengths, bodies, tags, last segment)."""
    header = read_header(io.BytesIO(archive))
    rng = random.Random(20261124)
    positions = set(range(0, header.data_offset, 7)) | {rng.randrange(len(archive)) for _ in range(300)}
    for offset, length in segment_offsets(archive):
        positions |= {offset, offset + 3, offset + 4, offset + length - 1, offset + length // 2}
    positions.discard(len(archive))
    undetected = []
    for position in sorted(positions):
        try:
            read_all(flipped(archive, position))
        except (WrongKey, IntegrityError):
            continue
        undetected.append(position)
    # The recipient block is outside the authenticated data by design (rekey); a flipped byte there either
    # breaks the key unwrap (WrongKey) or lands in a field unwrap does not use (subject/thumbprint text).
    recipients = range(14 + len(header.header_bytes) - 14, header.data_offset)
    assert [p for p in undetected if p not in recipients] == []


def test_truncation_anywhere_is_detected(archive: bytes) -> None:
    cuts = [offset for offset, _ in segment_offsets(archive)[1:]]  # exactly at segment boundaries
    cuts += [len(archive) - 1, len(archive) - 17, 20, 200]
    for cut in cuts:
        with pytest.raises(IntegrityError):
            read_all(archive[:cut])


def test_appended_bytes_and_reordered_segments_are_detected(archive: bytes) -> None:
    with pytest.raises(AuthenticationTagMismatch):  # the real final segment no longer opens as "not last"
        read_all(archive + b"\x00\x00\x00\x11" + bytes(17))
    with pytest.raises(FormatError):
        read_all(archive + b"\x00\x00")
    segments = segment_offsets(archive)
    (a, la), (b, lb) = segments[1], segments[2]
    swapped = archive[:a] + archive[b : b + lb] + archive[a : a + la] + archive[b + lb :]
    with pytest.raises(AuthenticationTagMismatch):
        read_all(swapped)


def test_segment_spliced_from_another_archive_is_detected(archive: bytes) -> None:
    other = build()
    (a, la) = segment_offsets(archive)[1]
    (b, lb) = segment_offsets(other)[1]
    spliced = archive[:a] + other[b : b + lb] + archive[a + la :]
    with pytest.raises(AuthenticationTagMismatch):
        read_all(spliced)


def test_archive_of_another_backup_or_component_is_refused(archive: bytes) -> None:
    with pytest.raises(IntegrityError, match="belongs to"):
        read_all(archive, backup_id="20261124T101010Z-ffffffff")
    with pytest.raises(IntegrityError, match="belongs to"):
        read_all(archive, component="other")


def test_wrong_key_is_refused_before_any_data(archive: bytes) -> None:
    with pytest.raises(WrongKey) as caught:
        read_all(archive, key_pair("intruder").key)
    assert caught.value.exit_code == 17


def test_several_recipients_each_can_open() -> None:
    data = build(recipients=[key_pair().cert, key_pair("escrow").cert])
    assert read_all(data, key_pair("escrow").key) == read_all(data, key_pair().key)


def test_rekey_keeps_segments_and_swaps_the_key(archive: bytes) -> None:
    out = io.BytesIO()
    rekey_archive(io.BytesIO(archive), out, key_pair().key, [key_pair("new").cert])
    rekeyed = out.getvalue()
    old_data = read_header(io.BytesIO(archive)).data_offset
    new_data = read_header(io.BytesIO(rekeyed)).data_offset
    assert rekeyed[new_data:] == archive[old_data:]
    assert read_all(rekeyed, key_pair("new").key) == list(sample_items())
    with pytest.raises(WrongKey):
        read_all(rekeyed, key_pair().key)


@pytest.mark.parametrize(
    "member",
    [
        info("../escape.txt"),
        info("a/../../escape.txt"),
        info("/etc/passwd"),
        info("C:/Windows/evil.dll"),
        info("link", tarfile.SYMTYPE, "/etc/shadow"),
        info("a/link", tarfile.SYMTYPE, "../../outside"),
        info("hard", tarfile.LNKTYPE, "etc/passwd"),
        info("dev", tarfile.CHRTYPE),
        info("fifo", tarfile.FIFOTYPE),
    ],
    ids=lambda m: f"{m.name}->{m.linkname or m.type!r}",
)
def test_hostile_members_are_refused(member: tarfile.TarInfo) -> None:
    data = seal_raw_tar(hostile_tar((info("fine.txt"), b"ok"), (member, b"evil")))
    with pytest.raises(UnsafeArchiveMember) as caught:
        read_all(data)
    assert caught.value.exit_code == 15


def test_oversized_pax_header_is_refused_before_it_is_read() -> None:
    member = info("x")
    member.pax_headers = {"comment": "A" * (200 * 1024)}
    with pytest.raises(ArchiveLimitExceeded):
        read_all(seal_raw_tar(hostile_tar((member, b"1"))))


def single_segment_archive(payload: bytes) -> bytes:
    """A valid archive whose only segment's plaintext is ``payload`` (codec byte included), sealed by hand."""
    from azsbackup.archive.format import LENGTH, nonce
    from azsbackup.crypto.envelope import SegmentCipher, unwrap_key

    archive = seal_raw_tar(hostile_tar((info("a"), b"1")))
    header = read_header(io.BytesIO(archive))
    key = unwrap_key(header.recipients, key_pair().key, "by hand")
    sealed = SegmentCipher(key, header.aad).seal(nonce(header.nonce_prefix, 0, True), payload)
    return archive[: header.data_offset] + LENGTH.pack(len(sealed)) + sealed


def test_a_segment_too_short_for_its_codec_byte_is_refused() -> None:
    """A 16-byte segment is a valid tag over nothing: there is no codec byte to read (format.md 2.3)."""
    with pytest.raises(FormatError, match="segment length 16 is impossible"):
        read_all(single_segment_archive(b""))


@pytest.mark.parametrize("declared", [True, False], ids=["size-declared", "size-not-declared"])
def test_decompression_bomb_is_cut_off_at_the_segment_size(declared: bool) -> None:
    import zstandard

    from azsbackup.archive.format import CODEC_ZSTD

    compressor = zstandard.ZstdCompressor(level=19, write_content_size=declared)
    crafted = single_segment_archive(bytes((CODEC_ZSTD,)) + compressor.compress(bytes(100 * SEGMENT)))
    assert len(crafted) < 64 * 1024 < 100 * SEGMENT
    with pytest.raises(ArchiveLimitExceeded):
        read_all(crafted)


def test_a_frame_that_does_not_declare_its_size_is_read() -> None:
    """format.md 2.3 allows any zstd frame: the content size in the frame header is optional in zstd."""
    import zstandard

    from azsbackup.archive.format import CODEC_ZSTD

    raw = hostile_tar((info("a"), b"1"))
    frame = zstandard.ZstdCompressor(write_content_size=False).compress(raw)
    assert zstandard.get_frame_parameters(frame).content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert read_all(single_segment_archive(bytes((CODEC_ZSTD,)) + frame)) == read_all(seal_raw_tar(raw))


def test_engine_errors_only_for_random_garbage() -> None:
    rng = random.Random(5)
    for size in (0, 1, 13, 14, 100, 5000):
        with pytest.raises(AzsBackupError):
            read_all(MAGIC + rng.randbytes(size))
