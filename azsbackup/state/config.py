"""Backup configuration: the fields of Azure Stack's backup location, their defaults and rules.

The configuration is one JSON document in the ``settings`` table. Updates are
partial: a field that is not given keeps its value (Azure Stack's
``Set-AzsBackupConfiguration -BackupFrequencyInHours 10`` changes only that).
Every value is validated before anything is written, so a rejected update
leaves the stored configuration as it was.

The share password is not part of this document: it lives in the
controller's secrets file (:mod:`azsbackup.state.secrets`).

``config get`` reads the stored document through :mod:`azsbackup.state.config_view`
instead, which needs no dataclasses; the defaults are defined there.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from azsbackup.errors import InvalidValue
from azsbackup.model import parse_byte_size as parse_byte_size
from azsbackup.state.config_view import DEFAULT_FREQUENCY_HOURS as DEFAULT_FREQUENCY_HOURS
from azsbackup.state.config_view import DEFAULT_RETENTION_DAYS as DEFAULT_RETENTION_DAYS
from azsbackup.state.config_view import DEFAULT_VERIFY_MAX_BYTES as DEFAULT_VERIFY_MAX_BYTES
from azsbackup.state.config_view import SETTINGS_KEY as SETTINGS_KEY
from azsbackup.state.config_view import certificate_view

FREQUENCY_HOURS = range(4, 13)
RETENTION_DAYS = range(2, 15)

_CONTROLLER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_USERNAME = re.compile(r"^(?:[^\\/@\s]+\\[^\\/@\s]+|[^\\/@\s]+@[^\\/@\s]+\.[^\\/@\s]+|[^\\/@\s]+)$")


@dataclass(frozen=True)
class CertificateRef:
    """A certificate the backups are encrypted to: its PEM text and what people see of it."""

    pem: str
    thumbprint: str
    subject: str
    not_after: str

    def public_view(self) -> dict[str, str]:
        return certificate_view(vars(self))


@dataclass(frozen=True)
class BackupConfiguration:
    """The controller's backup settings (no secrets)."""

    path: str | None = None
    username: str | None = None
    encryption_cert: CertificateRef | None = None
    recipient_certs: tuple[CertificateRef, ...] = ()
    frequency_hours: int = DEFAULT_FREQUENCY_HOURS
    retention_days: int = DEFAULT_RETENTION_DAYS
    scheduler_enabled: bool = False
    allow_unencrypted: bool = False
    allow_insecure_http: bool = False
    """A blob location may be plain ``http://`` (test setups and emulators)."""
    blob_api_version: str | None = None
    """The blob REST API version to ask for; None: the pinned default of :mod:`azsbackup.storage.blob`."""
    notifications: dict[str, Any] = field(default_factory=dict)
    controller_name: str | None = None
    """The name of this controller in metrics and alerts (None: the host name)."""
    read_back: bool = False
    """Export reads every file back from the external location and compares its SHA-256 before the rename."""
    verify_max_bytes: int = DEFAULT_VERIFY_MAX_BYTES
    """Bytes of exported backups the scheduled ``location verify`` reads back per run (0: none)."""

    @property
    def all_recipients(self) -> tuple[CertificateRef, ...]:
        primary = (self.encryption_cert,) if self.encryption_cert else ()
        return primary + self.recipient_certs

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BackupConfiguration:
        raw = json.loads(text)
        cert = raw.pop("encryption_cert", None)
        recipients = raw.pop("recipient_certs", [])
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(
            encryption_cert=CertificateRef(**cert) if cert else None,
            recipient_certs=tuple(CertificateRef(**r) for r in recipients),
            **{k: v for k, v in raw.items() if k in known},
        )


def check_frequency_hours(value: int) -> int:
    if value not in FREQUENCY_HOURS:
        raise InvalidValue(field="frequency-hours", value=value, allowed="a whole number of hours from 4 to 12")
    return value


