"""Configuration operations: get, partial set, clear; trust pins.

``config get`` is the engine's most frequent call, served by the lean start
(:mod:`azsbackup.fastpath`), so this module imports at load time only what
:func:`configuration_document` needs; everything else (the configuration
dataclasses, certificates, the model) is imported by the function that uses it.
"""

from __future__ import annotations

import re

from azsbackup import SCHEMA
from azsbackup.state.config_view import certificate_view, host_name, load_document, location_space, next_backup
from azsbackup.state.db import transaction

# This module is on the path of ``config get``, whose start-up time is what operators feel:
# azsbackup.errors is imported where an error is raised (that query raises none), and
# typing and the annotation-only names below are not imported at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from cryptography import x509

    from azsbackup.service.controller import Controller
    from azsbackup.state.config import BackupConfiguration, CertificateRef, ConfigUpdate


def certificate_ref(path: Path) -> CertificateRef:
    """The stored reference to the certificate in the .cer file at ``path``."""
    from azsbackup.crypto.certs import load_certificate

    return _ref_of(load_certificate(path))


def _ref_of(cert: x509.Certificate) -> CertificateRef:
    from cryptography.hazmat.primitives.serialization import Encoding

    from azsbackup.crypto.certs import thumbprint
    from azsbackup.model import iso
    from azsbackup.state.config import CertificateRef

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
    """Validate every given field, then store them together (nothing is stored if one is invalid).

    The stored configuration is read inside the write transaction, so a
    concurrent update of other fields is never overwritten with a stale copy.
    """
    from azsbackup.state.config import UNSET

    changes = _validated_changes(update)
    with transaction(controller.db):
        current = controller.config()
        new = _check_location_settings(controller, _merged(current, update, changes), update)
        controller.save_config(new)
    if update.password is not UNSET:
        controller.secrets.set("share_password", update.password or None)
    if update.notifications is not None and update.notifications.smtp_password:
        controller.secrets.set("smtp_password", update.notifications.smtp_password)
    return new


def _validated_changes(update: ConfigUpdate) -> dict[str, Any]:
    """The given fields that do not depend on the stored configuration, each checked (files read) first."""
    from azsbackup.state.config import (
        UNSET,
        check_controller_name,
        check_frequency_hours,
        check_retention_days,
        check_username,
        parse_byte_size,
    )

    changes: dict[str, Any] = {}
    if update.path is not UNSET:
        changes["path"] = validate_path(update.path) if update.path else None
    if update.username is not UNSET:
        changes["username"] = check_username(update.username) if update.username else None
    if update.encryption_cert is not UNSET:
        changes["encryption_cert"] = certificate_ref(update.encryption_cert)
    if update.add_recipient_certs is not UNSET:
        changes["recipient_certs"] = tuple(certificate_ref(p) for p in update.add_recipient_certs)
    if update.frequency_hours is not UNSET:
        changes["frequency_hours"] = check_frequency_hours(update.frequency_hours)
    if update.retention_days is not UNSET:
        changes["retention_days"] = check_retention_days(update.retention_days)
    if update.scheduler_enabled is not UNSET:
        changes["scheduler_enabled"] = bool(update.scheduler_enabled)
    if update.allow_unencrypted is not UNSET:
        changes["allow_unencrypted"] = bool(update.allow_unencrypted)
    if update.allow_insecure_http is not UNSET:
        changes["allow_insecure_http"] = bool(update.allow_insecure_http)
    if update.blob_api_version is not UNSET:
        version = update.blob_api_version
        changes["blob_api_version"] = _check_blob_api_version(version) if version else None
    if update.read_back is not UNSET:
        changes["read_back"] = bool(update.read_back)
    if update.verify_max_bytes is not UNSET:
        changes["verify_max_bytes"] = parse_byte_size("verify-max-bytes", str(update.verify_max_bytes))
    if update.controller_name is not UNSET:
        changes["controller_name"] = check_controller_name(update.controller_name) if update.controller_name else None
    return changes


def _merged(current: BackupConfiguration, update: ConfigUpdate, changes: dict[str, Any]) -> BackupConfiguration:
    """``current`` with ``changes``, adding recipients and notification settings to what is stored."""
    import dataclasses

    from azsbackup.state.config import UNSET

    recipients = () if update.clear_recipient_certs else current.recipient_certs
    known = {r.thumbprint for r in recipients}
    added = changes.pop("recipient_certs", ())
    changes["recipient_certs"] = recipients + tuple(r for r in added if r.thumbprint not in known)
    if update.notifications is not None:
        changes["notifications"] = update.notifications.apply(current.notifications)
    new = dataclasses.replace(current, **changes)
    # The first configuration of a location turns the scheduler on, as in Azure Stack.
    if update.path not in (UNSET, None, "") and current.path is None and update.scheduler_enabled is UNSET:
        new = dataclasses.replace(new, scheduler_enabled=True)
    return new


