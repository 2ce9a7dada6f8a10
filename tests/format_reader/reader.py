"""An independent reader of azsbackup backups, written from docs/format.md alone.

It imports nothing from ``azsbackup``: it is what someone holding only the document would write, in a few
hundred lines, with Python's standard library, ``cryptography`` and ``zstandard``. The tests run it against
new backups and against the committed version 1 backup; when it disagrees with the engine, either the
document or the engine is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"\x89AZSB\r\n\x1a"
SCHEMAS = {
    "azsbackup-manifest/2": (2, b"azsbackup-manifest-v2\x00"),
    "azsbackup-manifest/1": (1, b"azsbackup-manifest-v1\x00"),
}
MAX_SAFE = 2**53 - 1


class Refused(Exception):
    """The backup breaks a rule of the document."""


# --- section 5: JSON ------------------------------------------------------------------------------

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def json_string(text: str) -> str:
    out = []
    for char in text:
        if char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # version 1 only: Python's repr()
        return repr(value)
    raise Refused(f"not a JSON value: {value!r}")


def canonical(value: Any) -> str:
    """5.1: no whitespace, members sorted."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_string(k)}:{canonical(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return _scalar(value)


def stored(value: Any, depth: int = 0) -> str:
    """5.2: one member or element per line, one space of indentation per level."""
    inner, outer = " " * (depth + 1), " " * depth
    if isinstance(value, dict) and value:
        lines = [f"{inner}{json_string(k)}: {stored(value[k], depth + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(lines) + "\n" + outer + "}"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(inner + stored(v, depth + 1) for v in value) + "\n" + outer + "]"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def _portable(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_portable(v) for v in value.values())
    if isinstance(value, list):
        return all(_portable(v) for v in value)
    if isinstance(value, bool | float):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_SAFE
    return value is None or isinstance(value, str)


def _b64(text: str, padded: bool = True) -> bytes:
    raw = base64.b64decode(text + ("" if padded else "=" * (-len(text) % 4)), validate=True)
    again = base64.b64encode(raw).decode()
    if (again if padded else again.rstrip("=")) != text:
        raise Refused("base64 is not canonical")
    return raw


def name_of(obj: dict[str, Any], field: str) -> bytes:
    """The exact bytes of a text member: its ``_b64`` sibling when present (json-api.md's rule)."""
    if f"{field}_b64" in obj:
        return base64.b64decode(obj[f"{field}_b64"], validate=True)
    return str(obj[field]).encode("utf-8")


# --- section 4: the manifest ----------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    version: int
    body: dict[str, Any]
    signer: str


def verify_manifest(data: bytes) -> Manifest:
    if len(data) > 16 << 20:
        raise Refused("manifest too large")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused("not JSON") from exc
    if not isinstance(document, dict) or set(document) != {"schema", "body", "signature"}:
        raise Refused("not a manifest")
    if document["schema"] not in SCHEMAS:
        raise Refused(f"unknown schema {document['schema']!r}")
    version, domain = SCHEMAS[document["schema"]]
    if stored(document).encode("utf-8") != data:
        raise Refused("the file is not the 5.2 serialisation of its content")
    signature, body = document["signature"], document["body"]
    if not isinstance(body, dict) or not isinstance(signature, dict):
        raise Refused("body and signature must be objects")
    if set(signature) != {"alg", "public_key", "signer", "value"} or signature["alg"] != "ed25519":
        raise Refused("bad signature block")
    public = _b64(signature["public_key"])
    digest = _b64(signature["signer"].removeprefix("SHA256:"), padded=False)
    if not signature["signer"].startswith("SHA256:") or digest != hashlib.sha256(public).digest():
        raise Refused("signer does not name the key")
    if version == 2 and not _portable(body):
        raise Refused("a version 2 body holds only strings, safe integers and null")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(_b64(signature["value"]), domain + canonical(body).encode())
    except (InvalidSignature, ValueError) as exc:
        raise Refused("bad signature") from exc
    if body.get("format_version") != version:
        raise Refused("format_version does not match the schema")
    for component in body.get("components", []):
        _check_component_names(component)
    return Manifest(version, body, signature["signer"])


COMPONENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RESERVED = {"con", "prn", "aux", "nul", *(f"{p}{n}" for p in ("com", "lpt") for n in range(10))}


def _check_component_names(component: dict[str, Any]) -> None:
    """4.1: the component name follows section 1, the archive file is <name>.azsb or <name>.<tag>.azsb."""
    name = component.get("name")
    if not isinstance(name, str) or not COMPONENT_NAME.fullmatch(name) or name.lower() in RESERVED:
        raise Refused(f"component name {name!r} is not allowed")
    archive = component.get("archive")
    if archive is not None and not re.fullmatch(re.escape(name) + r"(\.[0-9a-f]{6})?\.azsb", str(archive.get("file"))):
        raise Refused(f"archive file of {name} is not <name>[.<tag>].azsb")


