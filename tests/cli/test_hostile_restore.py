"""A crafted archive in a validly signed backup still writes nothing outside the restore target."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from azsbackup.archive.manifest import ArchiveRef, Manifest, ManifestComponent, encode_signed
from azsbackup.crypto.certs import recipient_identity
from azsbackup.crypto.signing import SigningKey
from azsbackup.model import new_backup_id
from tests.archive.helpers import hostile_tar, info
from tests.engine import Engine
from tests.fixtures.controllers import CertPair


def plant_backup(engine: Engine, cert: CertPair, raw_tar: bytes) -> str:
    """Encrypt ``raw_tar`` to the controller's certificate and sign it with the controller's own key."""
    import io

    from azsbackup.archive.writer import ArchiveWriter
    from azsbackup.crypto.certs import load_certificate

    backup_id = new_backup_id()
    out = io.BytesIO()
    writer = ArchiveWriter(out, backup_id=backup_id, component="tree", recipients=[load_certificate(cert.cer)])
    with writer:
        writer._write(raw_tar)
    data = out.getvalue()
    directory = engine.home / "store" / backup_id
    directory.mkdir(parents=True)
    (directory / "tree.azsb").write_bytes(data)
    component = ManifestComponent(
        "tree",
        "directory",
        "Succeeded",
        len(raw_tar),
        len(data),
        100,
        None,
        None,
        ArchiveRef("tree.azsb", len(data), hashlib.sha256(data).hexdigest()),
    )
    manifest = Manifest(
        backup_id,
        "2026-11-24T10:00:00Z",
        100,
        "manual",
        "Succeeded",
        "0.1.0",
        [component],
        [recipient_identity(load_certificate(cert.cer))],
    )
    key = SigningKey.load(engine.home / "signing.key")
    (directory / "manifest.json").write_bytes(encode_signed(manifest, key))
    return backup_id


@pytest.mark.parametrize(
    "evil",
    [
        info("../../escaped.txt"),
        info("/tmp/azsbackup-absolute-escape.txt"),
        info("sub/link", tarfile.SYMTYPE, "../../../outside"),
        info("abs-link", tarfile.SYMTYPE, "/etc"),
    ],
    ids=["dotdot", "absolute", "outward-link", "absolute-link"],
)
def test_hostile_archive_writes_nothing_outside(
    configured: Engine, cert_pair: CertPair, tmp_path: Path, evil: tarfile.TarInfo
) -> None:
    backup_id = plant_backup(configured, cert_pair, hostile_tar((info("ok.txt"), b"fine"), (evil, b"evil")))
    target = tmp_path / "deep" / "restore"
    before = sorted(p for p in tmp_path.rglob("*"))

    configured.error(
        "restore",
        backup_id,
        "--key",
        str(cert_pair.pfx),
        "--key-password-stdin",
        "--to",
        str(target),
        code="unsafe-archive-member",
        exit_code=15,
        input=cert_pair.password + "\n",
    )

    after = sorted(p for p in tmp_path.rglob("*"))
    created = [p for p in after if p not in before and configured.home not in p.parents]
    assert all(p == target.parent or str(p).startswith(str(target.parent) + "/") for p in created), created
    assert not (target / "tree").exists(), "a half-restored component was published"
    assert not list(target.parent.rglob(".*azsbackup-restore-*")), "staging left behind"
    assert not Path("/tmp/azsbackup-absolute-escape.txt").exists()
