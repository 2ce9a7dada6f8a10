"""Fuzzing the archive reader and the tar parser: only the engine's own typed errors, never a crash."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsbackup.archive.format import read_header
from azsbackup.archive.tarstream import TarReader
from azsbackup.errors import AzsBackupError
from tests.archive.helpers import build, read_all, seal_raw_tar

VALID = build()
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip":
            data[position] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=64))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        else:
            del data[position:]
        if not data:
            break
    return bytes(data)


@FUZZ
@given(mutated())
def test_damaged_archives_raise_only_engine_errors(data: bytes) -> None:
    try:
        read_all(data)
    except AzsBackupError:
        return


@FUZZ
@given(st.binary(max_size=4096))
def test_header_parser_on_arbitrary_bytes(data: bytes) -> None:
    try:
        read_header(io.BytesIO(data))
    except AzsBackupError:
        return


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._stream.read(n)


@FUZZ
@given(st.binary(max_size=8192))
def test_tar_parser_on_arbitrary_bytes(data: bytes) -> None:
    try:
        for _item, content in TarReader(_Bytes(data), "fuzz"):
            if content is not None:
                content.read()
    except AzsBackupError:
        return


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=512, max_size=4096))
def test_sealed_garbage_tar_raises_only_engine_errors(raw: bytes) -> None:
    try:
        read_all(seal_raw_tar(raw))
    except AzsBackupError:
        return