def _check_blob_api_version(value: str) -> str:
    from azsbackup.storage.blob import check_api_version

    return check_api_version(value)


def _check_location_settings(
    controller: Controller, new: BackupConfiguration, update: ConfigUpdate
) -> BackupConfiguration:
    """Check what the new location needs, before anything is stored: a location whose account is in its
    URL (blob) takes no user name (one given is refused; one left from a share is dropped, one target at a
    time), its transport and the form of its secret (given now, or the stored one it will use)."""
    import dataclasses

    from azsbackup.errors import InvalidValue
    from azsbackup.state.config import UNSET
    from azsbackup.storage import check_settings
    from azsbackup.storage.paths import parse_location

    if not new.path:
        return new
    spec = parse_location(new.path)
    if not spec.uses_username and new.username:
        if update.username not in (UNSET, None, ""):
            raise InvalidValue(
                field="username", value=repr(update.username), allowed="none with a blob location (the URL names it)"
            )
        new = dataclasses.replace(new, username=None)
    password = update.password if update.password is not UNSET else controller.secrets.get("share_password")
    check_settings(spec, password=password or None, allow_insecure_http=new.allow_insecure_http)
    return new


def configuration_warnings(config: BackupConfiguration) -> list[tuple[str, str]]:
    """(code, message) of settings that weaken the transport, for ``config set`` to warn about."""
    from azsbackup.storage import transport_warning
    from azsbackup.storage.paths import parse_location

    if not config.path:
        return []
    warning = transport_warning(parse_location(config.path), allow_insecure_http=config.allow_insecure_http)
    return [("insecure-http", warning)] if warning else []


def clear_configuration(controller: Controller) -> BackupConfiguration:
    """Back to defaults (12 h, 7 days, no location, no certificate); components and backups are kept."""
    from azsbackup.state.config import BackupConfiguration

    controller.save_config(BackupConfiguration())
    controller.secrets.clear()
    return BackupConfiguration()


def configuration_document(controller: Controller) -> dict[str, Any]:
    """``config get``: everything but secrets; certificates by thumbprint and subject only.

    It reads the stored document as plain JSON values (:mod:`azsbackup.state.config_view`),
    not as :meth:`Controller.config`'s dataclass: the same values, a faster start.
    """
    config = load_document(controller.db)
    last = controller.db.execute("SELECT max(created) AS c FROM backups").fetchone()["c"]
    notifications = config["notifications"]
    return {
        "schema": SCHEMA,
        "path": config["path"],
        "username": config["username"],
        "password_set": controller.secrets.get("share_password") is not None,
        "encryption_cert": certificate_view(config["encryption_cert"]) if config["encryption_cert"] else None,
        "recipient_certs": [certificate_view(r) for r in config["recipient_certs"]],
        "frequency_hours": config["frequency_hours"],
        "retention_days": config["retention_days"],
        "scheduler_enabled": config["scheduler_enabled"],
        "allow_unencrypted": config["allow_unencrypted"],
        "allow_insecure_http": config["allow_insecure_http"],
        "blob_api_version": config["blob_api_version"],
        "notifications": {
            "smtp": {k: v for k, v in (notifications.get("smtp") or {}).items()} or None,
            "webhook": notifications.get("webhook"),
            "alertmanager": notifications.get("alertmanager") or [],
        },
        "controller_name": config["controller_name"] or host_name(),
        "read_back": config["read_back"],
        "verify_max_bytes": config["verify_max_bytes"],
        "last_backup": last,
        "next_backup": next_backup(controller.db, config["frequency_hours"]),
        "location_space": location_space(controller.db, config["path"]),
        "controller_home": str(controller.home),
        "signing_key_fingerprint": controller.signing_fingerprint,
    }


_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")


def add_trusted_key(controller: Controller, fingerprint: str, note: str = "") -> None:
    from azsbackup.errors import InvalidValue
    from azsbackup.model import iso, utc_now

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
    from azsbackup.errors import NotFound

    with transaction(controller.db) as db:
        if db.execute("DELETE FROM trusted_keys WHERE fingerprint = ?", (fingerprint,)).rowcount == 0:
            raise NotFound(kind="trusted key", name=fingerprint, how="azsbackup trust list")


def trust_document(controller: Controller) -> dict[str, Any]:
    own = controller.signing_key.fingerprint
    rows = controller.db.execute("SELECT * FROM trusted_keys ORDER BY added").fetchall()
    keys = [{"fingerprint": own, "source": "this controller", "added": None}]
    keys += [{"fingerprint": r["fingerprint"], "source": "pinned", "added": r["added"]} for r in rows]
    return {"schema": SCHEMA, "keys": keys}
