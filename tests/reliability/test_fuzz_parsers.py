"""Fuzzing the parsers at CI scale: archive reader, archive header, tar members, signed manifests.

``tests/archive/test_fuzz.py`` runs the same targets with a few hundred cases in the quick run; this
module runs thousands (marked slow, so CI runs it) and reports how many. A case passes when the parser
returns a result or raises one of the engine's own errors: no other exception, no hang (hypothesis'
deadline is off, the suite's timeout bounds it), and memory stays bounded because every length in the
formats is checked before it is allocated.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsbackup.archive.format import canonical_json, read_header
from azsbackup.archive.manifest import (
    DOMAIN,
    SCHEMA,
    ArchiveRef,
    Manifest,
    ManifestComponent,
    decode_signed,
    encode_signed,
)
from azsbackup.archive.tarstream import TarReader
from azsbackup.crypto.signing import SigningKey
from azsbackup.errors import AzsBackupError
from azsbackup.service.catalog import component_view, record_from_manifest
from tests.archive.helpers import read_all
from tests.archive.test_fuzz import mutated
from tests.reliability.figures import CaseCounter, floor_in_ci, record

SCALE = floor_in_ci("AZSBACKUP_PARSER_FUZZ_CASES", 1500)
COUNTS = CaseCounter()
FUZZ = settings(max_examples=SCALE, deadline=None, database=None, suppress_health_check=list(HealthCheck))
KEY = SigningKey.generate()


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._stream.read(n)


@contextmanager
def engine_errors_only(target: str) -> Iterator[None]:
    COUNTS[target] += 1
    with suppress(AzsBackupError):
        yield


@pytest.mark.slow
@FUZZ
@given(mutated())
def test_archive_reader(data: bytes) -> None:
    with engine_errors_only("archive reader"):
        read_all(data)


@pytest.mark.slow
@FUZZ
@given(st.binary(max_size=4096))
def test_archive_header(data: bytes) -> None:
    with engine_errors_only("archive header"):
        read_header(io.BytesIO(data))


@pytest.mark.slow
@FUZZ
@given(st.binary(max_size=8192))
def test_tar_members(data: bytes) -> None:
    with engine_errors_only("tar members"):
        for _item, content in TarReader(_Bytes(data), "fuzz"):
            if content is not None:
                content.read()


def signed_manifest(body: Any) -> bytes:
    """A manifest document whose (possibly nonsensical) body carries a valid signature."""
    document = {
        "schema": SCHEMA,
        "body": body,
        "signature": {
            "alg": "ed25519",
            "public_key": base64.b64encode(KEY.public_key).decode(),
            "signer": KEY.fingerprint,
            "value": base64.b64encode(KEY.sign(DOMAIN + canonical_json(body))).decode(),
        },
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)


def _valid_manifest() -> Manifest:
    archive = ArchiveRef("tree.azsb", 20, "ab" * 32)
    component = ManifestComponent("tree", "directory", "Succeeded", 10, 20, 500, None, None, archive)
    recipients = [{"thumbprint": "AA", "key_id": "k", "subject": "CN=x"}]
    return Manifest(
        "20261125T010203.000Z-0badc0de",
        "2026-11-25T01:02:03Z",
        1000,
        "OnDemand",
        "Succeeded",
        "0.1.0",
        [component],
        recipients,
    )


VALID_BODY = _valid_manifest().to_body()
VALID_MANIFEST = encode_signed(_valid_manifest(), KEY)


@st.composite
def manifest_bodies(draw: st.DrawFn) -> Any:
    """Valid-looking bodies with fields dropped, added or given values of the wrong type."""
    body = json.loads(json.dumps(VALID_BODY))
    for _ in range(draw(st.integers(1, 3))):
        components = body.get("components")
        nested = isinstance(components, list) and components and isinstance(components[0], dict)
        target = components[0] if nested and draw(st.booleans()) else body
        key = draw(st.sampled_from([*target.keys(), "extra"]))
        if draw(st.integers(0, 3)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    return draw(st.one_of(st.just(body), json_values))


@pytest.mark.slow
@FUZZ
@given(manifest_bodies())
def test_signed_manifest_bodies(body: Any) -> None:
    """Even a correctly signed body must be well formed before anything uses it."""
    with engine_errors_only("signed manifest bodies"):
        manifest, signer = decode_signed(signed_manifest(body))
        record_from_manifest(manifest, signer, trusted=False).to_dict()
        component_view(manifest)


@st.composite
def damaged_manifests(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID_MANIFEST)
    for position in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=3, unique=True)):
        data[position] ^= draw(st.integers(1, 255))  # distinct positions: two flips never cancel out
    return bytes(data)


@pytest.mark.slow
@FUZZ
@given(st.one_of(damaged_manifests(), st.binary(max_size=2048)))
def test_damaged_manifests(data: bytes) -> None:
    with engine_errors_only("damaged manifests"):
        decode_signed(data)
        raise AssertionError("a damaged manifest was accepted")


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if COUNTS:
        COUNTS.report("fuzz/parsers")


@pytest.mark.slow
def test_every_single_byte_change_of_a_manifest_is_refused() -> None:
    """Exhaustive, not sampled: each of the 255 other values at each position of a signed manifest."""
    original = bytearray(VALID_MANIFEST)
    variants = 0
    for position, value in enumerate(original):
        for mask in range(1, 256):
            original[position] = value ^ mask
            with pytest.raises(AzsBackupError):
                decode_signed(bytes(original))
            variants += 1
        original[position] = value
    record(
        "fuzz/manifest-exhaustive",
        f"{variants} single-byte variants of a {len(original)}-byte signed manifest: all refused",
        variants=variants,
    )
