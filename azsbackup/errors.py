"""The one error hierarchy of azsbackup.

Every failure the engine knows about is a subclass of :class:`AzsBackupError`
with a stable kebab-case ``code`` (what scripts and the PowerShell module match
on), an ``exit_code`` from :class:`ExitCode`, a message template and a hint.
The class docstring's first line describes the condition for the generated
error table in ``docs/json-api.md``.

Messages are rendered from the keyword facts passed to the constructor, so a
message never depends on ``str()`` of an arbitrary object that might carry a
secret. Causes are chained with ``raise ... from exc`` and shown only with
``--debug``.

Only :mod:`azsbackup.cli` turns these into exit codes and JSON; every other
layer just raises them.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Iterator
from typing import ClassVar


class ExitCode(enum.IntEnum):
    """Process exit codes. Values are part of the engine contract and never change."""

    OK = 0
    WARNINGS = 1
    ERROR = 2
    PARTIAL = 3
    CONFIG_INVALID = 10
    LOCATION_UNREACHABLE = 11
    AUTHENTICATION_FAILED = 12
    LOCKED = 13
    NOT_FOUND = 14
    INTEGRITY = 15
    UNTRUSTED = 16
    KEY_INVALID = 17
    LOCATION_ERROR = 18
    INTERRUPTED = 130


class _Facts(dict[str, object]):
    """Format mapping that renders a missing fact as ``<name?>`` instead of raising."""

    def __missing__(self, key: str) -> str:
        return f"<{key}?>"


def _render(template: str, facts: dict[str, object]) -> str:
    return string.Formatter().vformat(template, (), _Facts(facts))


class AzsBackupError(Exception):
    """An error of unknown cause."""

    code: ClassVar[str] = "unknown-error"
    exit_code: ClassVar[ExitCode] = ExitCode.ERROR
    template: ClassVar[str] = "{detail}"
    hint_template: ClassVar[str] = "Run the command again with --debug and report the output."

    def __init__(self, detail: str = "", *, hint: str | None = None, **facts: object) -> None:
        self.facts: dict[str, object] = {"detail": detail, **facts}
        self.message = _render(self.template, self.facts)
        self.hint = hint if hint is not None else _render(self.hint_template, self.facts)
        super().__init__(self.message)

    def to_dict(self) -> dict[str, object]:
        """The error as the JSON object of the engine contract."""
        return {
            "type": "error",
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "exit_code": int(self.exit_code),
        }


class Interrupted(AzsBackupError):
    """The operation was interrupted (Ctrl+C or SIGTERM)."""

    code = "interrupted"
    exit_code = ExitCode.INTERRUPTED
    template = "interrupted"
    hint_template = "Nothing partial was published; run the command again."


# --- configuration and input -------------------------------------------------


class ConfigError(AzsBackupError):
    """The configuration or a command-line value is invalid."""

    code = "config-invalid"
    exit_code = ExitCode.CONFIG_INVALID
    hint_template = "Check the value and run the command again."


class InvalidValue(ConfigError):
    """A field was given a value outside what is allowed."""

    code = "invalid-value"
    template = "invalid {field}: {value}; allowed: {allowed}"
    hint_template = "Use a value that is allowed for {field}."


class UsageError(ConfigError):
    """The command line is malformed: unknown option, missing argument, value of the wrong type or range."""

    code = "usage-error"
    template = "{detail}"
    hint_template = "Run: {command} --help"


class NotConfigured(ConfigError):
    """A setting the operation needs has not been configured yet."""

    code = "not-configured"
    template = "{field} is not configured"
    hint_template = "Set it first: {how}"


class CertificateInvalid(ConfigError):
    """A certificate or key file cannot be used."""

    code = "certificate-invalid"
    template = "{path}: {detail}"
    hint_template = "Give a .cer (PEM or DER) with an RSA public key of at least 2048 bits."


class StateSchemaTooNew(ConfigError):
    """The controller's state database was written by a newer engine, with a schema this one does not know."""

    code = "state-schema-too-new"
    template = "{path} has state schema version {version}; this engine knows versions up to {supported}"
    hint_template = (
        "Run the azsbackup release that last used this controller, or a newer one; this engine changed nothing in it."
    )


class StateUnavailable(AzsBackupError):
    """The controller's state database could not be read or written: its disk is full, read-only or failing."""

    code = "state-unavailable"
    template = "the controller's state database under {home} could not be used: {detail}"
    hint_template = (
        "Free space on the file system that holds {home} (df -h) or repair it, then run the command again. "
        "SQLite rolled back the change that failed: nothing recorded before is lost."
    )