def check_backup(directory: Path, trusted: set[str]) -> Manifest:
    """Verification without a key (4.2): signature, trust, id, sizes and hashes, archive headers."""
    manifest = verify_manifest((directory / "manifest.json").read_bytes())
    if manifest.signer not in trusted:
        raise Refused(f"untrusted signer {manifest.signer}")
    if manifest.body["backup_id"] != directory.name:
        raise Refused("the manifest names another backup")
    for component in manifest.body["components"]:
        archive = component["archive"]
        if archive is None:
            continue
        data = (directory / archive["file"]).read_bytes()
        if len(data) != archive["size"] or hashlib.sha256(data).hexdigest() != archive["sha256"]:
            raise Refused(f"{archive['file']}: size or SHA-256 differs")
        header = parse_archive(data).header
        if (header["backup_id"], header["component"]) != (directory.name, component["name"]):
            raise Refused(f"{archive['file']} belongs to another backup or component")
    return manifest


# --- section 2: the archive -----------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    version: int
    header: dict[str, Any]
    aad: bytes
    recipients: list[dict[str, str]]
    segments_at: int


def parse_archive(data: bytes) -> Archive:
    if data[:8] != MAGIC:
        raise Refused("bad magic")
    (version, h) = struct.unpack(">HI", data[8:14])
    if version not in (1, 2) or h > 65536:
        raise Refused("bad version or header length")
    header = json.loads(data[14 : 14 + h].decode("utf-8"))
    if header.get("suite") != "zstd+aes-256-gcm-stream" or not 65536 <= header.get("segment_size", 0) <= 64 << 20:
        raise Refused("bad header")
    if len(header["nonce_prefix"]) != 14 or header["nonce_prefix"] != header["nonce_prefix"].lower():
        raise Refused("bad nonce prefix")
    (r,) = struct.unpack(">I", data[14 + h : 18 + h])
    if r > 1 << 20:
        raise Refused("recipient block too large")
    recipients = json.loads(data[18 + h : 18 + h + r].decode("utf-8"))
    return Archive(version, header, hashlib.sha256(data[: 14 + h]).digest(), recipients, 18 + h + r)


def decrypt(data: bytes, key: rsa.RSAPrivateKey, backup_id: str, component: str) -> tuple[int, bytes]:
    """(archive version, the tar stream); every segment authenticated."""
    archive = parse_archive(data)
    if (archive.header["backup_id"], archive.header["component"]) != (backup_id, component):
        raise Refused("archive swapped")
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    mine = [e for e in archive.recipients if e["key_id"] == hashlib.sha256(spki).hexdigest()]
    if not mine:
        raise Refused("not a recipient")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    try:
        aead = AESGCM(key.decrypt(_b64(mine[0]["wrapped_key"]), oaep))
    except ValueError as exc:
        raise Refused("the data key does not unwrap") from exc
    size, prefix = archive.header["segment_size"], bytes.fromhex(archive.header["nonce_prefix"])
    pos, index, out = archive.segments_at, 0, []
    while pos < len(data):
        if pos + 4 > len(data):
            raise Refused("truncated length")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if not 17 <= length <= size + 17 or pos + 4 + length > len(data):
            raise Refused("impossible segment length")
        sealed, pos = data[pos + 4 : pos + 4 + length], pos + 4 + length
        last = pos == len(data)
        try:
            plain = aead.decrypt(prefix + struct.pack(">IB", index, int(last)), sealed, archive.aad)
        except InvalidTag as exc:
            raise Refused(f"segment {index} does not authenticate") from exc
        if plain[0] == 0:
            body = plain[1:]
        elif plain[0] == 1:
            try:
                body = zstandard.ZstdDecompressor().decompress(plain[1:], max_output_size=size)
            except zstandard.ZstdError as exc:
                raise Refused("bad zstd frame") from exc
        else:
            raise Refused("unknown codec")
        if len(body) > size or (not last and len(body) != size):
            raise Refused("segment decodes to the wrong size")
        out.append(body)
        index += 1
    if index == 0:
        raise Refused("no segments")
    return archive.version, b"".join(out)


# --- section 3: the tar stream --------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: bytes
    kind: str  # file, directory, symlink
    mode: int
    mtime_ns: int
    target: bytes
    data: bytes


def _octal(field: bytes) -> int:
    text = field.replace(b"\0", b" ").strip()
    return int(text, 8) if text else 0


def _mtime(record: bytes, version: int) -> int:
    negative = record.startswith(b"-")
    whole, _, fraction = record.lstrip(b"-").partition(b".")
    nanos = int((fraction + b"000000000")[:9]) if fraction else 0
    if version == 1:  # 8: the sign on the whole seconds only
        return (-int(whole) if negative else int(whole)) * 10**9 + nanos
    value = int(whole) * 10**9 + nanos
    return -value if negative else value


