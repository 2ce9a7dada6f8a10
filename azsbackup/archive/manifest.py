"""The signed manifest of a backup (``manifest.json``), written last.

File layout (JSON, UTF-8)::

    {
      "schema": "azsbackup-manifest/1",
      "body": { ... the Manifest below ... },
      "signature": {"alg": "ed25519", "public_key": <base64>, "signer": "SHA256:…", "value": <base64>}
    }

The signature covers ``b"azsbackup-manifest-v1\\0"`` followed by the canonical
JSON of ``body`` (sorted keys, no spaces, UTF-8). Verifying the signature
proves the body is what the signer wrote; whether the signer is trusted is
the service's decision, not this module's.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from azsbackup.archive.format import canonical_json
from azsbackup.crypto.signing import SigningKey, fingerprint, verify_signature
from azsbackup.errors import FormatError, UnsupportedFormatVersion

SCHEMA = "azsbackup-manifest/1"
FORMAT_VERSION = 1
DOMAIN = b"azsbackup-manifest-v1\x00"


@dataclass(frozen=True)
class ArchiveRef:
    file: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ManifestComponent:
    name: str
    type: str
    status: str
    size: int
    stored_size: int
    duration_s: float
    error_code: str | None
    error_message: str | None
    archive: ArchiveRef | None
    warnings: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    backup_id: str
    created: str
    duration_s: float
    trigger: str
    status: str
    engine_version: str
    components: list[ManifestComponent]
    recipients: list[dict[str, str]]
    format_version: int = FORMAT_VERSION

    @property
    def size(self) -> int:
        return sum(c.size for c in self.components)

    @property
    def stored_size(self) -> int:
        return sum(c.stored_size for c in self.components)

    def to_body(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Manifest:
        components = [
            ManifestComponent(**{**c, "archive": ArchiveRef(**c["archive"]) if c["archive"] else None})
            for c in body["components"]
        ]
        return cls(**{**body, "components": components})


@dataclass(frozen=True)
class SignerInfo:
    fingerprint: str
    public_key: bytes


def encode_signed(manifest: Manifest, key: SigningKey) -> bytes:
    body = manifest.to_body()
    signature = key.sign(DOMAIN + canonical_json(body))
    document = {
        "schema": SCHEMA,
        "body": body,
        "signature": {
            "alg": "ed25519",
            "public_key": base64.b64encode(key.public_key).decode("ascii"),
            "signer": key.fingerprint,
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def decode_signed(data: bytes, subject: str = "manifest.json") -> tuple[Manifest, SignerInfo]:
    """Parse and signature-check a manifest; raise FormatError, UnsupportedFormatVersion or SignatureInvalid."""
    try:
        document = json.loads(data.decode("utf-8"))
        schema = document["schema"]
        body = document["body"]
        sig = document["signature"]
        public_key = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise FormatError(subject=subject, detail="not a valid azsbackup manifest") from exc
    if schema != SCHEMA:
        raise UnsupportedFormatVersion(subject=subject, version=schema, supported=SCHEMA)
    if sig.get("alg") != "ed25519":
        raise FormatError(subject=subject, detail=f"unknown signature algorithm {sig.get('alg')!r}")
    verify_signature(public_key, DOMAIN + canonical_json(body), value, subject)
    try:
        manifest = Manifest.from_body(body)
    except (KeyError, TypeError) as exc:
        raise FormatError(subject=subject, detail="the manifest body lacks required fields") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise UnsupportedFormatVersion(subject=subject, version=manifest.format_version, supported=FORMAT_VERSION)
    return manifest, SignerInfo(fingerprint(public_key), public_key)
