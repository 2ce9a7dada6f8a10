"""The signed manifest of a backup (``manifest.json``), written last.

File layout (JSON, UTF-8)::

    {
      "schema": "azsbackup-manifest/2",
      "body": { ... the Manifest below ... },
      "signature": {"alg": "ed25519", "public_key": <base64>, "signer": "SHA256:…", "value": <base64>}
    }

The signature covers ``b"azsbackup-manifest-v2\\0"`` followed by the canonical
JSON of ``body`` (sorted keys, no spaces, UTF-8). The body holds only strings,
integers, null, arrays and objects, so every language writes its canonical
form alike (RFC 8785 for this subset); times are integer milliseconds.
Verifying the signature proves the body is what the signer wrote; whether the
signer is trusted is the service's decision, not this module's.

Version 1 manifests (schema ``azsbackup-manifest/1``, durations as floating
point seconds, Python's float text in the signed bytes) are still read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from azsbackup.archive.format import canonical_json
from azsbackup.crypto.signing import SigningKey, fingerprint, verify_signature
from azsbackup.errors import FormatError, InvalidValue, UnsupportedFormatVersion
from azsbackup.jsontext import json_safe, restore_text
from azsbackup.model import check_component_name

SCHEMA = "azsbackup-manifest/2"
FORMAT_VERSION = 2
DOMAIN = b"azsbackup-manifest-v2\x00"
V1_SCHEMA = "azsbackup-manifest/1"
V1_DOMAIN = b"azsbackup-manifest-v1\x00"
MAX_MANIFEST = 16 << 20
"""A reader refuses a larger manifest.json before parsing it."""
MAX_INTEGER = 2**53 - 1
"""Integers of the body stay within what every JSON implementation reads exactly."""


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
    duration_ms: int
    error_code: str | None
    error_message: str | None
    archive: ArchiveRef | None
    warnings: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    backup_id: str
    created: str
    duration_ms: int
    trigger: str
    status: str
    engine_version: str
    components: list[ManifestComponent]
    recipients: list[dict[str, str]]
    format_version: int = FORMAT_VERSION
    """The version the manifest was written in (a v1 manifest read today keeps 1)."""

    @property
    def size(self) -> int:
        return sum(c.size for c in self.components)

    @property
    def stored_size(self) -> int:
        return sum(c.stored_size for c in self.components)

    def to_body(self) -> dict[str, Any]:
        """The signed body: text that is not valid Unicode (a file name in a warning) as jsontext writes it."""
        body: dict[str, Any] = json_safe({**asdict(self), "format_version": FORMAT_VERSION})
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any], version: int = FORMAT_VERSION) -> Manifest:
        """Build a manifest from its JSON body; a missing field or a value of the wrong type raises TypeError."""
        if version == 1:
            body = _from_v1(body)
        fields = dict(_checked(body, _MANIFEST_FIELDS, "manifest"))
        if fields.pop("format_version") != version:
            raise TypeError("format_version does not match the schema")
        components = []
        for value in fields["components"]:
            restored = restore_text(value) if isinstance(value, dict) else value
            component = _checked(restored, _COMPONENT_FIELDS, "component")
            archive = component["archive"]
            ref = ArchiveRef(**_checked(archive, _ARCHIVE_FIELDS, "archive")) if archive is not None else None
            _check_names(component["name"], ref)
            _require_string_maps(component.get("warnings", []), "warnings")
            warnings = [restore_text(w) for w in component.get("warnings", [])]
            components.append(ManifestComponent(**{**component, "archive": ref, "warnings": warnings}))
        _require_string_maps(fields["recipients"], "recipients")
        return cls(**{**fields, "components": components, "format_version": version})


def _check_names(component: str, ref: ArchiveRef | None) -> None:
    """A component name and archive file name that are plain file names (format.md 1): a signed manifest
    must not be able to lead a reader outside its backup's directory or restore into ``..``."""
    try:
        check_component_name(component)
    except InvalidValue as exc:
        raise TypeError(f"component name {component!r} is not allowed") from exc
    if ref is not None and not re.fullmatch(rf"{re.escape(component)}(\.[0-9a-f]{{6}})?\.azsb", ref.file):
        raise TypeError(f"archive file {ref.file!r} is not <component>[.<tag>].azsb")


def _from_v1(body: dict[str, Any]) -> dict[str, Any]:
    """A version 1 body in the shape of version 2: durations were floating point seconds."""
    if not isinstance(body, dict) or not isinstance(body.get("components"), list):
        raise TypeError("manifest is not an object with components")
    return {
        **_seconds_to_ms(body),
        "components": [_seconds_to_ms(c) if isinstance(c, dict) else c for c in body["components"]],
    }


def _seconds_to_ms(fields: dict[str, Any]) -> dict[str, Any]:
    seconds = fields.get("duration_s")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise TypeError("duration_s has the wrong type")
    rest = {k: v for k, v in fields.items() if k != "duration_s"}
    return {**rest, "duration_ms": round(seconds * 1000)}


_OPTIONAL_TEXT = (str, type(None))
_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "backup_id": str,
    "created": str,
    "duration_ms": int,
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
    "duration_ms": int,
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


def portable(value: object) -> bool:
    """Whether ``value`` holds only strings, integers within ±(2**53 - 1), null, arrays and objects."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and portable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(portable(v) for v in value)
    if isinstance(value, bool | float):
        return False
    if isinstance(value, int):
        return -MAX_INTEGER <= value <= MAX_INTEGER
    return value is None or isinstance(value, str)


def encode_signed(manifest: Manifest, key: SigningKey) -> bytes:
    body = manifest.to_body()
    if not portable(body):
        raise ValueError("a manifest body holds only strings, safe integers, null, arrays and objects")
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
    if len(data) > MAX_MANIFEST:
        raise FormatError(subject=subject, detail=f"the manifest is larger than {MAX_MANIFEST} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict) or set(document) != {"schema", "body", "signature"}:
            # Anything beside the three members would be outside the signature: a reader could be told it unsigned.
            raise TypeError("the manifest must hold exactly schema, body and signature")
        schema, body, sig = document["schema"], document["body"], document["signature"]
        if not isinstance(sig, dict) or not isinstance(body, dict):
            raise TypeError("signature and body must be objects")
        public_key = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise FormatError(subject=subject, detail="not a valid azsbackup manifest") from exc
    versions = {SCHEMA: (FORMAT_VERSION, DOMAIN), V1_SCHEMA: (1, V1_DOMAIN)}
    if schema not in versions:
        raise UnsupportedFormatVersion(subject=subject, version=schema, supported=SCHEMA)
    version, domain = versions[schema]
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
    if version != 1 and not portable(body):
        raise FormatError(subject=subject, detail="the manifest body holds a number that is not a safe integer")
    verify_signature(public_key, domain + canonical_json(body), value, subject)
    try:
        manifest = Manifest.from_body(body, version)
    except (KeyError, TypeError) as exc:
        raise FormatError(subject=subject, detail=f"the manifest body is not well formed: {exc}") from exc
    return manifest, SignerInfo(fingerprint(public_key), public_key)


def archives_of(manifest: Manifest) -> Iterator[tuple[str, ArchiveRef]]:
    """(component, archive) of every component that has an archive (a failed one has none)."""
    for component in manifest.components:
        if component.archive is not None:
            yield component.name, component.archive