# --- locks and lookups -------------------------------------------------------


class Locked(AzsBackupError):
    """Another operation holds the controller's lock."""

    code = "locked"
    exit_code = ExitCode.LOCKED
    template = "a backup is already running on this controller ({holder})"
    hint_template = "Wait for it to finish (azsbackup job list), then run the command again."


class NotFound(AzsBackupError):
    """A named object does not exist."""

    code = "not-found"
    exit_code = ExitCode.NOT_FOUND
    template = "{kind} {name} was not found"
    hint_template = "List what exists with: {how}"


class AlreadyExists(ConfigError):
    """A named object exists already."""

    code = "already-exists"
    template = "{kind} {name} exists already"
    hint_template = "Choose another name, or remove the existing one first."


class RestoreTargetNotEmpty(AzsBackupError):
    """A restore would overwrite existing data and --force was not given."""

    code = "restore-target-exists"
    exit_code = ExitCode.ERROR
    template = "{path} exists and is not empty; restore will not overwrite it"
    hint_template = "Restore with --to into an empty directory, or pass --force to replace it."


class OutputNotWritable(AzsBackupError):
    """A file or directory the operator named for output (report, certificate, restore target) cannot be written."""

    code = "output-not-writable"
    exit_code = ExitCode.ERROR
    template = "cannot write {path}: {reason}"
    hint_template = "Name a path whose parent is a directory you can write, on a file system with room for the output."


# --- integrity, authenticity, keys ------------------------------------------


class IntegrityError(AzsBackupError):
    """Stored backup data failed an integrity check."""

    code = "integrity-error"
    exit_code = ExitCode.INTEGRITY
    template = "{subject}: {detail}"
    hint_template = (
        "The backup is damaged or was tampered with; do not restore from it. "
        "Use another backup and check the storage that held this one."
    )


class FormatError(IntegrityError):
    """A file is not an azsbackup archive or manifest, or is malformed."""

    code = "format-error"


class UnsupportedFormatVersion(IntegrityError):
    """An archive or manifest uses a format version this engine does not know."""

    code = "unsupported-format-version"
    template = "{subject}: format version {version} is not supported (this engine reads {supported})"
    hint_template = "Use an azsbackup release that supports format version {version}."


class AuthenticationTagMismatch(IntegrityError):
    """An encrypted segment failed authentication (modified, reordered, spliced or truncated)."""

    code = "mac-mismatch"


class ChecksumMismatch(IntegrityError):
    """A stored file's size or SHA-256 differs from the signed manifest."""

    code = "checksum-mismatch"


class SignatureInvalid(IntegrityError):
    """A manifest's Ed25519 signature does not verify."""

    code = "signature-invalid"


class UnsafeArchiveMember(IntegrityError):
    """An archive member would be written outside the restore target or is of a refused type."""

    code = "unsafe-archive-member"
    template = "{subject}: refused member {member!r}: {detail}"
    hint_template = (
        "The archive contains an entry azsbackup never writes; treat the backup as hostile. Nothing outside "
        "the restore target was written."
    )


class ArchiveLimitExceeded(IntegrityError):
    """An archive exceeds a safety limit (oversized header, decompression bomb)."""

    code = "archive-limit-exceeded"


class Untrusted(AzsBackupError):
    """A backup is signed by a key this controller does not trust."""

    code = "untrusted-signer"
    exit_code = ExitCode.UNTRUSTED
    template = "backup {backup_id} is signed by {signer}, which this controller does not trust"
    hint_template = (
        "Compare the fingerprint with the one 'azsbackup config get' shows on the controller that made the "
        "backup, then pin it with: azsbackup trust add {signer}"
    )


class DecryptionKeyError(AzsBackupError):
    """A decryption key cannot be used."""

    code = "key-invalid"
    exit_code = ExitCode.KEY_INVALID
    template = "{detail}"
    hint_template = "Give the .pfx (or PEM private key) of a certificate the backup was encrypted to."


class WrongKey(DecryptionKeyError):
    """The decryption key is not one the archive was encrypted to."""

    code = "wrong-key"
    template = "{subject}: the key {thumbprint} is not a recipient (recipients: {recipients})"


class BadKeyPassword(DecryptionKeyError):
    """The password of a .pfx or encrypted PEM key is wrong."""

    code = "bad-key-password"
    template = "{path}: the password is wrong or the file is damaged"
    hint_template = "Give the password the .pfx was exported with (--key-password-stdin or AZSBACKUP_PFX_PASSWORD)."


