"""Creating the encryption certificate pair operators configure (.cer) and keep for restores (.pfx)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from azsbackup.crypto.certs import new_self_signed, thumbprint, write_cer, write_pfx
from azsbackup.errors import AlreadyExists, InvalidValue, NotConfigured
from azsbackup.model import SCHEMA, iso
from azsbackup.osutil import writing_output

MIN_PFX_PASSWORD = 8


def create_certificate(name: str, out_dir: Path, password: str | None, *, days: int, key_size: int) -> dict[str, Any]:
    """Write ``out_dir/name.cer`` and the password-protected ``out_dir/name.pfx``; refuse to overwrite either."""
    if not name or any(c in name for c in '/\\:*?"<>|') or name.startswith("."):
        raise InvalidValue(field="name", value=repr(name), allowed="a plain file name stem such as backup-2026")
    if password is None:
        raise NotConfigured(field="pfx password", how="pass it with --password-stdin or AZSBACKUP_PFX_PASSWORD")
    if len(password) < MIN_PFX_PASSWORD:
        raise InvalidValue(
            field="pfx password", value=f"{len(password)} characters", allowed=f"at least {MIN_PFX_PASSWORD}"
        )
    cer, pfx = out_dir / f"{name}.cer", out_dir / f"{name}.pfx"
    for path in (cer, pfx):
        if path.exists():
            raise AlreadyExists(kind="file", name=str(path))
    key, cert = new_self_signed(name, days=days, key_size=key_size)
    with writing_output(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            write_pfx(key, cert, pfx, password.encode("utf-8"))
            write_cer(cert, cer)
        except BaseException:
            for path in (pfx, cer):  # never one half of the pair
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
    return {
        "schema": SCHEMA,
        "cer": str(cer),
        "pfx": str(pfx),
        "thumbprint": thumbprint(cert),
        "subject": cert.subject.rfc4514_string(),
        "not_after": iso(cert.not_valid_after_utc),
    }