def check_retention_days(value: int) -> int:
    if value not in RETENTION_DAYS:
        raise InvalidValue(field="retention-days", value=value, allowed="a whole number of days from 2 to 14")
    return value


def check_username(value: str) -> str:
    if not _USERNAME.match(value):
        raise InvalidValue(field="username", value=repr(value), allowed="DOMAIN\\user, user@domain.tld or user")
    return value


def check_controller_name(value: str) -> str:
    if not _CONTROLLER_NAME.match(value):
        raise InvalidValue(
            field="controller-name",
            value=repr(value),
            allowed="1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit",
        )
    return value


def check_http_url(field_name: str, value: str) -> str:
    """An http(s) URL with no password in it: the configuration is shown by ``config get``."""
    from urllib.parse import urlsplit

    if not value.startswith(("http://", "https://")):
        raise InvalidValue(field=field_name, value=repr(value), allowed="an http:// or https:// URL")
    if urlsplit(value).password is not None:
        raise InvalidValue(
            field=field_name,
            value="a URL with a password in it",
            allowed="an http:// or https:// URL without user:password@ (it would show in config get)",
        )
    return value


# --- partial updates (``config set``): what to change, validated before anything is stored ---

UNSET: Any = object()
"""The value of a :class:`ConfigUpdate` field that was not given."""


@dataclass
class NotificationUpdate:
    """Changes to alert notifications; None keeps a value."""

    smtp_server: str | None = None
    smtp_from: str | None = None
    smtp_to: list[str] | None = None
    smtp_starttls: bool | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    webhook_url: str | None = None
    alertmanager_urls: list[str] | None = None
    clear: bool = False

    def apply(self, current: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {} if self.clear else json.loads(json.dumps(current))
        smtp = dict(result.get("smtp") or {})
        if self.smtp_server is not None:
            host, _, port = (
                self.smtp_server.rpartition(":") if ":" in self.smtp_server else (self.smtp_server, "", "25")
            )
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise InvalidValue(field="smtp-server", value=repr(self.smtp_server), allowed="HOST or HOST:PORT")
            smtp.update(host=host, port=int(port))
        for key, value in (
            ("sender", self.smtp_from),
            ("recipients", self.smtp_to),
            ("starttls", self.smtp_starttls),
            ("username", self.smtp_username),
        ):
            if value is not None:
                smtp[key] = value
        if smtp:
            if "host" not in smtp:
                raise InvalidValue(
                    field="smtp-server", value="(not set)", allowed="HOST[:PORT] with other SMTP options"
                )
            result["smtp"] = smtp
        if self.webhook_url is not None:
            result["webhook"] = check_http_url("webhook-url", self.webhook_url)
        if self.alertmanager_urls is not None:
            result["alertmanager"] = [check_http_url("alertmanager-url", u) for u in self.alertmanager_urls]
        return result


@dataclass
class ConfigUpdate:
    """Fields to change; anything left at ``UNSET`` keeps its current value."""

    path: Any = UNSET
    username: Any = UNSET
    password: Any = UNSET
    encryption_cert: Any = UNSET  # Path to a .cer
    add_recipient_certs: Any = UNSET  # list of Paths
    clear_recipient_certs: bool = False
    frequency_hours: Any = UNSET
    retention_days: Any = UNSET
    scheduler_enabled: Any = UNSET
    allow_unencrypted: Any = UNSET
    allow_insecure_http: Any = UNSET
    blob_api_version: Any = UNSET  # "" goes back to the default
    notifications: NotificationUpdate | None = None
    controller_name: Any = UNSET
    read_back: Any = UNSET
    verify_max_bytes: Any = UNSET  # text, as given: "10G"


def load(conn: sqlite3.Connection) -> BackupConfiguration:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTINGS_KEY,)).fetchone()
    return BackupConfiguration.from_json(row["value"]) if row else BackupConfiguration()


def save(conn: sqlite3.Connection, config: BackupConfiguration) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (SETTINGS_KEY, config.to_json()),
    )
