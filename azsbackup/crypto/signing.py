"""The controller's Ed25519 signing key (PyNaCl).

Every manifest is signed with it. Its fingerprint, ``SHA256:`` followed by
the unpadded base64 of the SHA-256 of the 32-byte public key (the form SSH
uses), is what operators compare and pin with ``trust add``.

Key file: the 32-byte seed, raw, readable by the owner only.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from azsbackup.errors import ConfigError, SignatureInvalid
from azsbackup.osutil import write_private_file

if TYPE_CHECKING:
    import nacl.signing

SEED_SIZE = 32


def fingerprint(public_key: bytes) -> str:
    digest = hashlib.sha256(public_key).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


class SigningKey:
    """An Ed25519 key pair; only the seed is ever stored."""

    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> SigningKey:
        import nacl.signing  # PyNaCl is loaded only when a key is used, not to show a fingerprint

        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        seed = path.read_bytes()
        if len(seed) != SEED_SIZE:
            raise ConfigError(f"{path} is not an azsbackup signing key ({len(seed)} bytes, expected {SEED_SIZE})")
        import nacl.signing

        return cls(nacl.signing.SigningKey(seed))

    def save(self, path: Path) -> None:
        write_private_file(path, bytes(self._key))

    @property
    def public_key(self) -> bytes:
        return bytes(self._key.verify_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte detached signature of ``data``."""
        return bytes(self._key.sign(data).signature)

    def __repr__(self) -> str:
        return f"SigningKey({self.fingerprint})"


def verify_signature(public_key: bytes, data: bytes, signature: bytes, subject: str = "manifest") -> None:
    """Raise :class:`SignatureInvalid` unless ``signature`` is ``public_key``'s signature of ``data``."""
    import nacl.exceptions
    import nacl.signing

    try:
        nacl.signing.VerifyKey(public_key).verify(data, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, nacl.exceptions.TypeError) as exc:
        raise SignatureInvalid(subject=subject, detail="the Ed25519 signature does not verify") from exc
