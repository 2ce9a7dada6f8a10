"""The stored backup configuration as plain JSON values: what ``config get`` shows.

:mod:`azsbackup.state.config` gives the configuration as frozen dataclasses, and
every command that changes or uses it works with those. ``config get`` only shows
it, and it is the call the PowerShell module makes most, so its start-up time is
what an operator feels: importing ``dataclasses`` (which loads ``inspect``) costs
more than the whole query. This module reads the same settings row into the same
values, ``json.loads(BackupConfiguration.to_json())`` (every field present,
defaults for missing ones, unknown keys dropped), with nothing but :mod:`json`.
The defaults are defined here and the dataclass uses them; a test checks that the
two readings agree.
"""

from __future__ import annotations

import json

# typing is not imported at run time: this module is on the path of ``config get``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping
    from typing import Any

SETTINGS_KEY = "configuration"
"""The row of the ``settings`` table that holds the configuration document."""

DEFAULT_FREQUENCY_HOURS = 12
DEFAULT_RETENTION_DAYS = 7

CERTIFICATE_PUBLIC_FIELDS = ("thumbprint", "subject", "not_after")
"""What people see of a certificate: everything but its PEM text."""


def defaults() -> dict[str, Any]:
    """Every field of the configuration with its default, as JSON values (new containers on every call)."""
    return {
        "path": None,
        "username": None,
        "encryption_cert": None,
        "recipient_certs": [],
        "frequency_hours": DEFAULT_FREQUENCY_HOURS,
        "retention_days": DEFAULT_RETENTION_DAYS,
        "scheduler_enabled": False,
        "allow_unencrypted": False,
        "notifications": {},
        "controller_name": None,
    }


def load_document(conn: sqlite3.Connection) -> dict[str, Any]:
    """The stored configuration with every field present (defaults for missing ones), unknown keys dropped."""
    document = defaults()
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTINGS_KEY,)).fetchone()
    if row:
        document.update((key, value) for key, value in json.loads(row["value"]).items() if key in document)
    return document


def certificate_view(cert: Mapping[str, Any]) -> dict[str, str]:
    """The public view of a stored certificate reference: thumbprint, subject and expiry, never the PEM."""
    return {name: cert[name] for name in CERTIFICATE_PUBLIC_FIELDS}


def host_name() -> str:
    """This machine's name: the default name of its controller in metrics and alerts."""
    import os

    if hasattr(os, "uname"):
        return os.uname().nodename
    return os.environ.get("COMPUTERNAME", "localhost")  # pragma: no cover - Windows
