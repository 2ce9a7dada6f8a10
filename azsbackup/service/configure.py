"""Configuration operations: get, partial set, clear; trust pins."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azsbackup.errors import InvalidValue, NotFound
from azsbackup.model import SCHEMA, iso, utc_now
from azsbackup.service.controller import Controller
from azsbackup.state.config import (
    BackupConfiguration,
    CertificateRef,
    check_frequency_hours,
    check_retention_days,
    check_username,
)
from azsbackup.state.db import transaction

if TYPE_CHECKING:
    from cryptography import x509

UNSET: Any = object()


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
            if not self.webhook_url.startswith(("http://", "https://")):
                raise InvalidValue(
                    field="webhook-url", value=repr(self.webhook_url), allowed="an http:// or https:// URL"
                )
            result["webhook"] = self.webhook_url
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
    notifications: NotificationUpdate | None = None


def certificate_ref(path: Path) -> CertificateRef:
    from azsbackup.crypto.certs import load_certificate

    return _ref_of(load_certificate(path))


def _ref_of(cert: x509.Certificate) -> CertificateRef:
    from cryptography.hazmat.primitives.serialization import Encoding

    from azsbackup.crypto.certs import thumbprint

    return CertificateRef(
        pem=cert.public_bytes(Encoding.PEM).decode("ascii"),
        thumbprint=thumbprint(cert),
        subject=cert.subject.rfc4514_string(),
        not_after=iso(cert.not_valid_after_utc) or "",
    )


def validate_path(value: str) -> str:
    """Check the external path's form now, so a bad path is rejected before anything is stored."""
    from azsbackup.storage.paths import parse_location

    parse_location(value)
    return value


def apply_update(controller: Controller, update: ConfigUpdate) -> BackupConfiguration:
    """Validate every given field, then store them together (nothing is stored if one is invalid)."""
    current = controller.config()
    changes: dict[str, Any] = {}
    if update.path is not UNSET:
        changes["path"] = validate_path(update.path) if update.path else None
    if update.username is not UNSET:
        changes["username"] = check_username(update.username) if update.username else None
    if update.encryption_cert is not UNSET:
        changes["encryption_cert"] = certificate_ref(update.encryption_cert)
    recipients = () if update.clear_recipient_certs else current.recipient_certs
    if update.add_recipient_certs is not UNSET:
        added = tuple(certificate_ref(p) for p in update.add_recipient_certs)
        known = {r.thumbprint for r in recipients}
        recipients = recipients + tuple(r for r in added if r.thumbprint not in known)
    changes["recipient_certs"] = recipients
    if update.frequency_hours is not UNSET:
        changes["frequency_hours"] = check_frequency_hours(update.frequency_hours)
    if update.retention_days is not UNSET:
        changes["retention_days"] = check_retention_days(update.retention_days)
    if update.scheduler_enabled is not UNSET:
        changes["scheduler_enabled"] = bool(update.scheduler_enabled)
    if update.allow_unencrypted is not UNSET:
        changes["allow_unencrypted"] = bool(update.allow_unencrypted)
    if update.notifications is not None:
        changes["notifications"] = update.notifications.apply(current.notifications)
    new = dataclasses.replace(current, **changes)
    # The first configuration of a location turns the scheduler on, as in Azure Stack.
    if update.path not in (UNSET, None, "") and current.path is None and update.scheduler_enabled is UNSET:
        new = dataclasses.replace(new, scheduler_enabled=True)
    controller.save_config(new)
    if update.password is not UNSET:
        controller.secrets.set("share_password", update.password or None)
    if update.notifications is not None and update.notifications.smtp_password:
        controller.secrets.set("smtp_password", update.notifications.smtp_password)
    return new


def clear_configuration(controller: Controller) -> BackupConfiguration:
    """Back to defaults (12 h, 7 days, no location, no certificate); components and backups are kept."""
    controller.save_config(BackupConfiguration())
    controller.secrets.clear()
    return BackupConfiguration()


def configuration_document(controller: Controller) -> dict[str, Any]:
    """``config get``: everything but secrets; certificates by thumbprint and subject only."""
    config = controller.config()
    last = controller.db.execute("SELECT max(created) AS c FROM backups").fetchone()["c"]
    return {
        "schema": SCHEMA,
        "path": config.path,
        "username": config.username,
        "password_set": controller.secrets.get("share_password") is not None,
        "encryption_cert": config.encryption_cert.public_view() if config.encryption_cert else None,
        "recipient_certs": [r.public_view() for r in config.recipient_certs],
        "frequency_hours": config.frequency_hours,
        "retention_days": config.retention_days,
        "scheduler_enabled": config.scheduler_enabled,
        "allow_unencrypted": config.allow_unencrypted,
        "notifications": {
            "smtp": {k: v for k, v in (config.notifications.get("smtp") or {}).items()} or None,
            "webhook": config.notifications.get("webhook"),
        },
        "last_backup": last,
        "controller_home": str(controller.home),
        "signing_key_fingerprint": controller.signing_fingerprint,
    }


_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")


def add_trusted_key(controller: Controller, fingerprint: str, note: str = "") -> None:
    if not _FINGERPRINT.match(fingerprint):
        raise InvalidValue(
            field="fingerprint", value=repr(fingerprint), allowed="SHA256: followed by 43 base64 characters"
        )
    with transaction(controller.db) as db:
        db.execute(
            "INSERT OR IGNORE INTO trusted_keys (fingerprint, added, note) VALUES (?, ?, ?)",
            (fingerprint, iso(utc_now()), note),
        )


def remove_trusted_key(controller: Controller, fingerprint: str) -> None:
    with transaction(controller.db) as db:
        if db.execute("DELETE FROM trusted_keys WHERE fingerprint = ?", (fingerprint,)).rowcount == 0:
            raise NotFound(kind="trusted key", name=fingerprint, how="azsbackup trust list")


def trust_document(controller: Controller) -> dict[str, Any]:
    own = controller.signing_key.fingerprint
    rows = controller.db.execute("SELECT * FROM trusted_keys ORDER BY added").fetchall()
    keys = [{"fingerprint": own, "source": "this controller", "added": None}]
    keys += [{"fingerprint": r["fingerprint"], "source": "pinned", "added": r["added"]} for r in rows]
    return {"schema": SCHEMA, "keys": keys}
