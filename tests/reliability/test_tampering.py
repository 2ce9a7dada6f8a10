"""Corruption and tampering at rest: 1 000 seeded byte flips across archives and manifests, then whole-file attacks.

Every damaged backup must fail ``verify`` with an integrity or trust error, and a restore of it must refuse
and leave no plaintext behind. Byte flips are drawn per region so that each region gets its share: archive
preambles and headers, recipient blocks, segment bodies (length prefixes, ciphertext, tags), the last 64
bytes of an archive, and the signed manifest. Whole-file attacks: truncation, extension, archives swapped
between components and between backups, an old manifest replayed after a rekey, a signature forged by
editing the body, a manifest re-signed by a stranger's key.

The service layer is called in-process (the same functions the CLI calls) so a thousand trials take
seconds; the CLI path of the same checks is in ``tests/cli/test_integrity.py``.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from azsbackup.archive.format import read_header
from azsbackup.archive.manifest import Manifest, decode_signed, encode_signed
from azsbackup.archive.reader import ArchiveReader
from azsbackup.crypto.certs import load_private_key
from azsbackup.crypto.signing import SigningKey
from azsbackup.errors import AzsBackupError, ExitCode, WrongKey
from azsbackup.events import EventSink
from azsbackup.service.controller import Controller
from azsbackup.service.maintenance import rekey_backups
from azsbackup.service.restore import restore_backup
from azsbackup.service.verify import verify_backup
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.reliability.figures import floor_in_ci, record

SEED = 20261125
POSITIONS = floor_in_ci("AZSBACKUP_TAMPER_POSITIONS", 1000)
SEGMENT_POSITIONS = floor_in_ci("AZSBACKUP_SEGMENT_TAMPER_POSITIONS", 400)
RESTORE_EVERY = 20  # a restore attempt for every 20th flip: refusing and leaving nothing is the property
DETECTED = {ExitCode.INTEGRITY, ExitCode.UNTRUSTED}  # "not found" is not a detection: nothing was checked
REGIONS = ("archive header", "recipients", "segments", "archive tail", "manifest")


def write_tree(root: Path, rng: random.Random) -> None:
    """Enough data for several 4 MiB segments per archive, compressible and not."""
    root.mkdir(parents=True)
    (root / "random.bin").write_bytes(rng.randbytes(6 << 20))
    (root / "log.txt").write_text("".join(f"{i} service started on node-{i % 7}\n" for i in range(60_000)))
    (root / "nested").mkdir()
    for index in range(30):
        (root / "nested" / f"n{index}.cfg").write_bytes(rng.randbytes(rng.randint(0, 9000)))


@pytest.fixture
def two_backups(configured: Engine, tmp_path: Path) -> tuple[Engine, list[str]]:
    rng = random.Random(SEED)
    write_tree(tmp_path / "alpha", rng)
    write_tree(tmp_path / "beta", rng)
    configured.run("component", "add", "alpha", "--type", "directory", "--path", str(tmp_path / "alpha"))
    configured.run("component", "add", "beta", "--type", "directory", "--path", str(tmp_path / "beta"))
    ids = [configured.run("backup", "start").json["id"] for _ in range(2)]
    return configured, ids


def private_key(cert_pair: CertPair) -> RSAPrivateKey:
    key, _cert = load_private_key(cert_pair.pfx, cert_pair.password.encode())
    return key


def region_bounds(path: Path) -> dict[str, tuple[int, int]]:
    """Byte ranges [start, end) of each region of one file of a backup."""
    size = path.stat().st_size
    if path.name == "manifest.json":
        return {"manifest": (0, size)}
    with path.open("rb") as stream:
        header = read_header(stream)
    recipients_start = len(header.header_bytes)  # the preamble (14 bytes) and the header
    return {
        "archive header": (0, recipients_start),
        "recipients": (recipients_start, header.data_offset),
        "segments": (header.data_offset, size - 64),
        "archive tail": (size - 64, size),
    }


@contextmanager
def flipped(path: Path, offset: int, mask: int) -> Iterator[None]:
    """Flip bits of one byte in place for the duration of the block, then put it back."""
    with path.open("r+b") as handle:
        handle.seek(offset)
        original = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([original ^ mask]))
    try:
        yield
    finally:
        with path.open("r+b") as handle:
            handle.seek(offset)
            handle.write(bytes([original]))


def detection(action: Callable[[], object]) -> str:
    """The error code ``action`` failed with; fails the test if it succeeded or failed in a way not meant for it."""
    try:
        action()
    except AzsBackupError as exc:
        assert exc.exit_code in DETECTED, f"{exc.code}: {exc.message}"
        return exc.code
    raise AssertionError("tampering went unnoticed")


def refuses_restore(controller: Controller, backup_id: str, key: RSAPrivateKey, target: Path) -> str:
    code = detection(lambda: restore_backup(controller, backup_id, key, EventSink(), to=target))
    leftovers = [p for p in target.rglob("*") if p.is_file()] if target.exists() else []
    assert leftovers == [], f"plaintext left behind: {leftovers[:3]}"
    shutil.rmtree(target, ignore_errors=True)
    return code


@pytest.mark.slow
def test_seeded_byte_flips_are_all_detected(
    two_backups: tuple[Engine, list[str]], cert_pair: CertPair, tmp_path: Path
) -> None:
    engine, ids = two_backups
    controller = Controller(engine.home)
    key = private_key(cert_pair)
    backup_id = ids[0]
    files = sorted((engine.home / "store" / backup_id).iterdir())
    bounds = {path: region_bounds(path) for path in files}
    rng = random.Random(SEED)
    per_region: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    restores = 0
    for trial in range(POSITIONS):
        region = REGIONS[trial % len(REGIONS)]
        path = rng.choice([p for p in files if region in bounds[p]])
        start, end = bounds[path][region]
        offset = rng.randrange(start, end)
        with flipped(path, offset, rng.randint(1, 255)):
            codes[detection(lambda: verify_backup(controller, backup_id, EventSink()))] += 1
            if trial % RESTORE_EVERY == 0:
                refuses_restore(controller, backup_id, key, tmp_path / "restore-target")
                restores += 1
        per_region[region] += 1
    verify_backup(controller, backup_id, EventSink(), private_key=key)  # every byte was put back: intact again
    regions = ", ".join(f"{name} {count}" for name, count in per_region.items())
    record(
        "tamper/byte-flips",
        f"{POSITIONS} seeded flips ({regions}): {POSITIONS} detected by verify, "
        f"{restores} restores refused with no plaintext left",
        positions=POSITIONS,
        detected=sum(codes.values()),
        restores_refused=restores,
        codes=dict(codes),
    )


ARCHIVE_REGIONS = ("archive header", "recipients", "segments", "archive tail")


def drain(path: Path, backup_id: str, component: str, key: RSAPrivateKey) -> int:
    with path.open("rb") as stream:
        reader = ArchiveReader(stream, key, expected_backup_id=backup_id, expected_component=component)
        return reader.drain()


def recipient_text_only(original: bytes, damaged: bytes, offset: int) -> bool:
    """Whether a flip in the recipient block changed only ``subject`` or ``thumbprint`` text (outside the AAD)."""
    header = read_header(io.BytesIO(original))
    start = len(header.header_bytes) + 4
    if offset < start:
        return False
    try:
        before = json.loads(original[start : header.data_offset])
        after = json.loads(damaged[start : header.data_offset].decode("utf-8"))
    except ValueError:
        return False
    keys = [(r["key_id"], r["wrapped_key"]) for r in before]
    return isinstance(after, list) and keys == [(r.get("key_id"), r.get("wrapped_key")) for r in after]


@pytest.mark.slow
def test_flips_past_the_whole_file_hash_are_caught_by_the_archive_itself(
    two_backups: tuple[Engine, list[str]], cert_pair: CertPair
) -> None:
    """The attacker skips (or could recompute) the manifest's SHA-256: the archive's own checks must hold.

    Each flip is read by the archive reader alone, the way ``verify --deep`` and restore read after the
    hash: header flips fail the first segment's authentication (the header is its associated data),
    segment flips fail their tag or length checks, tail flips the last tag. The recipient block is outside
    the authenticated data by design (rekey rewrites it); a flip there must either stop the key from
    unwrapping or change only the ``subject``/``thumbprint`` text, leaving the plaintext exactly as it was.
    """
    engine, ids = two_backups
    key = private_key(cert_pair)
    backup_id = ids[0]
    paths = sorted((engine.home / "store" / backup_id).glob("*.azsb"))
    bounds = {path: region_bounds(path) for path in paths}
    items = {path: drain(path, backup_id, path.name.split(".")[0], key) for path in paths}
    rng = random.Random(SEED + 1)
    per_region: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    text_only = 0
    for trial in range(SEGMENT_POSITIONS):
        region = ARCHIVE_REGIONS[trial % len(ARCHIVE_REGIONS)]
        path = rng.choice(paths)
        start, end = bounds[path][region]
        offset = rng.randrange(start, end)
        original = path.read_bytes() if region == "recipients" else b""
        with flipped(path, offset, rng.randint(1, 255)):
            try:
                count = drain(path, backup_id, path.name.split(".")[0], key)
            except AzsBackupError as exc:
                assert exc.exit_code == ExitCode.INTEGRITY or isinstance(exc, WrongKey), f"{exc.code}: {exc.message}"
                codes[exc.code] += 1
            else:
                assert region == "recipients", f"a flip at {offset} of {path.name} ({region}) went unnoticed"
                assert recipient_text_only(original, path.read_bytes(), offset), f"flip at {offset} of {path.name}"
                assert count == items[path]
                text_only += 1
        per_region[region] += 1
    detected = sum(codes.values())
    regions = ", ".join(f"{name} {count}" for name, count in per_region.items())
    record(
        "tamper/past-the-hash",
        f"{SEGMENT_POSITIONS} seeded flips read without the manifest's SHA-256 ({regions}): {detected} refused by "
        f"the archive's own checks ({', '.join(f'{c} {n}' for c, n in sorted(codes.items()))}); {text_only} changed "
        "only a recipient's subject or thumbprint text, outside the authenticated data by design, plaintext intact",
        positions=SEGMENT_POSITIONS,
        detected=detected,
        recipient_text_only=text_only,
        codes=dict(codes),
        per_region=dict(per_region),
    )


def truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size - 1000)


def extend(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(os.urandom(512))


def resign(path: Path, key: SigningKey, change: Callable[[Manifest], Manifest]) -> None:
    manifest, _signer = decode_signed(path.read_bytes())
    path.write_bytes(encode_signed(change(manifest), key))


def forge_body(path: Path) -> None:
    """Edit the signed body (a component's size) and keep the old signature."""
    text = path.read_text("utf-8")
    position = text.index('"size": ') + len('"size": ')
    path.write_text(text[:position] + "9" + text[position:], "utf-8")


def test_whole_file_attacks_are_all_detected(
    two_backups: tuple[Engine, list[str]], cert_pair: CertPair, tmp_path: Path
) -> None:
    engine, (first, second) = two_backups
    controller = Controller(engine.home)
    key = private_key(cert_pair)
    store = engine.home / "store"
    stranger = SigningKey.generate()

    def swap_components() -> None:
        alpha, beta = store / second / "alpha.azsb", store / second / "beta.azsb"
        alpha_bytes = alpha.read_bytes()
        alpha.write_bytes(beta.read_bytes())
        beta.write_bytes(alpha_bytes)

    def swap_backups() -> None:
        shutil.copyfile(store / first / "alpha.azsb", store / second / "alpha.azsb")

    def replay_after_rekey() -> None:
        """The old manifest put back, each rekeyed archive under the old name it lists (else: plain "not found")."""
        old_manifest = (store / second / "manifest.json").read_bytes()
        rekey_backups(controller, second, key, cert_pair.cer, EventSink())
        for rekeyed in (store / second).glob("*.*.azsb"):
            rekeyed.rename(store / second / f"{rekeyed.name.split('.')[0]}.azsb")
        (store / second / "manifest.json").write_bytes(old_manifest)

    attacks: dict[str, Callable[[], None]] = {
        "truncated archive": lambda: truncate(store / second / "alpha.azsb"),
        "extended archive": lambda: extend(store / second / "beta.azsb"),
        "archives swapped between components": swap_components,
        "archive swapped between backups": swap_backups,
        "old manifest replayed after rekey": replay_after_rekey,
        "body edited under the old signature": lambda: forge_body(store / second / "manifest.json"),
        "manifest re-signed by a stranger": lambda: resign(store / second / "manifest.json", stranger, lambda m: m),
    }
    pristine = tmp_path / "pristine"
    shutil.copytree(store / second, pristine)
    outcomes = {}
    for name, attack in attacks.items():
        attack()
        verified = detection(lambda: verify_backup(controller, second, EventSink()))
        refused = refuses_restore(controller, second, key, tmp_path / "restore-target")
        outcomes[name] = f"{verified}/{refused}"
        shutil.rmtree(store / second)
        shutil.copytree(pristine, store / second)
    verify_backup(controller, second, EventSink(), private_key=key)
    record(
        "tamper/whole-file",
        f"{len(attacks)} of {len(attacks)} attacks detected by verify and refused by restore",
        attacks=outcomes,
    )


def test_manifest_bytes_are_exactly_what_was_signed(two_backups: tuple[Engine, list[str]]) -> None:
    """JSON whitespace is not covered by the signature; the reader still refuses a manifest that differs."""
    engine, (backup_id, _second) = two_backups
    path = engine.home / "store" / backup_id / "manifest.json"
    data = path.read_bytes()
    path.write_bytes(data.replace(b'\n "body"', b'\n\t"body"', 1))
    assert path.read_bytes() != data
    with pytest.raises(AzsBackupError) as raised:
        verify_backup(Controller(engine.home), backup_id, EventSink())
    assert raised.value.code == "format-error"
    decode_signed(data)  # the untouched bytes still parse and verify