def members(tar: bytes, version: int) -> list[Member]:
    found: list[Member] = []
    rules = Rules()
    pos, pax = 0, {}
    while True:
        block = tar[pos : pos + 512]
        if len(block) < 512:
            raise Refused("the stream ends inside a header")
        if block == bytes(512):
            if tar[pos:].count(0) != len(tar) - pos:
                raise Refused("data after the end")
            return found
        if _octal(block[148:156]) != sum(block[:148]) + 256 + sum(block[156:]):
            raise Refused("header checksum")
        kind, size = block[156:157], _octal(block[124:136])
        pos += 512
        if kind == b"x":
            if size > 64 << 10:
                raise Refused("pax header too large")
            pax = _pax(tar[pos : pos + size])
            pos += size + (-size % 512)
            continue
        name = pax.get(b"path") or block[:100].split(b"\0")[0]
        if block[257:262] == b"ustar" and block[345:500].strip(b"\0") and b"path" not in pax:
            name = block[345:500].split(b"\0")[0] + b"/" + name
        size = int(pax[b"size"]) if b"size" in pax else size
        types = {b"0": "file", b"\0": "file", b"5": "directory", b"2": "symlink"}
        if kind not in types:
            raise Refused(f"member type {kind!r}")
        target = (pax.get(b"linkpath") or block[157:257].split(b"\0")[0]) if types[kind] == "symlink" else b""
        mtime = _mtime(pax[b"mtime"], version) if b"mtime" in pax else _octal(block[136:148]) * 10**9
        data = tar[pos : pos + size] if types[kind] == "file" else b""
        if len(data) != (size if types[kind] == "file" else 0):
            raise Refused("the stream ends inside a file")
        member = Member(name.rstrip(b"/"), types[kind], _octal(block[100:108]) & 0o7777, mtime, target, data)
        rules.check(member)
        found.append(member)
        pos += len(data) + (-len(data) % 512)
        pax = {}


def _pax(body: bytes) -> dict[bytes, bytes]:
    records, pos = {}, 0
    while pos < len(body):
        space = body.index(b" ", pos)
        length = int(body[pos:space])
        key, _, value = body[space + 1 : pos + length - 1].partition(b"=")
        records[key] = value
        pos += length
    return records


class Rules:
    """3.2, rules 2 to 7, as the document states them."""

    def __init__(self) -> None:
        self.names: set[bytes] = set()
        self.parents: set[bytes] = set()
        self.links: dict[bytes, bytes] = {}
        self.passed: dict[bytes, set[bytes]] = {}

    def check(self, member: Member) -> None:
        name = member.name
        parts = name.split(b"/")
        if not name or b"\0" in name or name[:1] in (b"/", b"\\") or name[1:2] == b":":
            raise Refused(f"name {name!r}")
        if any(p in (b"", b".", b"..") for p in parts) or len(name.decode("utf-8", "surrogateescape")) > 4096:
            raise Refused(f"name {name!r}")
        if name in self.names:
            raise Refused(f"{name!r} twice")
        parents = [b"/".join(parts[:i]) for i in range(1, len(parts))]
        if any(p in self.links for p in parents):
            raise Refused(f"{name!r} runs through a link")
        if member.kind == "symlink":
            target = member.target
            if not target or b"\0" in target or target[:1] in (b"/", b"\\") or target[1:2] == b":":
                raise Refused(f"link target {target!r}")
            if name in self.parents:
                raise Refused(f"link {name!r} over a directory in use")
            if not self._inside(name, target):
                raise Refused(f"link {name!r} leaves the root")
            self.links[name] = target
            for earlier in self.passed.get(name, set()).copy():
                if not self._inside(earlier, self.links[earlier]):
                    raise Refused(f"link {name!r} makes {earlier!r} leave the root")
        self.names.add(name)
        self.parents.update(parents)

    def _inside(self, link: bytes, target: bytes) -> bool:
        passed: set[bytes] = set()
        inside = self._resolve(link.split(b"/")[:-1], target, 0, passed) is not None
        for name in passed:
            self.passed.setdefault(name, set()).add(link)
        return inside

    def _resolve(self, path: list[bytes] | None, target: bytes, depth: int, passed: set[bytes]) -> list[bytes] | None:
        steps = [s for s in target.split(b"/") if s not in (b"", b".")]
        path = list(path) if path is not None else None
        for index, step in enumerate(steps):
            if path is None:
                return None
            if step == b"..":
                if not path:
                    return None
                path.pop()
                continue
            path.append(step)
            joined = b"/".join(path)
            if index < len(steps) - 1:
                passed.add(joined)
            if joined in self.links:
                if depth >= 40:
                    raise Refused("too many links")
                path = self._resolve(path[:-1], self.links[joined], depth + 1, passed)
        return path


def read_backup(directory: Path, trusted: set[str], key: rsa.RSAPrivateKey) -> dict[str, list[Member]]:
    """Everything: check the backup, then decrypt and parse each archive."""
    manifest = check_backup(directory, trusted)
    result = {}
    for component in manifest.body["components"]:
        if component["archive"] is not None:
            data = (directory / component["archive"]["file"]).read_bytes()
            version, tar = decrypt(data, key, directory.name, component["name"])
            result[component["name"]] = members(tar, version)
    return result