# --- providers ---------------------------------------------------------------


class ProviderError(AzsBackupError):
    """A component provider failed to produce or take back its data."""

    code = "provider-error"
    template = "component {component}: {detail}"
    hint_template = "Check the component's settings (azsbackup component list) and that its source is reachable."


class SourceMissing(ProviderError):
    """A component's source (directory, database, host) does not exist."""

    code = "source-missing"
    template = "component {component}: {path} does not exist"


class CommandFailed(ProviderError):
    """A dump or restore command exited with an error or timed out."""

    code = "command-failed"
    template = "component {component}: {detail}"
    hint_template = "Run the command by hand as the engine's user; its stderr tail is in the job events."


# --- storage locations -------------------------------------------------------


class LocationError(AzsBackupError):
    """The storage location failed an operation."""

    code = "location-error"
    exit_code = ExitCode.LOCATION_ERROR
    template = "{location}: {detail}"
    hint_template = "Check the location with: azsbackup location test"


class LocationUnreachable(LocationError):
    """The share's server cannot be reached over the network."""

    code = "share-unreachable"
    exit_code = ExitCode.LOCATION_UNREACHABLE
    hint_template = (
        "Check that the file server is up, the name resolves from this host and TCP port {port} is open; "
        "then run: azsbackup location test"
    )


class LocationConnectionLost(LocationUnreachable):
    """The connection to the share was lost in the middle of a transfer."""

    code = "share-connection-lost"


class InvalidPath(LocationError):
    """The share or a folder of the external path does not exist."""

    code = "invalid-path"
    hint_template = (
        "Map the share from another computer to check the path, then set the right one with azsbackup config set --path"
    )


class LocationAuthFailed(LocationError):
    """The share rejected the configured credentials."""

    code = "authentication-failed"
    exit_code = ExitCode.AUTHENTICATION_FAILED
    hint_template = (
        "Check the user name and password (azsbackup config set --username U --password-stdin) and that the "
        "account is not locked out."
    )


class AccessDenied(LocationError):
    """The share is reachable but the account may not write to it."""

    code = "cannot-write"
    hint_template = "Give the backup account read and write permission on the share and the folder."


class LocationFull(LocationError):
    """The location ran out of space."""

    code = "share-full"
    hint_template = "Add capacity to the share or lower the retention period, then run a backup again."


class EncryptionNotSupported(LocationError):
    """The share cannot encrypt SMB traffic and unencrypted transfer was not allowed."""

    code = "encryption-not-supported"
    hint_template = (
        "Enable SMB3 encryption on the file server, or accept unencrypted transport with "
        "azsbackup config set --allow-unencrypted (backups stay encrypted at rest)."
    )


# --- blob storage (Azure Blob, Azure Stack Hub storage accounts) ------------------


class BlobAuthFailed(LocationAuthFailed):
    """The blob service refused the account key or the SAS token (wrong key, malformed or revoked SAS)."""

    code = "blob-authentication-failed"
    hint_template = (
        "Copy a key of the storage account (or a new SAS token) from the portal and set it with: "
        "azsbackup config set --password-stdin; then run: azsbackup location test"
    )


class BlobSasExpired(LocationAuthFailed):
    """The SAS token is outside its validity period (expired, or not valid yet)."""

    code = "blob-sas-expired"
    hint_template = (
        "Create a SAS token that is valid for longer than the retention period (permissions r, w, d, l) and set "
        "it with: azsbackup config set --password-stdin"
    )


class BlobPermissionDenied(AccessDenied):
    """The SAS token does not allow an operation export needs (read, write, delete or list)."""

    code = "blob-permission-denied"
    hint_template = (
        "Create a SAS token with the permissions r, w, d and l (read, write, delete, list) on the container and "
        "set it with: azsbackup config set --password-stdin"
    )


class BlobContainerMissing(InvalidPath):
    """The blob container of the external path does not exist."""

    code = "blob-container-missing"
    hint_template = (
        "Create the container in the storage account (azsbackup writes into it but never creates it), or set "
        "the right URL with: azsbackup config set --path https://ACCOUNT.blob.SUFFIX/CONTAINER"
    )


class BlobUnreachable(LocationUnreachable):
    """The blob endpoint cannot be reached (the name does not resolve, nothing listens, or the network drops it)."""

    code = "blob-unreachable"
    hint_template = (
        "Check that the storage endpoint's name resolves from this host and that TCP port {port} is open to it; "
        "then run: azsbackup location test"
    )


