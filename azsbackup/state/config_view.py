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
    import datetime as dt
    import sqlite3
    from collections.abc import Mapping
    from typing import Any

SETTINGS_KEY = "configuration"
"""The row of the ``settings`` table that holds the configuration document."""

DEFAULT_FREQUENCY_HOURS = 12
DEFAULT_RETENTION_DAYS = 7
DEFAULT_VERIFY_MAX_BYTES = 10 << 30
"""Bytes of exported backups the scheduled ``location verify`` reads back per run (docs/operations.md)."""

SCHEDULE_ANCHOR_KEY = "scheduler.anchor"
"""``<ISO time of the first slot>|<frequency in seconds>``: where the scheduler's slots start."""
SCHEDULE_LAST_RUN_KEY = "scheduler.last_scheduled"
"""ISO time of the last scheduled backup the scheduler started."""
LOCATION_SPACE_KEY = "location.space"
"""``{path, free, total, measured}``: the external location's space when the engine last measured it."""

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
        "allow_insecure_http": False,
        "blob_api_version": None,
        "notifications": {},
        "controller_name": None,
        "read_back": False,
        "verify_max_bytes": DEFAULT_VERIFY_MAX_BYTES,
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


def _setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def next_slot(anchor: dt.datetime, frequency: dt.timedelta, last_scheduled: dt.datetime | None) -> dt.datetime:
    """The first scheduled slot after the last scheduled run (the anchor if there was none)."""
    if last_scheduled is None or last_scheduled < anchor:
        return anchor
    slots = int((last_scheduled - anchor) / frequency) + 1
    return anchor + slots * frequency


def next_backup(conn: sqlite3.Connection, frequency_hours: int) -> str | None:
    """When the scheduler starts the next backup (ISO 8601, UTC), whether or not it is enabled.

    None until the scheduler has laid out its slots (it does on its first start, or
    ``scheduler status``), and after a change of frequency until it lays them out again.
    """
    import datetime as dt

    anchor_text, _, seconds = (_setting(conn, SCHEDULE_ANCHOR_KEY) or "").partition("|")
    frequency = dt.timedelta(hours=frequency_hours)
    if not anchor_text or seconds != str(frequency.total_seconds()):
        return None
    last = _setting(conn, SCHEDULE_LAST_RUN_KEY)
    moment = next_slot(
        dt.datetime.fromisoformat(anchor_text),
        frequency,
        dt.datetime.fromisoformat(last.replace("Z", "+00:00")) if last else None,
    )
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def location_space(conn: sqlite3.Connection, path: str | None) -> dict[str, Any] | None:
    """Free and total bytes of the external location ``path`` when last measured, or None."""
    stored = _setting(conn, LOCATION_SPACE_KEY)
    space = json.loads(stored) if stored else None
    if not isinstance(space, dict) or not path or space.get("path") != path:
        return None
    return {"free": space.get("free"), "total": space.get("total"), "measured": space.get("measured")}


def host_name() -> str:
    """This machine's name: the default name of its controller in metrics and alerts."""
    import os

    if hasattr(os, "uname"):
        return os.uname().nodename
    return os.environ.get("COMPUTERNAME", "localhost")  # pragma: no cover - Windows
