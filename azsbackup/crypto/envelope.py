"""Key wrapping (RSA-OAEP-SHA256) and segment sealing (AES-256-GCM)."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from azsbackup.crypto.certs import key_id, recipient_identity, rsa_public_key
from azsbackup.errors import AuthenticationTagMismatch, WrongKey

_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def wrap_key(data_key: bytes, cert: x509.Certificate) -> dict[str, str]:
    """The recipient entry for ``cert``: its identity and the data key encrypted to it."""
    wrapped = rsa_public_key(cert).encrypt(data_key, _OAEP)
    return {**recipient_identity(cert), "wrapped_key": base64.b64encode(wrapped).decode("ascii")}


def unwrap_key(recipients: list[dict[str, str]], private_key: rsa.RSAPrivateKey, subject: str) -> bytes:
    """The data key, from the recipient entry matching ``private_key``."""
    wanted = key_id(private_key.public_key())
    for entry in recipients:
        if entry["key_id"] != wanted:
            continue
        try:
            return private_key.decrypt(base64.b64decode(entry["wrapped_key"], validate=True), _OAEP)
        except (ValueError, TypeError) as exc:
            raise WrongKey(subject=subject, thumbprint=entry["thumbprint"], recipients="(unwrap failed)") from exc
    raise WrongKey(
        subject=subject, thumbprint=wanted[:16], recipients=", ".join(r["thumbprint"] for r in recipients) or "none"
    )


class SegmentCipher:
    """AES-256-GCM with the archive's authenticated data."""

    def __init__(self, key: bytes, aad: bytes) -> None:
        self._aead = AESGCM(key)
        self._aad = aad

    def seal(self, nonce: bytes, plaintext: bytes) -> bytes:
        return self._aead.encrypt(nonce, plaintext, self._aad)

    def open(self, nonce: bytes, sealed: bytes, subject: str, index: int) -> bytes:
        try:
            return self._aead.decrypt(nonce, sealed, self._aad)
        except InvalidTag as exc:
            raise AuthenticationTagMismatch(
                subject=subject,
                detail=f"segment {index} failed authentication (modified, reordered, truncated or spliced)",
            ) from exc
