"""Backup configuration: the fields of Azure Stack's backup location, their defaults and rules.

The configuration is one JSON document in the ``settings`` table. Updates are
partial: a field that is not given keeps its value (Azure Stack's
``Set-AzsBackupConfiguration -BackupFrequencyInHours 10`` changes only that).
Every value is validated before anything is written, so a rejected update
leaves the stored configuration as it was.

The share password is not part of this document: it lives in the
controller's secrets file (:mod:`azsbackup.state.secrets`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from azsbackup.errors import InvalidValue

FREQUENCY_HOURS = range(4, 13)
RETENTION_DAYS = range(2, 15)
DEFAULT_FREQUENCY_HOURS = 12
DEFAULT_RETENTION_DAYS = 7

_USERNAME = re.compile(r"^(?:[^\\/@\s]+\\[^\\/@\s]+|[^\\/@\s]+@[^\\/@\s]+\.[^\\/@\s]+|[^\\/@\s]+)$")


@dataclass(frozen=True)
class CertificateRef:
    """A certificate the backups are encrypted to: its PEM text and what people see of it."""

    pem: str
    thumbprint: str
    subject: str
    not_after: str

    def public_view(self) -> dict[str, str]:
        return {"thumbprint": self.thumbprint, "subject": self.subject, "not_after": self.not_after}


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
    notifications: dict[str, Any] = field(default_factory=dict)

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


SETTINGS_KEY = "configuration"


def load(conn: sqlite3.Connection) -> BackupConfiguration:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTINGS_KEY,)).fetchone()
    return BackupConfiguration.from_json(row["value"]) if row else BackupConfiguration()


def save(conn: sqlite3.Connection, config: BackupConfiguration) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (SETTINGS_KEY, config.to_json()),
    )