class BlobTlsError(LocationUnreachable):
    """The blob endpoint's TLS certificate failed validation, or the TLS handshake failed."""

    code = "blob-tls-error"
    hint_template = (
        "Trust the certificate authority of the storage endpoint on this host (on Azure Stack Hub, its root "
        "certificate) and check the URL's host name; then run: azsbackup location test"
    )


class BlobThrottled(LocationUnreachable):
    """The blob service kept answering busy (503) or internal error (500) after the bounded retries."""

    code = "blob-throttled"
    hint_template = (
        "The storage account is overloaded or over its request rate; the next run retries and catches up. If it "
        "persists, move the backups to a less loaded account or schedule them at a quieter time."
    )


class BlobConnectionLost(LocationConnectionLost):
    """The connection to the blob endpoint was lost in the middle of a transfer."""

    code = "blob-connection-lost"
    hint_template = (
        "Nothing partial was published (uncommitted blocks are discarded by the service); the next run exports "
        "what is missing. If it keeps happening, check the network path to the storage endpoint."
    )


class BlobApiVersionUnsupported(LocationError):
    """The blob endpoint does not serve the configured REST API version."""

    code = "blob-api-version-unsupported"
    exit_code = ExitCode.CONFIG_INVALID
    hint_template = (
        "Set a REST API version the endpoint serves (Azure Stack Hub serves 2019-02-02) with: "
        "azsbackup config set --blob-api-version 2019-02-02"
    )


# --- remote control ------------------------------------------------------------


class RemoteError(AzsBackupError):
    """A remote call over WinRM failed."""

    code = "remote-error"
    template = "{host}: {detail}"
    hint_template = "See docs/remote.md for the WinRM troubleshooting table."


class RemoteUnreachable(RemoteError):
    """The WinRM endpoint cannot be reached."""

    code = "remote-unreachable"
    exit_code = ExitCode.LOCATION_UNREACHABLE
    hint_template = "Check the host name, the port (5986 for HTTPS) and that WinRM listens there."


class RemoteTlsError(RemoteError):
    """The WinRM endpoint's TLS certificate failed validation."""

    code = "remote-tls-error"
    hint_template = (
        "Install the host's certificate authority, or pin the certificate with --ca-cert; only on a test "
        "network use --no-cert-validation."
    )


class RemoteAuthFailed(RemoteError):
    """The WinRM endpoint rejected the credentials."""

    code = "remote-authentication-failed"
    exit_code = ExitCode.AUTHENTICATION_FAILED
    hint_template = "Check the user name (DOMAIN\\user or user@domain) and password, and the --auth method."


class RemoteCommandError(RemoteError):
    """A command on the remote host reported an error."""

    code = "remote-command-error"
    template = "{host}: {error_id}: {detail}"


class RemoteTimeout(RemoteError):
    """A remote host did not finish within the operation timeout."""

    code = "remote-timeout"
    template = "{host}: {detail}"
    hint_template = (
        "Check the host's load and its WinRM service; give long operations more time with --operation-timeout."
    )


def iter_error_classes(root: type[AzsBackupError] = AzsBackupError) -> Iterator[type[AzsBackupError]]:
    """Yield ``root`` and every subclass, depth first, in definition order."""
    yield root
    for sub in root.__subclasses__():
        yield from iter_error_classes(sub)


def error_from_document(document: dict[str, object]) -> AzsBackupError:
    """The error another engine process reported as its JSON object: same class (by code), message and hint."""
    cls = next((c for c in iter_error_classes() if c.code == document.get("code")), AzsBackupError)
    error = cls.__new__(cls)
    error.facts = {}
    error.message = str(document.get("message") or "")
    error.hint = str(document.get("hint") or "")
    Exception.__init__(error, error.message)
    return error


def error_table_markdown() -> str:
    """The error table of docs/json-api.md, generated from the classes above (a test keeps them equal)."""
    rows = ["| code | exit | meaning |", "| --- | --- | --- |"]
    seen: set[str] = set()
    for cls in iter_error_classes():
        if cls.code in seen:
            continue
        seen.add(cls.code)
        meaning = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append(f"| `{cls.code}` | {int(cls.exit_code)} | {meaning} |")
    return "\n".join(rows)


def exit_code_table_markdown() -> str:
    rows = ["| exit | name |", "| --- | --- |"]
    rows += [f"| {int(code)} | `{code.name.lower().replace('_', '-')}` |" for code in ExitCode]
    return "\n".join(rows)
