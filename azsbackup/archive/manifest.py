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
from collections.abc import Iterator
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
        """Build a manifest from its JSON body; a missing field or a value of the wrong type raises TypeError."""
        fields = _checked(body, _MANIFEST_FIELDS, "manifest")
        components = []
        for value in fields["components"]:
            component = _checked(value, _COMPONENT_FIELDS, "component")
            archive = component["archive"]
            ref = ArchiveRef(**_checked(archive, _ARCHIVE_FIELDS, "archive")) if archive is not None else None
            _require_string_maps(component.get("warnings", []), "warnings")
            components.append(ManifestComponent(**{**component, "archive": ref}))
        _require_string_maps(fields["recipients"], "recipients")
        return cls(**{**fields, "components": components})


_NUMBER = (int, float)
_OPTIONAL_TEXT = (str, type(None))
_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "backup_id": str,
    "created": str,
    "duration_s": _NUMBER,
    "trigger": str,
    "status": str,
    "engine_version": str,
    "components": list,
    "recipients": list,
    "format_version": int,
}
_COMPONENT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "type": str,
    "status": str,
    "size": int,
    "stored_size": int,
    "duration_s": _NUMBER,
    "error_code": _OPTIONAL_TEXT,
    "error_message": _OPTIONAL_TEXT,
    "archive": (dict, type(None)),
    "warnings": list,
}
_ARCHIVE_FIELDS: dict[str, type | tuple[type, ...]] = {"file": str, "size": int, "sha256": str}
_OPTIONAL_FIELDS = {"warnings"}


def _checked(value: object, spec: dict[str, type | tuple[type, ...]], what: str) -> dict[str, Any]:
    """``value`` as a dict holding exactly the fields of ``spec``, each of its type (signed is not well formed)."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} is not an object")
    missing = set(spec) - set(value) - _OPTIONAL_FIELDS
    unknown = set(value) - set(spec)
    if missing or unknown:
        raise TypeError(f"{what}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    for name, item in value.items():
        if not isinstance(item, spec[name]) or isinstance(item, bool):
            raise TypeError(f"{what}.{name} has the wrong type")
    return value


def _require_string_maps(values: list[Any], what: str) -> None:
    if not all(isinstance(v, dict) and all(isinstance(x, str) for x in v.values()) for v in values):
        raise TypeError(f"{what} must be objects of strings")


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
            "public_key": _b64(key.public_key),
            "signer": key.fingerprint,
            "value": _b64(signature),
        },
    }
    return _serialise(document)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _serialise(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def decode_signed(data: bytes, subject: str = "manifest.json") -> tuple[Manifest, SignerInfo]:
    """Parse and signature-check a manifest; raise FormatError, UnsupportedFormatVersion or SignatureInvalid."""
    try:
        document = json.loads(data.decode("utf-8"))
        schema, body, sig = document["schema"], document["body"], document["signature"]
        if not isinstance(sig, dict) or not isinstance(body, dict):
            raise TypeError("signature and body must be objects")
        public_key = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise FormatError(subject=subject, detail="not a valid azsbackup manifest") from exc
    if schema != SCHEMA:
        raise UnsupportedFormatVersion(subject=subject, version=schema, supported=SCHEMA)
    if sig.get("alg") != "ed25519":
        raise FormatError(subject=subject, detail=f"unknown signature algorithm {sig.get('alg')!r}")
    if _serialise(document) != data:
        # The signature covers the body's canonical form; the file must also be exactly the bytes the
        # writer produced, so that no byte of it (whitespace included) can change unnoticed.
        raise FormatError(subject=subject, detail="the manifest is not byte for byte as it was written")
    if set(sig) != {"alg", "public_key", "signer", "value"} or sig["signer"] != fingerprint(public_key):
        raise FormatError(subject=subject, detail="the signature block does not name the key that signed it")
    if _b64(public_key) != sig["public_key"] or _b64(value) != sig["value"]:
        # base64 decoders ignore the padding bits of the last character: a changed bit there must still show
        raise FormatError(subject=subject, detail="the signature block is not in canonical base64")
    verify_signature(public_key, DOMAIN + canonical_json(body), value, subject)
    try:
        manifest = Manifest.from_body(body)
    except (KeyError, TypeError) as exc:
        raise FormatError(subject=subject, detail="the manifest body lacks required fields") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise UnsupportedFormatVersion(subject=subject, version=manifest.format_version, supported=FORMAT_VERSION)
    return manifest, SignerInfo(fingerprint(public_key), public_key)


def archives_of(manifest: Manifest) -> Iterator[tuple[str, ArchiveRef]]:
    """(component, archive) of every component that has an archive (a failed one has none)."""
    for component in manifest.components:
        if component.archive is not None:
            yield component.name, component.archive
