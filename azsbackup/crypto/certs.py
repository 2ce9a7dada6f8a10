"""X.509 certificates: the public side backups are encrypted to, and the private keys restores need.

Certificates are only key-transport containers, as in Azure Stack: no chain
or trust validation is done, but the key must be RSA of at least 2048 bits.
Thumbprints are SHA-1 of the DER certificate in upper-case hex (what Windows
and Azure Stack show); recipients are matched by ``key_id``, the SHA-256 of
the public key's SubjectPublicKeyInfo, which survives re-issuing a
certificate for the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from azsbackup.errors import BadKeyPassword, CertificateInvalid
from azsbackup.osutil import write_file_atomic, write_private_file

MIN_RSA_BITS = 2048
MAX_FILE_SIZE = 1 << 20


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_SIZE:
            raise CertificateInvalid(path=str(path), detail="the file is too large to be a certificate or key")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise CertificateInvalid(path=str(path), detail="no such file") from exc
    except IsADirectoryError as exc:
        raise CertificateInvalid(path=str(path), detail="is a directory, not a file") from exc
    except OSError as exc:
        raise CertificateInvalid(path=str(path), detail=f"cannot be read ({exc.strerror})") from exc


def load_certificate(path: Path) -> x509.Certificate:
    """Load a ``.cer`` in PEM or DER form and check that its key can encrypt backups."""
    data = _read(path)
    try:
        cert = (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN CERTIFICATE-----" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError as exc:
        raise CertificateInvalid(path=str(path), detail="is not an X.509 certificate (PEM or DER)") from exc
    check_encryption_key(cert, path)
    return cert


def check_encryption_key(cert: x509.Certificate, path: Path | str) -> None:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise CertificateInvalid(path=str(path), detail=f"has a {type(key).__name__} key; an RSA key is required")
    if key.key_size < MIN_RSA_BITS:
        raise CertificateInvalid(
            path=str(path), detail=f"has a {key.key_size}-bit RSA key; {MIN_RSA_BITS}+ is required"
        )


def rsa_public_key(cert: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's RSA key (every certificate azsbackup accepts has one)."""
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise CertificateInvalid(path=cert.subject.rfc4514_string(), detail="has no RSA key")
    return key


def recipient_identity(cert: x509.Certificate) -> dict[str, str]:
    """How manifests and archive headers name a recipient certificate."""
    return {
        "thumbprint": thumbprint(cert),
        "subject": cert.subject.rfc4514_string(),
        "key_id": key_id(rsa_public_key(cert)),
    }


def thumbprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - an identifier, as Windows shows it


def key_id(public_key: rsa.RSAPublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def load_private_key(path: Path, password: bytes | None) -> tuple[rsa.RSAPrivateKey, x509.Certificate | None]:
    """Load a ``.pfx``/``.p12`` (password required) or a PEM private key (optionally encrypted)."""
    data = _read(path)
    if b"-----BEGIN" in data:
        return _load_pem_key(path, data, password), None
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        if _looks_like_pkcs12(data):
            raise BadKeyPassword(path=str(path)) from exc
        raise CertificateInvalid(path=str(path), detail="is not a .pfx/.p12 or PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateInvalid(path=str(path), detail="does not contain an RSA private key")
    return key, cert


def _looks_like_pkcs12(data: bytes) -> bool:
    """A DER SEQUENCE whose first element is INTEGER 3: the PFX version (RFC 7292)."""
    return len(data) > 8 and data[0] == 0x30 and b"\x02\x01\x03" in data[2:8]


def _load_pem_key(path: Path, data: bytes, password: bytes | None) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError as exc:  # encrypted without a password, or a password for an unencrypted key
        raise BadKeyPassword(path=str(path)) from exc
    except ValueError as exc:
        if b"ENCRYPTED" in data:
            raise BadKeyPassword(path=str(path)) from exc
        raise CertificateInvalid(path=str(path), detail="is not a PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateInvalid(path=str(path), detail="does not contain an RSA private key")
    return key


def new_self_signed(
    common_name: str, *, days: int = 730, key_size: int = 3072
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed certificate for key transport (keyEncipherment, dataEncipherment)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def write_cer(cert: x509.Certificate, path: Path) -> None:
    write_file_atomic(path, cert.public_bytes(serialization.Encoding.PEM))


def write_pfx(key: rsa.RSAPrivateKey, cert: x509.Certificate, path: Path, password: bytes) -> None:
    """A PKCS#12 file Windows imports: PBES2 with AES-256-CBC, PBKDF2 and an HMAC-SHA256 MAC."""
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(100_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password)
    )
    data = pkcs12.serialize_key_and_certificates(b"azsbackup", key, cert, None, encryption)
    write_private_file(path, data)
